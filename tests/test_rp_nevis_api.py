"""The reference RP's Nevis Authentication Cloud flavour in-process (starlette TestClient over the ASGI app).

Ceremony refusals are asserted by their exact code; REST refusals by their HTTP status; every response body is
validated against schemas/api/nevis-cloud by `NevisApi`.
"""

from __future__ import annotations

import base64
from contextlib import ExitStack

import jwt
import pytest
from fidoconf.conformance.authenticator.authenticator import make_credential
from fidoconf.verifier.encoding import b64url_decode, b64url_encode
from fidoconf.verifier.errors import Code
from fidoconf.verifier.policy import PRESETS
from fidoconf.verifier.rp import RPConfig, create_app
from fidoconf.verifier.rp.ceremony import offered_algorithms
from fidoconf.verifier.rp.errors import RpCode

from . import seeded
from .rp_support import ManualClock, NevisApi, asgi_client, assert_valid, dispatch_token_of

RP_ID, ORIGIN, KEY = "rp.example", "https://rp.example", "test-access-key"
TIMEOUT_MS = 60_000


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def make_api(clock):
    with ExitStack() as stack:

        def make(**overrides) -> NevisApi:
            settings = {"registration_timeout_ms": TIMEOUT_MS, **overrides}
            config = RPConfig(rp_id=RP_ID, origins=(ORIGIN,), access_keys=(KEY,), issuer=ORIGIN + "/", **settings)
            client = stack.enter_context(asgi_client(create_app(config, clock=clock)))
            return NevisApi(client, KEY)

        yield make


@pytest.fixture
def api(make_api) -> NevisApi:
    return make_api()


def credential(enrolled: dict, fmt: str = "none", *, seed: str | None = None, **kwargs) -> dict:
    options = enrolled["enrollment"]["credentialCreationOptions"]
    challenge = b64url_decode(options["challenge"], field="challenge")
    seed = seed or seeded.token_hex(8)
    bundle = make_credential(rp_id=RP_ID, origin=ORIGIN, challenge=challenge, fmt=fmt, alg="ES256", seed=seed, **kwargs)
    return bundle.credential


def register(api: NevisApi, username: str, fmt: str = "none", *, seed: str | None = None) -> dict:
    enrolled = api.enroll_fido2(username)
    answer = api.attest(credential(enrolled, fmt, seed=seed), enrolled["enrollment"]["statusToken"])
    assert answer["status"] == "ok", answer
    return enrolled


def assert_failed(answer: dict, code: Code) -> None:
    assert answer["status"] == "failed"
    assert answer["errorCode"] == code.value
    assert answer["errorMessage"]
    assert answer["token"] == ""


# --- the happy path and the shape of what it returns ---------------------------------------------------------


@pytest.mark.parametrize("fmt", ["none", "packed-self", "packed-x5c"])
def test_fido2_registration_succeeds_and_introspects(api, fmt):
    enrolled = api.enroll_fido2("alice")
    token = enrolled["enrollment"]["statusToken"]
    assert api.status(token)["status"] == "pending"
    answer = api.attest(credential(enrolled, fmt), token, userFriendlyName="Alice's key", userAgent="pytest")
    assert answer["status"] == "ok" and answer["errorCode"] == "" and answer["errorMessage"] == ""
    status = api.status(token)
    assert status["status"] == "succeeded"
    assert status["token"] == answer["token"]  # one transaction token, handed out by both
    info = api.introspect(status["token"])
    assert info["active"] is True and info["token_type"] == "transaction"
    assert info["sub"] == enrolled["userId"] and info["transactionId"] == enrolled["enrollment"]["transactionId"]
    user = api.user(enrolled["userId"]).json()
    assert user["status"] == "active"
    (authenticator,) = user["authenticators"]
    assert authenticator["name"] == "Alice's key" and authenticator["fido2"]["userAgent"] == "pytest"
    assert authenticator["fido2"]["fmt"] == ("none" if fmt == "none" else "packed")


