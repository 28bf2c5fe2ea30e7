"""The reference RP under hostile input: text that is not Unicode (lone UTF-16 surrogates), in every field of every
route of every flavour, answers the flavour's exact error, never a 5xx, and writes no row (issue 15).

A lone surrogate reaches a server as a JSON escape (`"\\ud800"`): JSON allows it, Python decodes it into a str
that UTF-8 cannot encode, and SQLite, PyJWT and the JSON renderer raise on it. In a form body, a query string, a
path or a header it can only arrive as the bytes ED A0 80 (or their percent-escape), which are not UTF-8.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fidoconf.verifier.rp import RPConfig, create_app
from fidoconf.verifier.rp.errors import RpCode
from fidoconf.verifier.rp.store import SqliteStore

from .rp_support import ManualClock, asgi_client, assert_valid
from .skfs_support import ACCOUNTS, HMAC_KEY, HMAC_SECRET, ORIGIN, RP_ID, SVC

KEY = "hostile-access-key"
LONE = "\ud800"
#: The bytes a lone surrogate becomes in "UTF-8" that does not check (WTF-8 / CESU-8): not UTF-8 at all.
LONE_BYTES = b"\xed\xa0\x80"
UUID = "6f1d3c55-2b8e-4f0e-9a53-5f3f3b6a9d11"
SVCINFO = {"did": 1, "protocol": "FIDO2_0", "authtype": "PASSWORD", "svcusername": SVC[0], "svcpassword": SVC[1]}
SKFS_ERROR = ("FIDO-ERR-5011", RpCode.REQUEST_BODY_INVALID.value)


@pytest.fixture
def rp():
    store = SqliteStore(":memory:")
    config = RPConfig(
        rp_id=RP_ID, origins=(ORIGIN,), issuer=ORIGIN + "/", access_keys=(KEY,),
        flavours=("nevis-cloud", "fido-server", "skfs"), fido_server_prefix="/fido",
        skfs_service_accounts=ACCOUNTS, skfs_hmac_keys=((HMAC_KEY, HMAC_SECRET),),
    )  # fmt: skip
    with asgi_client(create_app(config, clock=ManualClock(), store=store)) as client:
        # Some state for the requests to act on: an existing user of each flavour with a pending ceremony.
        bearer = {"authorization": f"Bearer {KEY}"}
        assert client.post("/api/v1/users/enroll", json=_enroll("alice"), headers=bearer).status_code == 200
        assert client.post("/fido/attestation/options", json=_options("bob")).json()["status"] == "ok"
        body = {"svcinfo": SVCINFO, "payload": {"username": "carol", "displayname": "C", "options": {}}}
        assert client.post("/skfs/rest/preregister", json=body).status_code == 200
        yield client, store


def _enroll(username: str, **extra: Any) -> dict[str, Any]:
    return {"username": username, "channel": "fido2", "displayName": "Alice", **extra}


def _options(username: str, **extra: Any) -> dict[str, Any]:
    return {"username": username, "displayName": "Bob", "attestation": "direct", **extra}


def _json(value: Any) -> bytes:
    # ensure_ascii (the default) writes a lone surrogate as the escape "\ud800": valid JSON text, pure ASCII.
    text = json.dumps(value)
    assert "\\ud800" in text
    return text.encode("ascii")


#: (flavour kind, method, path, body with a lone surrogate in one string field, headers)
NEVIS_REST = [
    ("/api/v1/users/enroll", _enroll("alice", displayName=LONE)),  # an existing user: the half-done-work case
    ("/api/v1/users/enroll", _enroll("dave", displayName="D" + LONE)),
    ("/api/v1/users/enroll", _enroll(LONE)),
    ("/api/v1/users/enroll", {**_enroll("erin"), "fido2Options": {"attestation": LONE}}),
    ("/api/v1/users/enroll", {**_enroll("erin"), LONE: "member name"}),
    ("/api/v1/status", {"statusToken": LONE}),
    ("/api/v1/intent", {"username": "alice", "operation": "enroll", "channels": [LONE]}),
    ("/api/v1/intent", {"userId": LONE, "operation": "enroll"}),
]
NEVIS_CEREMONY = [
    ("/_app/attestation/result", {"statusToken": LONE, "id": "x", "type": "public-key"}),
    ("/_app/attestation/result", {"statusToken": "x", "userFriendlyName": LONE}),
    ("/_app/dispatch/redeem", {"dispatchToken": LONE}),
]
FIDO_SERVER = [
    ("/fido/attestation/options", _options("bob", displayName=LONE)),  # an existing user
    ("/fido/attestation/options", _options(LONE)),
    ("/fido/attestation/options", _options("frank", authenticatorSelection={"userVerification": LONE})),
    ("/fido/attestation/options", _options("frank", extensions={"credProps": LONE})),
    ("/fido/attestation/result", {"fido2SessionId": LONE, "id": "x"}),
    ("/fido/attestation/result", {"id": LONE, "response": {"clientDataJSON": LONE}}),
]
SKFS = [
    ("preregister", {"username": "carol", "displayname": LONE, "options": {}}),  # an existing user
    ("preregister", {"username": LONE, "displayname": "G", "options": {}}),
    ("preregister", {"username": "gina", "displayname": "G", "options": {}, "extensions": json.dumps({"x": LONE})}),
    ("register", {"publicKeyCredential": {"id": LONE}, "strongkeyMetadata": {"username": "carol"}}),
    ("getkeysinfo", {"username": LONE}),
    ("updatekeyinfo", {"keyid": LONE, "status": "Active", "modify_location": "x", "displayname": "x"}),
    ("deregister", {"keyid": "1-1-1", LONE: 1}),
]


def _unchanged(store: SqliteStore, before: dict[str, int]) -> None:
    assert store.row_counts() == before


@pytest.mark.parametrize(("path", "body"), NEVIS_REST, ids=[f"{p}-{i}" for i, (p, _) in enumerate(NEVIS_REST)])
def test_nevis_rest_refuses_a_lone_surrogate_with_400(rp, path, body):
    client, store = rp
    before = store.row_counts()
    response = client.post(
        path, content=_json(body), headers={"authorization": f"Bearer {KEY}", "content-type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert_valid("nevis-cloud", "error-response", response.json())
    _unchanged(store, before)


@pytest.mark.parametrize(("path", "body"), NEVIS_CEREMONY, ids=[p for p, _ in NEVIS_CEREMONY])
def test_nevis_ceremony_refuses_a_lone_surrogate_as_failed(rp, path, body):
    client, store = rp
    before = store.row_counts()
    response = client.post(path, content=_json(body), headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["errorCode"]) == ("failed", RpCode.REQUEST_BODY_INVALID.value)
    _unchanged(store, before)


@pytest.mark.parametrize(("path", "body"), FIDO_SERVER, ids=[f"{p}-{i}" for i, (p, _) in enumerate(FIDO_SERVER)])
def test_fido_server_refuses_a_lone_surrogate_as_failed(rp, path, body):
    client, store = rp
    before = store.row_counts()
    response = client.post(path, content=_json(body), headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["errorCode"]) == ("failed", RpCode.REQUEST_BODY_INVALID.value)
    _unchanged(store, before)


def test_fido_server_status_refuses_a_lone_surrogate_with_400(rp):
    client, store = rp
    before = store.row_counts()
    response = client.post(
        "/fido/status", content=_json({"fido2SessionId": LONE}), headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errorCode"] == RpCode.REQUEST_BODY_INVALID.value
    _unchanged(store, before)


def _skfs_error(response) -> tuple[str, str]:
    body = response.json()
    return body["responseCode"], body["response"].rsplit("[fidoconf:", 1)[1].rstrip("]")


@pytest.mark.parametrize(("operation", "payload"), SKFS, ids=[f"{o}-{i}" for i, (o, _) in enumerate(SKFS)])
def test_skfs_refuses_a_lone_surrogate_in_the_payload(rp, operation, payload):
    client, store = rp
    before = store.row_counts()
    body = {"svcinfo": SVCINFO, "payload": payload}
    response = client.post(f"/skfs/rest/{operation}", content=_json(body), headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert_valid("skfs", "error-response-v4.17", response.json())
    expected = ("FIDO-ERR-0014", RpCode.REQUEST_BODY_INVALID.value) if "extensions" in payload else SKFS_ERROR
    assert _skfs_error(response) == expected
    _unchanged(store, before)


@pytest.mark.parametrize("field", ["svcusername", "svcpassword", "protocol", "authtype", "did"])
def test_skfs_refuses_a_lone_surrogate_in_svcinfo_before_the_credential_check(rp, field):
    client, store = rp
    before = store.row_counts()
    body = {"svcinfo": {**SVCINFO, field: LONE}, "payload": {"username": "carol"}}
    response = client.post("/skfs/rest/getkeysinfo", content=_json(body), headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert _skfs_error(response) == SKFS_ERROR
    _unchanged(store, before)


# --- the other carriers: form fields, paths, query strings, headers ----------------------------------------------


@pytest.mark.parametrize("form", [b"token=" + LONE_BYTES, b"token=%ED%A0%80", b"token=%ED%A0%80&x=1"])
def test_introspection_form_with_non_utf8_text_is_400(rp, form):
    client, store = rp
    before = store.row_counts()
    headers = {"authorization": f"Bearer {KEY}", "content-type": "application/x-www-form-urlencoded"}
    response = client.post("/api/v1/introspect", content=form, headers=headers)
    assert response.status_code == 400
    assert_valid("nevis-cloud", "error-response", response.json())
    _unchanged(store, before)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/users/%ED%A0%80"),
        ("DELETE", "/api/v1/users/%ED%A0%80"),
        ("PATCH", "/api/v1/authenticators/%ED%A0%80"),
        ("DELETE", "/api/v1/authenticators/%ED%A0%80"),
        ("GET", f"/api/v1/users/{UUID}?q=%ED%A0%80"),
        ("POST", "/fido/status?fido2SessionId=%ED%A0%80"),
        ("POST", "/skfs/rest/ping?x=%ED%A0%80"),
    ],
)
def test_non_utf8_paths_and_queries_never_5xx(rp, method, path):
    client, store = rp
    before = store.row_counts()
    response = client.request(method, path, json={"name": "n"}, headers={"authorization": f"Bearer {KEY}"})
    assert 400 <= response.status_code < 500, response.text
    _unchanged(store, before)


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/api/v1/users/enroll", _enroll("hank"), 403),
        ("/api/v1/intent", {"username": "hank", "operation": "enroll"}, 403),
        ("/ping", None, 403),
    ],
)
def test_non_utf8_bearer_is_403(rp, path, body, status):
    client, store = rp
    before = store.row_counts()
    headers = [(b"authorization", b"Bearer " + LONE_BYTES), (b"content-type", b"application/json")]
    response = client.request("GET" if body is None else "POST", path, json=body, headers=headers)
    assert response.status_code == status
    assert_valid("nevis-cloud", "error-response", response.json())
    _unchanged(store, before)


def test_non_utf8_hmac_authorization_is_an_skfs_401(rp):
    client, store = rp
    before = store.row_counts()
    body = {"svcinfo": {"did": 1, "protocol": "FIDO2_0", "authtype": "HMAC"}, "payload": {"username": "carol"}}
    headers = [
        (b"authorization", b"HMAC " + HMAC_KEY.encode() + b":" + LONE_BYTES),
        (b"content-type", b"application/json"),
        (b"date", b"Thu, 01 Jan 2026 00:00:00 GMT"),
        (b"strongkey-api-version", b"SK3_0"),
        (b"strongkey-content-sha256", LONE_BYTES),
    ]
    response = client.post("/skfs/rest/getkeysinfo", json=body, headers=headers)
    assert response.status_code == 401 and response.content == b""
    _unchanged(store, before)


# --- redirects never echo the Host ------------------------------------------------------------------------------


def _route_paths(app) -> list[tuple[str, str]]:
    """(method, concrete path) of every route Starlette has, path parameters filled in."""
    found = []
    for route in app.routes:
        path = route.path.replace("{user_id}", UUID).replace("{authenticator_id}", UUID)
        for method in sorted(route.methods or {"GET"}):
            found.append((method, path))
    return found


@pytest.mark.parametrize("suffix", ["%2F", "%2f", "/", "%2F%2F", "/%2F"])
def test_no_route_redirects_to_the_clients_host(rp, suffix):
    client, _ = rp
    routes = _route_paths(client.app)
    assert len(routes) > 20
    for method, path in routes:
        response = client.request(
            method, path + suffix, headers={"host": "evil.example"}, follow_redirects=False, content=b"{}"
        )
        assert "evil.example" not in response.headers.get("location", ""), (method, path, response.status_code)
        assert response.status_code == 404, (method, path + suffix, response.status_code)


def test_no_answer_of_any_route_carries_a_location_built_from_host(rp):
    client, _ = rp
    for method, path in _route_paths(client.app):
        response = client.request(method, path, headers={"host": "evil.example"}, follow_redirects=False, content=b"{}")
        assert "location" not in response.headers, (method, path)
