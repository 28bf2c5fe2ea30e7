"""The reference RP's fido-server flavour in-process: the status service, nevisFIDO's HTTP errors (405 / 406 / 415),
malformed bodies and the path prefix. `FidoServerApi` validates every request and response against its schema.
"""

from __future__ import annotations

import pytest
from fidoconf.verifier.rp import RPConfig, create_app
from fidoconf.verifier.rp.errors import RpCode

from .fido_server_support import FLAVOUR, ORIGIN, PREFIX, RP_ID, FidoServerApi, api_factory, assert_failed
from .rp_support import ManualClock, NevisApi, asgi_client, assert_valid


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def make_api(clock):
    with api_factory(clock) as make:
        yield make


@pytest.fixture
def api(make_api) -> FidoServerApi:
    return make_api()


# --- status service -----------------------------------------------------------------------------------------------


def test_status_of_an_unknown_session(api):
    assert api.status("nothing-here") == {"fido2SessionId": "nothing-here", "status": "unknown"}


@pytest.mark.parametrize("body", [{}, {"fido2SessionId": 5}, {"fido2SessionId": ""}])
def test_status_request_without_a_session_id_is_400(api, body):
    response = api.post("status", json=body)
    assert response.status_code == 400
    assert_failed(response.json(), RpCode.REQUEST_BODY_INVALID)


def test_status_body_over_the_limit_is_413(make_api):
    api = make_api(max_body_bytes=64)
    response = api.post("status", json={"fido2SessionId": "x" * 100})
    assert response.status_code == 413
    assert_failed(response.json(), RpCode.REQUEST_BODY_TOO_LARGE)


def test_a_nevis_cloud_transaction_is_unknown_to_the_fido_server_status(make_api):
    config = RPConfig(
        rp_id=RP_ID, origins=(ORIGIN,), issuer=ORIGIN + "/", access_keys=("k",), flavours=("nevis-cloud", FLAVOUR)
    )
    with asgi_client(create_app(config)) as client:
        enrolled = NevisApi(client, "k").enroll_fido2("judy")
        transaction_id = enrolled["enrollment"]["transactionId"]
        assert FidoServerApi(client, "").status(transaction_id)["status"] == "unknown"


# --- HTTP errors --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["attestation/options", "attestation/result", "status"])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "OPTIONS"])
def test_methods_other_than_post_are_405(api, endpoint, method):
    response = api.client.request(method, f"{PREFIX}/{endpoint}")
    assert (response.status_code, response.headers["allow"]) == (405, "POST")
    assert_valid(FLAVOUR, "error-response", response.json())
    assert_failed(response.json(), RpCode.REQUEST_METHOD_NOT_ALLOWED)


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json;charset=ISO-8859-1",
        "application/problem+json",
    ],
)
def test_bodies_that_are_not_utf8_json_are_415(api, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = api.post("attestation/options", content=b'{"username":"k","displayName":"K"}', headers=headers)
    assert response.status_code == 415
    assert_failed(response.json(), RpCode.REQUEST_CONTENT_TYPE_UNSUPPORTED)


@pytest.mark.parametrize("content_type", ["application/json;charset=UTF-8", 'Application/JSON; charset="utf-8"'])
def test_json_with_utf8_charset_is_served(api, content_type):
    response = api.post(
        "attestation/options", content=b'{"username":"k","displayName":"K"}', headers={"Content-Type": content_type}
    )
    assert (response.status_code, response.json()["status"]) == (200, "ok")


@pytest.mark.parametrize("accept", ["text/html", "application/xml, text/*", "application/json;q=0", "*/*;q=0"])
def test_accept_without_json_is_406(api, accept):
    response = api.post("attestation/options", json={"username": "l", "displayName": "L"}, headers={"Accept": accept})
    assert response.status_code == 406
    assert_failed(response.json(), RpCode.REQUEST_ACCEPT_UNSATISFIABLE)


@pytest.mark.parametrize("accept", ["application/json", "*/*", "text/html, application/*;q=0.1", ""])
def test_accept_admitting_json_is_served(api, accept):
    response = api.post("attestation/options", json={"username": "m", "displayName": "M"}, headers={"Accept": accept})
    assert (response.status_code, response.json()["status"]) == (200, "ok")


@pytest.mark.parametrize("endpoint", ["attestation/options", "attestation/result"])
@pytest.mark.parametrize("raw", [b"{", b"[]", b"\xff\xfe", b'"text"', b"1" * 300_000])
def test_malformed_ceremony_bodies_are_200_failed(api, endpoint, raw):
    response = api.post(endpoint, content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    too_large = len(raw) > 256 * 1024
    assert_failed(response.json(), RpCode.REQUEST_BODY_TOO_LARGE if too_large else RpCode.REQUEST_BODY_INVALID)


def test_routes_live_under_the_prefix_only(make_api):
    prefixed = make_api(PREFIX)
    assert prefixed.client.post("/attestation/options", json={}).status_code == 404
    root = make_api("")
    assert root.options({"username": "n", "displayName": "N"})["status"] == "ok"


def test_prefix_must_be_a_path(clock):
    for prefix in ("nevisfido", "/nevisfido/"):
        with pytest.raises(ValueError, match="fido_server_prefix"):
            RPConfig(flavours=(FLAVOUR,), fido_server_prefix=prefix)