@pytest.mark.parametrize("durability", ["process", "full"])
def test_registration_and_its_refusal_complete_under_either_durability(make_api, tmp_path, durability):
    """"process" verifies on the event loop, "full" (commits fsync) in a worker thread: same answers, same rows."""
    api = make_api(durability=durability, db_path=str(tmp_path / "rp.sqlite3"))
    enrolled = api.enroll_fido2("dora")
    token = enrolled["enrollment"]["statusToken"]
    assert api.attest(credential(enrolled), token)["status"] == "ok"
    assert api.status(token)["status"] == "succeeded"
    other, refused = api.enroll_fido2("erin"), api.enroll_fido2("dora")
    answer = api.attest(credential(other), refused["enrollment"]["statusToken"])  # made for another challenge
    assert (answer["status"], answer["errorCode"]) == ("failed", "client_data.challenge.mismatch")
    assert api.status(refused["enrollment"]["statusToken"])["status"] == "failed"


def test_creation_options_follow_the_documented_shape(api):
    enrolled = api.enroll_fido2("bob", attestation="none", authenticatorSelection={"userVerification": "required"})
    options = enrolled["enrollment"]["credentialCreationOptions"]
    assert options["rp"] == options["relyingParty"] == {"id": RP_ID, "name": "fidoconf reference RP"}
    # user.id is base64url of the userId string, user.name the userId (docs/server_apis.md §1.1).
    assert base64.urlsafe_b64decode(options["user"]["id"] + "==").decode() == enrolled["userId"]
    assert options["user"]["name"] == enrolled["userId"] and options["user"]["displayName"] == "bob display"
    assert len(b64url_decode(options["challenge"], field="challenge")) >= 16
    assert [p["alg"] for p in options["pubKeyCredParams"]] == list(offered_algorithms(PRESETS["strict"]))
    assert options["pubKeyCredParams"][0]["alg"] == -7 and -65535 not in [p["alg"] for p in options["pubKeyCredParams"]]
    assert options["timeout"] == TIMEOUT_MS and options["attestation"] == "none"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["excludeCredentials"] == []
    again = api.enroll_fido2("bob")["enrollment"]["credentialCreationOptions"]
    assert again["challenge"] != options["challenge"]


def test_exclude_credentials_lists_the_users_registered_credentials(api):
    seed = "exclude-me"
    enrolled = register(api, "carol", seed=seed)
    registered_id = credential(enrolled, seed=seed)["id"]
    options = api.enroll_fido2("carol")["enrollment"]["credentialCreationOptions"]
    assert [c["id"] for c in options["excludeCredentials"]] == [registered_id]


def test_credential_without_raw_id_is_accepted_as_documented(api):
    enrolled = api.enroll_fido2("dave")
    cred = credential(enrolled)
    del cred["rawId"]  # attestation-ref documents id, type, response only
    assert api.attest(cred, enrolled["enrollment"]["statusToken"])["status"] == "ok"


def test_user_verification_required_is_enforced(api):
    enrolled = api.enroll_fido2("erin", authenticatorSelection={"userVerification": "required"})
    answer = api.attest(credential(enrolled), enrolled["enrollment"]["statusToken"])
    assert_failed(answer, Code.AUTH_DATA_FLAGS_UV_MISSING)
    enrolled = api.enroll_fido2("erin", authenticatorSelection={"userVerification": "required"})
    answer = api.attest(credential(enrolled, user_verified=True), enrolled["enrollment"]["statusToken"])
    assert answer["status"] == "ok"


# --- single use, binding, timeouts ----------------------------------------------------------------------------


def test_replayed_attestation_fails_not_pending(api):
    enrolled = api.enroll_fido2("frank")
    cred, token = credential(enrolled), enrolled["enrollment"]["statusToken"]
    assert api.attest(cred, token)["status"] == "ok"
    assert_failed(api.attest(cred, token), RpCode.TRANSACTION_STATUS_NOT_PENDING)


def test_reused_status_token_fails_not_pending(api):
    enrolled = api.enroll_fido2("grace")
    token = enrolled["enrollment"]["statusToken"]
    assert api.attest(credential(enrolled), token)["status"] == "ok"
    # A fresh credential for the same (spent) challenge: the statusToken is what is refused.
    assert_failed(api.attest(credential(enrolled), token), RpCode.TRANSACTION_STATUS_NOT_PENDING)


def test_failed_attempt_spends_the_challenge(api):
    enrolled = api.enroll_fido2("heidi")
    token = enrolled["enrollment"]["statusToken"]
    bad = credential(enrolled)
    bad["response"]["clientDataJSON"] = bad["response"]["clientDataJSON"][:-2]
    assert api.attest(bad, token)["status"] == "failed"
    assert api.status(token)["status"] == "failed"
    assert_failed(api.attest(credential(enrolled), token), RpCode.TRANSACTION_STATUS_NOT_PENDING)


