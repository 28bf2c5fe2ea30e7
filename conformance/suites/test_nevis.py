"""NEVIS: the Nevis Authentication Cloud lifecycle around a registration (seeds 000, 003, 004).

Status transitions, introspection of every token kind, replay and reuse, Bearer enforcement, user and
authenticator management, the app channel. Facts: docs/server_apis.md §1.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlparse

import pytest
from fidoconf.conformance.cases import Case, case
from fidoconf.conformance.profiles import ProfileError
from fidoconf.conformance.profiles.nevis_cloud import submission_of
from fidoconf.conformance.schemas import check_response

STATUS = "#sctn-registering-a-new-credential"  # the ceremony the status endpoint reports on
API = "https://docs.nevis.net/authcloud/api-doc/api-reference/"



def _flip_last_char(token: str) -> str:
    head, _, sig = token.rpartition(".")
    return f"{head}.{sig[:-2]}{'A' if sig[-2] != 'A' else 'B'}{sig[-1]}"


@case(Case(
    id="NEVIS-STATUS-P01",
    title="a fresh enrollment is pending",
    requirement="POST /api/v1/status answers 200 with status 'pending' while the user has not completed the "
    "registration.",
    anchor=API + "status-ref",
    profile="nevis-cloud",
))
def test_status_pending(fidoconf):
    ceremony = fidoconf.profile.start_registration()
    body = fidoconf.profile.status_body(ceremony.handle["statusToken"])
    assert body["status"] == "pending", body
    assert body.get("transactionId") == ceremony.handle["transactionId"], body


@case(Case(
    id="NEVIS-STATUS-P02",
    title="an accepted attestation makes the transaction succeeded, with a transaction token",
    requirement="After a successful /_app/attestation/result the status is 'succeeded' and carries userId, "
    "username and a transaction token.",
    anchor=API + "status-ref",
    requires=("trusts-suite-ca",),
    profile="nevis-cloud",
))
def test_status_succeeded(fidoconf):
    ceremony, _, submission = fidoconf.register()
    assert submission.accepted, f"{submission.code}: {submission.message}"
    assert submission.body.get("token"), "attestation result carries no transaction token"
    body = fidoconf.profile.status_body(ceremony.handle["statusToken"])
    assert body["status"] == "succeeded", body
    assert body.get("userId") == ceremony.user_id and body.get("username") == ceremony.username, body
    assert body.get("token"), "status carries no transaction token"


@case(Case(
    id="NEVIS-STATUS-P03",
    title="a refused attestation makes the transaction failed",
    requirement="status 'failed' covers a registration the server refused (docs/server_apis.md §1.4).",
    anchor=API + "status-ref",
    profile="nevis-cloud",
))
def test_status_failed(fidoconf):
    ceremony, _, submission = fidoconf.register(variant="none", mutation="client-data-challenge-mismatch")
    assert not submission.accepted, "an attestation over a different challenge was accepted"
    assert fidoconf.profile.status(ceremony) == "failed"


@case(Case(
    id="NEVIS-STATUS-P04",
    title="a token naming no transaction is 'unknown'",
    requirement="status 'unknown': unknown transaction (a forged or foreign statusToken names none).",
    anchor=API + "status-ref",
    profile="nevis-cloud",
))
def test_status_unknown(fidoconf):
    ceremony = fidoconf.profile.start_registration()
    body = fidoconf.profile.status_body(_flip_last_char(ceremony.handle["statusToken"]))
    assert body["status"] == "unknown", body


def _introspect(fidoconf, token: str) -> dict:
    response = fidoconf.profile.introspect(token)
    assert response.status_code == 200, f"introspect answered HTTP {response.status_code}"
    check_response(fidoconf.target, "nevis-cloud", "introspect-response", response)
    return response.json()


def _assert_active(fidoconf, token: str, what: str) -> None:
    answer = _introspect(fidoconf, token)
    assert answer.get("active") is True, (
        f"POST /api/v1/introspect with {what} as the token must answer active: true; the target answered {answer!r}"
    )


@case(Case(
    id="NEVIS-INTRO-P01",
    title="the transaction token introspects active with its claims",
    requirement="The transaction token proves the result; introspect answers active with iat, exp, sub, aud, iss "
    "(RFC 7662 shape).",
    anchor=API + "introspect-ref",
    requires=("trusts-suite-ca",),
    profile="nevis-cloud",
))
def test_introspect_transaction_token(fidoconf):
    _, _, submission = fidoconf.register()
    assert submission.accepted, submission.message
    body = _introspect(fidoconf, submission.body["token"])
    assert body.get("active") is True, body
    for claim in ("iat", "exp", "sub", "iss"):
        assert claim in body, f"claim {claim} missing: {body}"


@case(Case(
    id="NEVIS-INTRO-P02",
    title="the status token introspects active",
    requirement="Supported tokens: the status token (from enroll).",
    anchor=API + "introspect-ref",
    profile="nevis-cloud",
))
def test_introspect_status_token(fidoconf):
    ceremony = fidoconf.profile.start_registration()
    _assert_active(fidoconf, ceremony.handle["statusToken"], "the enrollment's statusToken")


@case(Case(
    id="NEVIS-INTRO-P03",
    title="the access key introspects active",
    requirement="Supported tokens: the access key.",
    anchor=API + "introspect-ref",
    profile="nevis-cloud",
))
def test_introspect_access_key(fidoconf):
    _assert_active(fidoconf, fidoconf.config.access_key, "the configured access key")


@case(Case(
    id="NEVIS-INTRO-P04",
    title="an intent token introspects active",
    requirement="Supported tokens: the intent token (POST /api/v1/intent).",
    anchor=API + "intent-ref",
    requires=("nevis:intent",),
    profile="nevis-cloud",
))
def test_introspect_intent_token(fidoconf):
    token = _intent(fidoconf, fidoconf.profile.username())
    _assert_active(fidoconf, token, "an intent token from POST /api/v1/intent")


@case(Case(
    id="NEVIS-INTRO-F01",
    title="a tampered token introspects inactive",
    requirement="active false means the token must not be trusted: a token whose signature was altered.",
    anchor=API + "introspect-ref",
    profile="nevis-cloud",
))
def test_introspect_tampered(fidoconf):
    ceremony = fidoconf.profile.start_registration()
    assert _introspect(fidoconf, _flip_last_char(ceremony.handle["statusToken"])) == {"active": False}


@case(Case(
    id="NEVIS-INTRO-F02",
    title="garbage introspects inactive",
    requirement="active false for a value that is no token of this server.",
    anchor=API + "introspect-ref",
    profile="nevis-cloud",
))
def test_introspect_garbage(fidoconf):
    assert _introspect(fidoconf, "not-a-token") == {"active": False}


@case(Case(
    id="NEVIS-INTRO-F03",
    title="introspect refuses a JSON body with 415",
    requirement="Introspect is application/x-www-form-urlencoded (RFC 7662), not JSON.",
    anchor=API + "introspect-ref",
    profile="nevis-cloud",
))
def test_introspect_json_is_415(fidoconf):
    response = fidoconf.target.request(
        "POST", "/api/v1/introspect", json={"token": "x"}, headers=fidoconf.profile.bearer()
    )
    assert response.status_code == 415, f"HTTP {response.status_code}"


def _intent(fidoconf, username: str) -> str:
    response = fidoconf.target.request(
        "POST", "/api/v1/intent", json={"username": username, "operation": "enroll"}, headers=fidoconf.profile.bearer()
    )
    assert response.status_code == 200, f"intent answered HTTP {response.status_code}: {response.text[:200]}"
    check_response(fidoconf.target, "nevis-cloud", "intent-response", response)
    return response.json()["intentToken"]


@case(Case(
    id="NEVIS-INTENT-P01",
    title="an intent token is a one-time Bearer for enroll",
    requirement="The intent token is a short-lived, one-time token tied to one user and intent; it can be the "
    "Bearer of enroll, once.",
    anchor=API + "intent-ref",
    requires=("nevis:intent",),
    profile="nevis-cloud",
))
def test_intent_is_one_time(fidoconf):
    username = fidoconf.profile.username()
    token = _intent(fidoconf, username)
    body = {"username": username, "channel": "fido2", "displayName": username}
    first = fidoconf.profile.enroll(body, headers={"Authorization": f"Bearer {token}"})
    assert first.status_code == 200, f"first use: HTTP {first.status_code}"
    second = fidoconf.target.request(
        "POST", "/api/v1/users/enroll", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert second.status_code in (401, 403), f"second use: HTTP {second.status_code}"


#: Every REST route with the capability a server must declare to have it: a route the server does not offer
#: answers 404, which says nothing about its Bearer check.
BEARER_ROUTES = [
    ("POST", "/api/v1/users/enroll", {"json": {"username": "u1", "channel": "fido2", "displayName": "u1"}}, ()),
    ("POST", "/api/v1/introspect", {"data": {"token": "x"}}, ()),
    ("POST", "/api/v1/intent", {"json": {"username": "u1", "operation": "enroll"}}, ("nevis:intent",)),
    ("GET", "/api/v1/users/00000000-0000-4000-8000-000000000000", {}, ("nevis:users",)),
    ("DELETE", "/api/v1/users/00000000-0000-4000-8000-000000000000", {}, ("nevis:users",)),
    ("PATCH", "/api/v1/authenticators/00000000-0000-4000-8000-000000000000", {"json": {"name": "x"}},
     ("nevis:authenticators",)),
    ("DELETE", "/api/v1/authenticators/00000000-0000-4000-8000-000000000000", {}, ("nevis:authenticators",)),
]


def _bearer_cases(kind: str, first: int):
    status = 401 if kind == "missing" else 403
    out = []
    for offset, (method, path, kwargs, requires) in enumerate(BEARER_ROUTES):
        found = Case(
            id=f"NEVIS-AUTH-F{first + offset:02d}",
            title=f"{method} {path.split('/0000')[0]}: {kind} Bearer key → {status}",
            requirement=f"Server-to-server auth: Authorization: Bearer <access key> on every REST call; {kind} key "
            f"→ HTTP {status}.",
            anchor="https://docs.nevis.net/authcloud/api-doc/",
            requires=requires,
            profile="nevis-cloud",
        )
        out.append(pytest.param(method, path, kwargs, kind, status, id=found.id, marks=case(found)))
    return out


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "kind", "status"), _bearer_cases("missing", 1) + _bearer_cases("wrong", 8)
)
def test_bearer_enforced(fidoconf, method, path, kwargs, kind, status):
    headers = {} if kind == "missing" else {"Authorization": "Bearer wrong-key-" + "x" * 20}
    response = fidoconf.target.request(method, path, headers=headers, **kwargs)
    assert response.status_code == status, f"{method} {path} with {kind} key: HTTP {response.status_code}"
    check_response(fidoconf.target, "nevis-cloud", "error-response", response)


@case(Case(
    id="NEVIS-REPLAY-F01",
    title="the same attestation posted twice is refused the second time",
    requirement="#sctn-cryptographic-challenges: the returned challenge value in the client's response MUST match what was "
    "generated; challenges are single-use: a replayed attestation must not register again.",
    anchor="#sctn-cryptographic-challenges",
    requires=("trusts-suite-ca",),
    profile="nevis-cloud",
))
def test_replayed_attestation(fidoconf):
    ceremony, bundle, first = fidoconf.register()
    assert first.accepted, first.message
    again = fidoconf.profile.finish_registration(ceremony, bundle.credential)
    assert not again.accepted, "a replayed attestation was accepted"


@case(Case(
    id="NEVIS-REPLAY-F02",
    title="a spent statusToken cannot carry a second credential",
    requirement="#sctn-cryptographic-challenges: the returned challenge value in the client's response MUST match what was "
    "generated; the statusToken binds one transaction; after it succeeded, a new credential on it is "
    "refused.",
    anchor="#sctn-cryptographic-challenges",
    requires=("trusts-suite-ca",),
    profile="nevis-cloud",
))
def test_status_token_reuse(fidoconf):
    ceremony, _, first = fidoconf.register()
    assert first.accepted, first.message
    other = fidoconf.credential(ceremony, variant="packed-x5c")
    assert not fidoconf.profile.finish_registration(ceremony, other.credential).accepted


@case(Case(
    id="NEVIS-REPLAY-F03",
    title="a credential id already registered is refused",
    requirement="Verify that the credentialId is not yet registered for any user; if it is, the RP SHOULD fail "
    "this registration ceremony.",
    anchor="#sctn-registering-a-new-credential",
    severity="SHOULD",
    requires=("trusts-suite-ca",),
    profile="nevis-cloud",
))
def test_duplicate_credential_id(fidoconf):
    seed = f"duplicate/{fidoconf.profile.username()}"
    first_ceremony = fidoconf.profile.start_registration()
    first = fidoconf.credential(first_ceremony, seed=seed)
    assert fidoconf.profile.finish_registration(first_ceremony, first.credential).accepted
    # The same authenticator seed gives the same credential id and key, answering a new challenge.
    second_ceremony = fidoconf.profile.start_registration()
    again = fidoconf.credential(second_ceremony, seed=seed)
    assert again.credential["id"] == first.credential["id"]
    submission = fidoconf.profile.finish_registration(second_ceremony, again.credential)
    assert not submission.accepted, "a second registration of one credential id was accepted"
    if fidoconf.config.has("error-codes"):
        assert submission.code == "credential.id.already_registered", submission.code


@case(Case(
    id="NEVIS-REPLAY-F04",
    title="a statusToken of another transaction does not bind this attestation",
    requirement="Verify that the value of C.challenge equals the base64url encoding of pkOptions.challenge. "
    "The statusToken binds the result to its enrollment: an attestation made for transaction A, "
    "posted with B's statusToken, answers B's challenge wrongly and is refused.",
    anchor="#sctn-registering-a-new-credential",
    profile="nevis-cloud",
))
def test_foreign_status_token(fidoconf):
    a = fidoconf.profile.start_registration()
    b = fidoconf.profile.start_registration()
    bundle = fidoconf.credential(a, variant="none")
    submission = fidoconf.profile.finish_registration(b, bundle.credential)
    assert not submission.accepted, "an attestation for another transaction's challenge was accepted"
    if fidoconf.config.has("error-codes"):
        assert submission.code == "client_data.challenge.mismatch", submission.code


def _user(fidoconf, user_id: str):
    return fidoconf.target.request("GET", f"/api/v1/users/{user_id}", headers=fidoconf.profile.bearer())


@case(Case(
    id="NEVIS-USER-P01",
    title="a registered user is active and lists the authenticator",
    requirement="User status 'active': at least one registered authenticator; authenticators[] lists it.",
    anchor=API + "users-endpoint-ref",
    requires=("nevis:users", "trusts-suite-ca"),
    profile="nevis-cloud",
))
def test_user_active(fidoconf):
    ceremony, _, submission = fidoconf.register()
    assert submission.accepted, submission.message
    response = _user(fidoconf, ceremony.user_id)
    assert response.status_code == 200, response.status_code
    check_response(fidoconf.target, "nevis-cloud", "user-response", response)
    body = response.json()
    assert body["status"] == "active" and len(body["authenticators"]) == 1, body


@case(Case(
    id="NEVIS-USER-P02",
    title="deleting a user answers 204, then 404",
    requirement="DELETE /api/v1/users/{userId}: 204 No Content when deleted, 404 for an unknown id.",
    anchor=API + "users-endpoint-ref",
    requires=("nevis:users",),
    profile="nevis-cloud",
))
def test_delete_user(fidoconf):
    ceremony = fidoconf.profile.start_registration()
    path = f"/api/v1/users/{ceremony.user_id}"
    assert fidoconf.target.request("DELETE", path, headers=fidoconf.profile.bearer()).status_code == 204
    assert fidoconf.target.request("DELETE", path, headers=fidoconf.profile.bearer()).status_code == 404
    assert _user(fidoconf, ceremony.user_id).status_code == 404


def _registered_authenticator(fidoconf) -> tuple[str, str]:
    ceremony, _, submission = fidoconf.register()
    assert submission.accepted, submission.message
    return ceremony.user_id, _user(fidoconf, ceremony.user_id).json()["authenticators"][0]["authenticatorId"]


@case(Case(
    id="NEVIS-AUTHN-P01",
    title="an authenticator can be renamed",
    requirement="PATCH /api/v1/authenticators/{id} {name} returns the authenticator with the new name.",
    anchor=API + "authenticator-endpoint-ref",
    requires=("nevis:authenticators", "nevis:users", "trusts-suite-ca"),
    profile="nevis-cloud",
))
def test_rename_authenticator(fidoconf):
    _, authenticator_id = _registered_authenticator(fidoconf)
    response = fidoconf.target.request(
        "PATCH", f"/api/v1/authenticators/{authenticator_id}", json={"name": "Renamed key"},
        headers=fidoconf.profile.bearer(),
    )
    assert response.status_code == 200, response.status_code
    check_response(fidoconf.target, "nevis-cloud", "authenticator-response", response)
    assert response.json()["name"] == "Renamed key"


@case(Case(
    id="NEVIS-AUTHN-P02",
    title="deleting the last authenticator answers 204, then 404, and the user is new again",
    requirement="DELETE /api/v1/authenticators/{id}: 204, then 404; a user without authenticators is 'new'.",
    anchor=API + "authenticator-endpoint-ref",
    requires=("nevis:authenticators", "nevis:users", "trusts-suite-ca"),
    profile="nevis-cloud",
))
def test_delete_authenticator(fidoconf):
    user_id, authenticator_id = _registered_authenticator(fidoconf)
    path = f"/api/v1/authenticators/{authenticator_id}"
    assert fidoconf.target.request("DELETE", path, headers=fidoconf.profile.bearer()).status_code == 204
    assert fidoconf.target.request("DELETE", path, headers=fidoconf.profile.bearer()).status_code == 404
    assert _user(fidoconf, user_id).json()["status"] == "new"


@case(Case(
    id="NEVIS-LIMIT-F01",
    title="the per-user authenticator limit is enforced",
    requirement="'Allowed Authenticators per User': default maximum 10; one more registration is refused.",
    anchor="https://docs.nevis.net/authcloud/management-console/system",
    requires=("nevis:authenticator-limit", "trusts-suite-ca"),
    profile="nevis-cloud",
))
def test_authenticator_limit(fidoconf):
    limit = int(fidoconf.config.extra.get("authenticator_limit", 10))
    username = fidoconf.profile.username()
    for i in range(limit):
        _, _, submission = fidoconf.register(username=username)
        assert submission.accepted, f"registration {i + 1} of {limit} refused: {submission.message}"
    # The server may refuse at enroll (no options for a full user) or at the attestation result.
    try:
        _, _, over = fidoconf.register(username=username)
    except ProfileError as refused:
        assert "422" in str(refused) or "409" in str(refused), f"enroll refused oddly: {refused}"
        return
    assert not over.accepted, f"registration {limit + 1} was accepted"
    if fidoconf.config.has("error-codes"):
        assert over.code == "user.authenticators.limit_reached", over.code


@case(Case(
    id="NEVIS-APP-P01",
    title="the app channel answers a PNG QR code of the appLinkUri and completes through the dispatch token",
    requirement="channel app: enrollment carries qrCode {type image/png, dataUri} and appLinkUri with a dispatch "
    "token; the reference lets the app redeem it for creation options and post the attestation.",
    anchor="https://docs.nevis.net/authcloud/api-doc/api-use-cases/mobile-app/register-mobile-app",
    requires=("nevis:app-channel", "trusts-suite-ca"),
    profile="nevis-cloud",
))
def test_app_channel(fidoconf):
    username = fidoconf.profile.username()
    response = fidoconf.profile.enroll({"username": username, "channel": "app"})
    assert response.status_code == 200, response.status_code
    enrollment = response.json()["enrollment"]
    qr = enrollment["qrCode"]
    assert qr["type"] == "image/png" and qr["dataUri"].startswith("data:image/png;base64,")
    assert base64.b64decode(qr["dataUri"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    query = parse_qs(urlparse(enrollment["appLinkUri"]).query)
    dispatch = json.loads(base64.urlsafe_b64decode(query["dispatchTokenResponse"][0] + "=="))
    redeemed = fidoconf.target.request("POST", "/_app/dispatch/redeem", json={"dispatchToken": dispatch["dispatchToken"]})
    assert redeemed.status_code == 200, redeemed.status_code
    check_response(fidoconf.target, "nevis-cloud", "dispatch-redeem-response", redeemed)
    data = redeemed.json()
    from fidoconf.conformance.profiles import Ceremony

    options = data["credentialCreationOptions"]
    ceremony = Ceremony(options, fidoconf.profile.challenge_of(options).value, options["rp"]["id"],
                        username, None, {"statusToken": data["statusToken"]})
    bundle = fidoconf.credential(ceremony, variant="packed-x5c")
    submission = submission_of(fidoconf.profile.submit({**bundle.credential, "statusToken": data["statusToken"]}))
    assert submission.accepted, f"{submission.code}: {submission.message}"
    assert fidoconf.profile.status_body(enrollment["statusToken"])["status"] == "succeeded"
