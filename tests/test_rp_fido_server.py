"""The reference RP's fido-server flavour in-process: options, the authentication rule, session binding, results and
extension outputs. Refusals are asserted by their exact code; `FidoServerApi` validates every request and response
against schemas/api/fido-server. HTTP errors and the status service are in test_rp_fido_server_http.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from fidoconf.verifier.encoding import b64url_decode, b64url_encode
from fidoconf.verifier.errors import Code
from fidoconf.verifier.rp.errors import RpCode

from .fido_server_support import (
    FLAVOUR,
    PREFIX,
    RP_ID,
    SEED_002_EXTENSIONS,
    TIMEOUT_MS,
    FidoServerApi,
    api_factory,
    assert_failed,
    bound,
    credential,
)
from .rp_support import ManualClock, assert_valid


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


# --- options ------------------------------------------------------------------------------------------------------


def test_req1_p1_request_is_echoed_exactly(api):
    selection = {"requireResidentKey": False, "userVerification": "preferred"}
    extensions = {"example.extension.bool": True}
    options = api.start("alice", authenticatorSelection=selection, attestation="direct", extensions=extensions)
    assert (options["status"], options["errorMessage"]) == ("ok", "")
    assert options["user"]["name"] == "alice" and options["user"]["displayName"] == "alice display"
    assert options["authenticatorSelection"] == selection
    assert options["extensions"] == extensions
    assert options["attestation"] == "direct"
    assert {"rpId", "allowCredentials", "userVerification"}.isdisjoint(options)
    assert options["rp"] == {"id": RP_ID, "name": "fidoconf reference RP"}
    assert 16 <= len(b64url_decode(options["challenge"], field="challenge")) <= 64
    assert len(b64url_decode(options["user"]["id"], field="user.id")) == 16


def test_seed_002_extensions_are_echoed(api):
    assert api.start(extensions=SEED_002_EXTENSIONS)["extensions"] == SEED_002_EXTENSIONS


def test_selection_and_extensions_are_left_out_when_not_requested(api):
    options = api.start()
    assert "authenticatorSelection" not in options and "extensions" not in options
    assert options["attestation"] == "none"


@pytest.mark.parametrize(
    "fields",
    [
        {"attestation": "bananas"},
        {"attestation": ["direct"]},
        {"authenticatorSelection": []},
        {"authenticatorSelection": {"userVerification": "always"}},
        {"authenticatorSelection": {"requireResidentKey": "yes"}},
        {"extensions": []},
        {"extensions": {"uvm": "true"}},
        {"extensions": {"credentialProtectionPolicy": "strong"}},
        {"extensions": {"hmacGetSecret": {"salt1": b64url_encode(bytes(31))}}},
        {"extensions": {"hmacGetSecret": {"salt2": b64url_encode(bytes(32))}}},
        {"extensions": {"hmacGetSecret": {"salt1": "not base64url!"}}},
        {"extensions": {"appid": ""}},
        {"username": ""},
        {"username": 7},
        {"displayName": None},
    ],
)
def test_malformed_options_requests_fail(api, fields):
    body = {"username": "carol", "displayName": "Carol", **fields}
    response = api.post("attestation/options", json=body)
    assert response.status_code == 200
    assert_valid(FLAVOUR, "attestation-options-response", response.json())
    assert_failed(response.json(), RpCode.REQUEST_BODY_INVALID)


def test_registration_request_needs_username_and_display_name(api):
    for body, missing in (
        ({"displayName": "x", "attestation": "none"}, "username"),
        ({"username": "dave", "attestation": "direct"}, "displayName"),
    ):
        answer = api.post("attestation/options", json=body).json()
        assert_valid(FLAVOUR, "attestation-options-response", answer)
        assert_failed(answer, RpCode.REQUEST_BODY_INVALID)
        assert missing in answer["errorMessage"]


def test_display_name_less_authentication_request_gets_assertion_options(api):
    answer = api.options({"username": "erin", "userVerification": "required"}, schema="assertion-options-response")
    assert answer["status"] == "ok"
    assert (answer["rpId"], answer["allowCredentials"], answer["userVerification"]) == (RP_ID, [], "required")
    assert "fido2SessionId" not in answer
    usernameless = api.options({}, schema="assertion-options-response")
    assert usernameless["userVerification"] == "preferred"


def test_exclude_credentials_and_user_handle_after_a_registration(api):
    first = api.start("frank")
    made = credential(first)
    assert api.result(bound(first, made))["status"] == "ok"
    again = api.start("frank")
    assert again["user"]["id"] == first["user"]["id"]
    transports = made["response"]["transports"]
    assert again["excludeCredentials"] == [{"type": "public-key", "id": made["id"], "transports": transports}]


def test_authenticator_limit_is_checked_at_options(make_api):
    api = make_api(authenticator_limit=1)
    options = api.start("gina")
    assert api.result(bound(options, credential(options)))["status"] == "ok"
    assert_failed(
        api.post("attestation/options", json={"username": "gina", "displayName": "G"}).json(),
        RpCode.USER_AUTHENTICATORS_LIMIT_REACHED,
    )


def test_rs1_is_offered_exactly_when_the_policy_allows_sha1(make_api):
    assert -65535 not in {p["alg"] for p in make_api().start()["pubKeyCredParams"]}
    api = make_api(policy="fido-conformance")
    options = api.start(attestation="direct")
    assert -65535 in {p["alg"] for p in options["pubKeyCredParams"]}
    assert api.result(bound(options, credential(options, "packed-self", alg="RS1")))["status"] == "ok"


# --- result and session binding -----------------------------------------------------------------------------------


def test_result_bound_by_session_id_then_status_succeeded(api):
    options = api.start()
    assert api.status(options["fido2SessionId"])["status"] == "initialized"
    answer = api.result(bound(options, credential(options, "packed-self")), headers={"Cookie": ""})
    assert answer == {"status": "ok", "errorMessage": "", "fido2SessionId": options["fido2SessionId"]}
    status = api.status(options["fido2SessionId"])
    assert (status["status"], status["username"]) == ("succeeded", options["user"]["name"])


def test_result_bound_by_cookie_alone(api):
    response = api.post("attestation/options", json={"username": "hank", "displayName": "Hank"})
    cookie = response.cookies["fido2SessionId"]
    assert cookie == response.json()["fido2SessionId"]
    assert f"Path={PREFIX}" in response.headers["set-cookie"] and "HttpOnly" in response.headers["set-cookie"]
    assert "samesite" not in response.headers["set-cookie"].lower()
    answer = api.result(credential(response.json()), headers={"Cookie": f"fido2SessionId={cookie}"})
    assert answer["status"] == "ok", answer


def test_the_body_session_id_wins_over_the_cookie(api):
    first, second = api.start(), api.start()
    answer = api.result(
        bound(first, credential(first)), headers={"Cookie": f"fido2SessionId={second['fido2SessionId']}"}
    )
    assert answer["status"] == "ok", answer
    assert api.status(second["fido2SessionId"])["status"] == "initialized"


def test_result_without_a_session_fails(api):
    options = api.start()
    assert_failed(api.result(credential(options), headers={"Cookie": ""}), RpCode.TRANSACTION_ID_UNKNOWN)
    unknown = api.result({**credential(options), "fido2SessionId": "no-such-session"}, headers={"Cookie": ""})
    assert_failed(unknown, RpCode.TRANSACTION_ID_UNKNOWN)


def test_a_session_takes_one_attestation(api):
    options = api.start()
    assert api.result(bound(options, credential(options)))["status"] == "ok"
    replay = api.result(bound(options, credential(options)))
    assert_failed(replay, RpCode.TRANSACTION_STATUS_NOT_PENDING)
    assert replay["fido2SessionId"] == options["fido2SessionId"]


def test_a_refusal_ends_the_session_failed(api):
    options = api.start()
    other = api.start()
    answer = api.result(bound(options, credential(other)))
    assert_failed(answer, Code.CLIENT_DATA_CHALLENGE_MISMATCH)
    status = api.status(options["fido2SessionId"])
    assert (status["status"], status["errorCode"]) == ("failed", Code.CLIENT_DATA_CHALLENGE_MISMATCH.value)


def test_a_malformed_result_body_ends_the_session_failed(api):
    options = api.start()
    answer = api.result({**bound(options, credential(options)), "clientExtensionResults": []}, malformed=True)
    assert_failed(answer, RpCode.REQUEST_BODY_INVALID)
    assert api.status(options["fido2SessionId"])["status"] == "failed"


def test_a_session_times_out(api, clock):
    options = api.start()
    clock.advance(milliseconds=TIMEOUT_MS)
    assert_failed(api.result(bound(options, credential(options))), RpCode.TRANSACTION_TIMEOUT_EXPIRED)
    assert api.status(options["fido2SessionId"])["errorCode"] == RpCode.TRANSACTION_TIMEOUT_EXPIRED.value


def test_raw_id_is_required(api):
    options = api.start()
    made = credential(options)
    del made["rawId"]
    assert_failed(api.result(bound(options, made)), Code.CREDENTIAL_RAW_ID_MISSING)


def test_user_verification_required_is_enforced(api):
    options = api.start(authenticatorSelection={"userVerification": "required"})
    assert_failed(api.result(bound(options, credential(options))), Code.AUTH_DATA_FLAGS_UV_MISSING)
    options = api.start(authenticatorSelection={"userVerification": "required"})
    assert api.result(bound(options, credential(options, user_verified=True)))["status"] == "ok"


def test_name_and_user_agent_are_stored(api):
    options = api.start("ivy")
    answer = api.result({**bound(options, credential(options)), "userFriendlyName": "Ivy's key", "userAgent": "UA/1"})
    assert answer["status"] == "ok"
    store = api.client.app.state.rp.store
    user = store.find_user(FLAVOUR, "ivy")
    [stored] = store.list_authenticators(user.user_id)
    assert (stored.name, stored.user_agent) == ("Ivy's key", "UA/1")


# --- extension outputs --------------------------------------------------------------------------------------------


def _register(api: FidoServerApi, extensions: dict, *, selection: dict | None = None, **made: Any) -> dict:
    fields: dict[str, Any] = {"extensions": extensions}
    if selection is not None:
        fields["authenticatorSelection"] = selection
    options = api.start(**fields)
    return api.result(bound(options, credential(options, **made)))


def test_matching_extension_outputs_are_accepted(api):
    answer = _register(
        api,
        SEED_002_EXTENSIONS,
        outputs={"credProtect": 3, "hmac-secret": True},
        client_outputs={"hmacCreateSecret": True, "credProps": {"rk": True}},
    )
    assert answer["status"] == "ok", answer


def test_get_client_extension_results_is_read_as_client_extension_results(api):
    options = api.start(extensions={"hmacCreateSecret": True})
    made = credential(options, outputs={"hmac-secret": False})
    del made["clientExtensionResults"]
    answer = api.result({**bound(options, made), "getClientExtensionResults": {"hmacCreateSecret": True}})
    assert_failed(answer, RpCode.EXTENSION_HMAC_SECRET_INVALID)


def test_unsolicited_outputs_are_ignored(api):
    answer = _register(
        api,
        {},
        outputs={"credProtect": 2, "hmac-secret": "yes"},
        client_outputs={"credProps": "nonsense", "hmacCreateSecret": 1},
    )
    assert answer["status"] == "ok", answer


@pytest.mark.parametrize(
    ("extensions", "outputs", "client_outputs", "code"),
    [
        (
            {"credentialProtectionPolicy": "userVerificationRequired"},
            {"credProtect": 7},
            {},
            RpCode.EXTENSION_CRED_PROTECT_INVALID,
        ),
        (
            {"credentialProtectionPolicy": "userVerificationOptional"},
            {"credProtect": True},
            {},
            RpCode.EXTENSION_CRED_PROTECT_INVALID,
        ),
        (
            {"credentialProtectionPolicy": "userVerificationRequired", "enforceCredentialProtectionPolicy": True},
            {"credProtect": 2},
            {},
            RpCode.EXTENSION_CRED_PROTECT_NOT_ENFORCED,
        ),
        (
            {
                "credentialProtectionPolicy": "userVerificationOptionalWithCredentialIDList",
                "enforceCredentialProtectionPolicy": True,
            },
            {},
            {},
            RpCode.EXTENSION_CRED_PROTECT_NOT_ENFORCED,
        ),
        ({"hmacCreateSecret": True}, {"hmac-secret": 1}, {}, RpCode.EXTENSION_HMAC_SECRET_INVALID),
        ({"hmacCreateSecret": True}, {}, {"hmacCreateSecret": "true"}, RpCode.EXTENSION_HMAC_SECRET_INVALID),
        (
            {"hmacCreateSecret": True},
            {"hmac-secret": False},
            {"hmacCreateSecret": True},
            RpCode.EXTENSION_HMAC_SECRET_INVALID,
        ),
        ({"credProps": True}, {}, {"credProps": {"rk": "yes"}}, RpCode.EXTENSION_CRED_PROPS_INVALID),
        ({"credProps": True}, {}, {"credProps": []}, RpCode.EXTENSION_CRED_PROPS_INVALID),
    ],
)
def test_extension_outputs_that_contradict_the_request_fail(api, extensions, outputs, client_outputs, code):
    assert_failed(_register(api, extensions, outputs=outputs, client_outputs=client_outputs), code)


def test_weaker_cred_protect_without_enforcement_is_accepted(api):
    answer = _register(
        api, {"credentialProtectionPolicy": "userVerificationRequired"}, outputs={"credProtect": 1}, client_outputs={}
    )
    assert answer["status"] == "ok", answer


@pytest.mark.parametrize("selection", [{"residentKey": "required"}, {"requireResidentKey": True}])
def test_cred_props_rk_false_contradicts_a_required_resident_key(api, selection):
    answer = _register(api, {"credProps": True}, selection=selection, client_outputs={"credProps": {"rk": False}})
    assert_failed(answer, RpCode.EXTENSION_CRED_PROPS_INVALID)