def test_replayed_challenge_under_another_transactions_status_token(api):
    first = api.enroll_fido2("ivan")
    second = api.enroll_fido2("ivan")
    answer = api.attest(credential(first), second["enrollment"]["statusToken"])
    assert_failed(answer, Code.CLIENT_DATA_CHALLENGE_MISMATCH)
    assert api.status(first["enrollment"]["statusToken"])["status"] == "pending"


def test_expired_transaction_fails_and_reports_failed(api, clock):
    enrolled = api.enroll_fido2("judy")
    token = enrolled["enrollment"]["statusToken"]
    clock.advance(milliseconds=TIMEOUT_MS)
    status = api.status(token)
    assert status["status"] == "failed" and status["errorCode"] == RpCode.TRANSACTION_TIMEOUT_EXPIRED.value
    assert_failed(api.attest(credential(enrolled), token), RpCode.TRANSACTION_TIMEOUT_EXPIRED)


def test_expired_transaction_refused_at_attestation_without_a_status_poll(api, clock):
    enrolled = api.enroll_fido2("judy2")
    clock.advance(milliseconds=TIMEOUT_MS + 1)
    assert_failed(
        api.attest(credential(enrolled), enrolled["enrollment"]["statusToken"]), RpCode.TRANSACTION_TIMEOUT_EXPIRED
    )


def test_duplicate_credential_id_is_refused(api):
    register(api, "mallory", seed="shared-credential")
    enrolled = api.enroll_fido2("oscar")
    answer = api.attest(credential(enrolled, seed="shared-credential"), enrolled["enrollment"]["statusToken"])
    assert_failed(answer, RpCode.CREDENTIAL_ID_ALREADY_REGISTERED)
    assert api.user(enrolled["userId"]).json()["status"] == "new"


def test_status_token_errors_are_coded(api):
    enrolled = api.enroll_fido2("peggy")
    cred = credential(enrolled)
    assert_failed(api.attest(cred, ""), RpCode.TOKEN_VALUE_MISSING)
    tampered = _tamper(enrolled["enrollment"]["statusToken"])
    assert_failed(api.attest(cred, tampered), RpCode.TOKEN_JWT_INVALID)
    assert_failed(api.attest(cred, "x"), RpCode.TOKEN_JWT_INVALID)  # not a JWT at all
    assert api.status(enrolled["enrollment"]["statusToken"])["status"] == "pending"  # none of that touched it


def test_a_transaction_token_is_not_a_status_token(api):
    enrolled = register(api, "quentin")
    status = api.status(enrolled["enrollment"]["statusToken"])
    answer = api.attest(credential(api.enroll_fido2("quentin")), status["token"])
    assert_failed(answer, RpCode.TOKEN_KIND_MISMATCH)


def test_expired_status_token(api, clock):
    enrolled = api.enroll_fido2("rupert")
    token = enrolled["enrollment"]["statusToken"]
    clock.advance(seconds=TIMEOUT_MS / 1000 + 300)  # past the transaction deadline and the status-token grace
    assert_failed(api.attest(credential(enrolled), token), RpCode.TOKEN_JWT_EXPIRED)
    assert api.status(token)["status"] == "unknown"
    assert api.introspect(token) == {"active": False}


# --- introspection ---------------------------------------------------------------------------------------------


def test_introspection_of_every_token_kind(api):
    assert api.introspect(KEY)["active"] is True and api.introspect(KEY)["aud"] == "api"
    enrolled = register(api, "sybil")
    status_token = enrolled["enrollment"]["statusToken"]
    info = api.introspect(status_token)
    assert info["active"] is True and info["token_type"] == "status" and info["exp"] > info["iat"]
    transaction_token = api.status(status_token)["token"]
    assert api.introspect(transaction_token)["active"] is True
    # The transaction token is consumable: a second introspection finds it spent.
    assert api.introspect(transaction_token) == {"active": False}
    intent = _intent(api, username="sybil")
    assert api.introspect(intent)["token_type"] == "intent"


def test_tampered_unknown_and_expired_tokens_are_inactive(api, clock):
    enrolled = register(api, "trent")
    transaction_token = api.status(enrolled["enrollment"]["statusToken"])["token"]
    assert api.introspect(_tamper(transaction_token)) == {"active": False}
    assert api.introspect("not-a-token") == {"active": False}
    foreign = jwt.encode(
        {"iss": ORIGIN + "/", "aud": "api", "sub": "x", "iat": 1, "jti": "j", "kind": "access"}, "k" * 32
    )
    assert api.introspect(foreign) == {"active": False}
    none_alg = jwt.encode({"iss": ORIGIN + "/", "kind": "status"}, None, algorithm="none")
    assert api.introspect(none_alg) == {"active": False}
    clock.advance(seconds=301)  # transaction tokens live 300 s
    assert api.introspect(transaction_token) == {"active": False}


def test_introspection_is_form_encoded_only(api):
    response = api.call("POST", "/api/v1/introspect", json={"token": KEY}, headers=api.bearer)
    assert response.status_code == 415
    form = {**api.bearer, "content-type": "application/x-www-form-urlencoded"}
    assert api.call("POST", "/api/v1/introspect", content=b"", headers=form).status_code == 400
    assert api.call("POST", "/api/v1/introspect", content=b"token=a&token=b", headers=form).status_code == 400


# --- intent tokens ---------------------------------------------------------------------------------------------


def _intent(api: NevisApi, **body) -> str:
    body.setdefault("operation", "enroll")
    assert_valid("nevis-cloud", "intent-request", body)
    response = api.call("POST", "/api/v1/intent", "intent-response", json=body, headers=api.bearer)
    assert response.status_code == 200, response.text
    return response.json()["intentToken"]


def test_intent_token_enrolls_once_for_its_user(api):
    intent = _intent(api, username="uma", channels=["fido2"])
    bearer = {"Authorization": f"Bearer {intent}"}
    body = {"username": "uma", "channel": "fido2", "displayName": "Uma"}
    assert api.enroll({**body, "username": "victor"}, headers=bearer).status_code == 403
    assert api.enroll({**body, "channel": "app"}, headers=bearer).status_code == 403
    assert api.enroll(body, headers=bearer).status_code == 200
    assert api.enroll(body, headers=bearer).status_code == 403  # one-time
    assert api.introspect(intent) == {"active": False}


def test_intent_token_is_no_access_key(api):
    intent = _intent(api, username="wendy")
    enrolled = api.enroll_fido2("wendy")
    bearer = {"Authorization": f"Bearer {intent}"}
    assert api.call("GET", f"/api/v1/users/{enrolled['userId']}", headers=bearer).status_code == 403
    assert api.call("POST", "/api/v1/introspect", data={"token": intent}, headers=bearer).status_code == 403


def test_intent_request_validation(api):
    assert api.call("POST", "/api/v1/intent", json={"username": "x"}, headers=api.bearer).status_code == 400
    body = {"username": "x", "operation": "approve"}
    assert api.call("POST", "/api/v1/intent", json=body, headers=api.bearer).status_code == 422
    body = {"userId": "6f1d3c55-2b8e-4f0e-9a53-5f3f3b6a9d11", "operation": "enroll"}
    assert api.call("POST", "/api/v1/intent", json=body, headers=api.bearer).status_code == 404


# --- Bearer enforcement on every REST route ---------------------------------------------------------------------

UUID = "6f1d3c55-2b8e-4f0e-9a53-5f3f3b6a9d11"
BEARER_ROUTES = [
    ("POST", "/api/v1/users/enroll", {"json": {"username": "z", "channel": "fido2", "displayName": "z"}}),
    ("POST", "/api/v1/introspect", {"data": {"token": KEY}}),
    ("POST", "/api/v1/intent", {"json": {"username": "z", "operation": "enroll"}}),
    ("GET", f"/api/v1/users/{UUID}", {}),
    ("DELETE", f"/api/v1/users/{UUID}", {}),
    ("PATCH", f"/api/v1/authenticators/{UUID}", {"json": {"name": "n"}}),
    ("DELETE", f"/api/v1/authenticators/{UUID}", {}),
    ("GET", "/ping", {}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), BEARER_ROUTES, ids=[f"{m} {p}" for m, p, _ in BEARER_ROUTES])
def test_bearer_routes_refuse_missing_and_wrong_keys(api, method, path, kwargs):
    missing = api.call(method, path, **kwargs)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert api.call(method, path, headers={"Authorization": "Basic dTpw"}, **kwargs).status_code == 401
    assert api.call(method, path, headers={"Authorization": "Bearer wrong-key"}, **kwargs).status_code == 403
    assert api.call(method, path, headers=api.bearer, **kwargs).status_code not in (401, 403)


def test_ping(api):
    response = api.call("GET", "/ping", headers=api.bearer)
    assert response.status_code == 200 and response.text == "PONG"


# --- users and authenticators -----------------------------------------------------------------------------------


def test_user_delete_then_404(api):
    enrolled = register(api, "xavier")
    path = f"/api/v1/users/{enrolled['userId']}"
    assert api.call("DELETE", path, headers=api.bearer).status_code == 204
    assert api.call("DELETE", path, headers=api.bearer).status_code == 404
    assert api.call("GET", path, headers=api.bearer).status_code == 404
    assert api.status(enrolled["enrollment"]["statusToken"])["status"] == "unknown"
    answer = api.attest(credential(enrolled), enrolled["enrollment"]["statusToken"])
    assert_failed(answer, RpCode.TRANSACTION_ID_UNKNOWN)


def test_authenticator_rename_delete_and_user_back_to_new(api, clock):
    enrolled = register(api, "yvonne")
    (authenticator,) = api.user(enrolled["userId"]).json()["authenticators"]
    path = f"/api/v1/authenticators/{authenticator['authenticatorId']}"
    clock.advance(seconds=1)
    renamed = api.call("PATCH", path, "authenticator-response", json={"name": "Work key"}, headers=api.bearer)
    assert renamed.status_code == 200 and renamed.json()["name"] == "Work key"
    assert renamed.json()["updatedAt"] > authenticator["updatedAt"]
    assert api.call("PATCH", path, json={"name": ""}, headers=api.bearer).status_code == 400
    assert api.call("DELETE", path, headers=api.bearer).status_code == 204
    assert api.call("DELETE", path, headers=api.bearer).status_code == 404
    assert api.call("PATCH", path, json={"name": "x"}, headers=api.bearer).status_code == 404
    user = api.user(enrolled["userId"]).json()
    assert user["status"] == "new" and user["authenticators"] == []


def test_authenticator_limit(make_api):
    api = make_api(authenticator_limit=2)
    register(api, "zoe")
    register(api, "zoe")
    refused = api.enroll({"username": "zoe", "channel": "fido2", "displayName": "Zoe"})
    assert refused.status_code == 422


def test_authenticator_limit_holds_for_concurrent_enrollments(make_api):
    api = make_api(authenticator_limit=1)
    first, second = api.enroll_fido2("amy"), api.enroll_fido2("amy")
    assert api.attest(credential(first), first["enrollment"]["statusToken"])["status"] == "ok"
    answer = api.attest(credential(second), second["enrollment"]["statusToken"])
    assert_failed(answer, RpCode.USER_AUTHENTICATORS_LIMIT_REACHED)


# --- request validation -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"channel": "fido2", "displayName": "n"}, 400),
        ({"username": "has space", "channel": "fido2", "displayName": "n"}, 400),
        ({"username": "u" * 301, "channel": "fido2", "displayName": "n"}, 400),
        ({"username": "u", "channel": "fido2"}, 400),
        ({"username": "u", "channel": "fido2", "displayName": "é" * 33}, 400),
        ({"username": "u", "channel": "carrier-pigeon"}, 400),
        ({"username": "u", "channel": "sms"}, 422),
        ({"username": "u", "channel": "fido2", "displayName": "n", "fido2Options": {"attestation": "all"}}, 400),
        ({"username": "u", "channel": "fido2", "displayName": "n", "fido2Options": {"attestation": ["direct"]}}, 400),
        (
            {
                "username": "u",
                "channel": "fido2",
                "displayName": "n",
                "fido2Options": {"authenticatorSelection": {"userVerification": {"required": 1}}},
            },
            400,
        ),  # fmt: skip
        ({"username": "u", "channel": "fido2", "displayName": "n", "fido2Options": []}, 400),
        ({"userId": "not-a-uuid"}, 400),
        ({"userId": UUID}, 404),
    ],
)
def test_enroll_validation(api, body, status):
    response = api.call("POST", "/api/v1/users/enroll", json=body, headers=api.bearer)
    assert response.status_code == status, response.text


def test_enroll_conflicting_user_id_and_username(api):
    enrolled = api.enroll_fido2("bea")
    body = {"userId": enrolled["userId"], "username": "someone-else", "channel": "fido2", "displayName": "B"}
    assert api.call("POST", "/api/v1/users/enroll", json=body, headers=api.bearer).status_code == 409


def test_enroll_refuses_other_media_types_and_huge_bodies(make_api):
    api = make_api(max_body_bytes=1024)
    form = api.call("POST", "/api/v1/users/enroll", data={"username": "u"}, headers=api.bearer)
    assert form.status_code == 415
    huge = {"username": "u", "channel": "fido2", "displayName": "n", "pad": "x" * 2048}
    assert api.call("POST", "/api/v1/users/enroll", json=huge, headers=api.bearer).status_code == 413
    enrolled = api.enroll_fido2("u")
    answer = api.attest({"pad": "x" * 2048}, enrolled["enrollment"]["statusToken"])
    assert_failed(answer, RpCode.REQUEST_BODY_TOO_LARGE)
    assert api.call("POST", "/api/v1/users/enroll", content=b"{", headers=api.bearer).status_code == 400


def test_unknown_routes_and_methods_use_the_error_envelope(api):
    assert api.call("GET", "/api/v1/nothing").status_code == 404
    wrong = api.call("GET", "/api/v1/status")
    assert wrong.status_code == 405 and "POST" in wrong.headers["allow"]


def test_status_needs_a_status_token_field(api):
    assert api.call("POST", "/api/v1/status", json={}).status_code == 400
    assert api.status("garbage")["status"] == "unknown"


# --- app channel ------------------------------------------------------------------------------------------------


def test_app_channel_completes_through_the_dispatch_token(api):
    response = api.enroll({"username": "carl"})  # channel defaults to app
    enrollment = response.json()["enrollment"]
    assert enrollment["qrCode"]["dataUri"].startswith("data:image/png;base64,")
    dispatch = dispatch_token_of(enrollment["appLinkUri"])
    redeemed = api.redeem(dispatch)
    assert redeemed["status"] == "ok" and redeemed["transactionId"] == enrollment["transactionId"]
    assert_failed(api.redeem(dispatch), RpCode.TOKEN_JTI_CONSUMED)
    assert api.introspect(dispatch) == {"active": False}
    options = redeemed["credentialCreationOptions"]
    cred = make_credential(
        rp_id=RP_ID, origin=ORIGIN, challenge=b64url_decode(options["challenge"], field="c"), fmt="packed-self",
        alg="ES256", seed="app-channel",
    ).credential  # fmt: skip
    assert api.attest(cred, redeemed["statusToken"])["status"] == "ok"
    assert api.status(enrollment["statusToken"])["status"] == "succeeded"


def test_app_channel_attestation_before_redemption_fails(api):
    enrollment = api.enroll({"username": "dora", "channel": "app"}).json()["enrollment"]
    fake = {"enrollment": {"credentialCreationOptions": {"challenge": b64url_encode(b"x" * 32)}}}
    answer = api.attest(credential(fake), enrollment["statusToken"])
    assert_failed(answer, RpCode.TRANSACTION_DISPATCH_NOT_REDEEMED)
    assert_failed(api.redeem(dispatch_token_of(enrollment["appLinkUri"])), RpCode.TRANSACTION_STATUS_NOT_PENDING)


def test_dispatch_token_errors(api, clock):
    assert_failed(api.redeem("nope"), RpCode.TOKEN_JWT_INVALID)
    enrollment = api.enroll({"username": "egon", "channel": "app"}).json()["enrollment"]
    assert_failed(api.redeem(enrollment["statusToken"]), RpCode.TOKEN_KIND_MISMATCH)
    clock.advance(milliseconds=TIMEOUT_MS)
    assert_failed(api.redeem(dispatch_token_of(enrollment["appLinkUri"])), RpCode.TOKEN_JWT_EXPIRED)


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    flipped = "A" if signature[0] != "A" else "B"
    return f"{header}.{payload}.{flipped}{signature[1:]}"
