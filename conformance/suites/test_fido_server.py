"""FSRV: the fido-server API around a registration (nevisFIDO's FIDO2 HTTP API, the FIDO conformance-test API).

Options echo (FIDO Req-1 P-1), the shared options path's authentication rule (seed 002), session binding by
fido2SessionId and by cookie, the status service, ServerResponse errors and the HTTP errors; extensions and UV are in
test_fido_server_extensions.py. Facts: docs/server_apis.md §2, docs/fido_conformance.md §1.
"""

from __future__ import annotations

from typing import Any

from fidoconf.conformance.cases import Case, case
from fidoconf.conformance.profiles.fido_server import JSON_HEADERS, submission_of
from fidoconf.conformance.profiles.server_bytes import server_bytes
from fidoconf.conformance.schemas import check_response

REQ1 = "Server-ServerPublicKeyCredentialCreationOptions-Req-1"
FA_API = "https://github.com/fido-alliance/conformance-test-tools-resources/blob/main/docs/FIDO2/Server/Conformance-Test-API.md"
NEVISFIDO = "https://docs.nevis.net/nevisfido/reference-guide/fido2-http-api/"
OPTIONS_DOC = "https://docs.nevis.net/nevisid/api/get-attestation-options"
STATUS_DOC = NEVISFIDO + "status-service"



def _options(fidoconf, body: dict[str, Any], **kwargs: Any):
    return fidoconf.profile.options(body, **kwargs)


def _post(fidoconf, endpoint: str, **kwargs: Any):
    return fidoconf.target.request("POST", fidoconf.profile.path(endpoint), **kwargs)


def _refused(response) -> dict[str, Any]:
    """A ServerResponse refusal: status 'failed' (any HTTP status FA-API allows) and a non-empty errorMessage."""
    try:
        body = response.json()
    except ValueError:
        body = None
    assert isinstance(body, dict), (
        f"HTTP {response.status_code}, body is not a JSON ServerResponse: {response.text[:200]}"
    )
    assert body.get("status") == "failed", f"HTTP {response.status_code}, status {body.get('status')!r}"
    message = body.get("errorMessage")
    assert isinstance(message, str) and message, f"errorMessage {message!r} is empty on a failure"
    return body


# --- options ------------------------------------------------------------------------------------------------------


@case(Case(
    id="FSRV-OPT-P01",
    title="Req-1 P-1: ok, empty errorMessage, the requested user, attestation and authenticatorSelection",
    requirement="A ServerPublicKeyCredentialCreationOptionsRequest is answered with status 'ok', errorMessage '', "
    "user.name and user.displayName as requested, attestation strictly equal and authenticatorSelection deep-equal "
    "to the request (FIDO Req-1 P-1).",
    anchor="#dictdef-publickeycredentialcreationoptions",
    fido_ref=f"{REQ1} P-1",
    profile="fido-server",
))
def test_req1_p1_echo(fidoconf):
    username, display_name = fidoconf.profile.username(), "FIDO Conformance User"
    selection = {"requireResidentKey": False, "userVerification": "preferred"}
    body = {
        "username": username,
        "displayName": display_name,
        "authenticatorSelection": selection,
        "attestation": "direct",
    }
    options = _options(fidoconf, body).json()
    assert (options.get("status"), options.get("errorMessage")) == ("ok", ""), options
    user = options.get("user") or {}
    assert (user.get("name"), user.get("displayName")) == (username, display_name), f"user {user}"
    assert options.get("attestation") == "direct", f"attestation {options.get('attestation')!r}"
    assert options.get("authenticatorSelection") == selection, (
        f"authenticatorSelection {options.get('authenticatorSelection')}"
    )


@case(Case(
    id="FSRV-OPT-P02",
    title="creation options carry no GetAssertion-only member at the top level",
    requirement="The creation options have no rpId, allowCredentials or userVerification at the top level (the FIDO "
    "tool's client refuses such options), also when authenticatorSelection.userVerification is requested.",
    anchor="#dictdef-publickeycredentialcreationoptions",
    fido_ref=f"{REQ1} P-1",
    profile="fido-server",
))
def test_no_assertion_only_keys(fidoconf):
    ceremony = fidoconf.profile.start_registration(authenticator_selection={"userVerification": "required"})
    found = sorted({"rpId", "allowCredentials", "userVerification"} & set(ceremony.options))
    assert not found, f"top-level GetAssertion-only member(s) {found}"


@case(Case(
    id="FSRV-OPT-P03",
    title="the challenge is 16 to 64 bytes",
    requirement="ServerPublicKeyCredentialCreationOptionsResponse.challenge: base64url, minimum 16 bytes, maximum "
    "64 bytes (FA-API).",
    anchor="#sctn-cryptographic-challenges",
    fido_ref=f"{REQ1} P-1",
    profile="fido-server",
))
def test_challenge_bounds(fidoconf):
    size = len(fidoconf.profile.start_registration().challenge)
    assert 16 <= size <= 64, f"challenge is {size} bytes"


@case(Case(
    id="FSRV-OPT-F01",
    title="an options request without username fails with an errorMessage",
    requirement="username is required in ServerPublicKeyCredentialCreationOptionsRequest; a failure is status "
    "'failed' with a non-empty errorMessage.",
    anchor=FA_API,
    profile="fido-server",
))
def test_options_without_username(fidoconf):
    _refused(_options(fidoconf, {"displayName": "No Username", "attestation": "direct"}))


@case(Case(
    id="FSRV-OPT-F02",
    title="a registration request without displayName fails with an errorMessage",
    requirement="displayName is required in ServerPublicKeyCredentialCreationOptionsRequest: a request that carries "
    "registration-only members (attestation, authenticatorSelection) but no displayName fails.",
    anchor=FA_API,
    profile="fido-server",
))
def test_registration_without_display_name(fidoconf):
    body = {"username": fidoconf.profile.username(), "attestation": "direct", "authenticatorSelection": {}}
    _refused(_options(fidoconf, body))


# --- the shared options path's authentication rule ----------------------------------------------------------------


@case(Case(
    id="FSRV-AUTHN-P01",
    title="a displayName-less authentication request on the options path gets assertion options",
    requirement="The options path handles both ceremonies, the type determined from the request: a body without "
    "displayName asking for authentication is answered as ServerPublicKeyCredentialGetOptionsResponse (seed 002).",
    anchor=OPTIONS_DOC,
    requires=("nevisfido:combined-options",),
    profile="fido-server",
))
def test_authentication_request_on_options_path(fidoconf):
    response = _options(
        fidoconf, {"username": fidoconf.profile.username(), "userVerification": "preferred"}, schema="assertion-options-response"
    )
    body = response.json()
    assert body.get("status") == "ok", body
    assert "user" not in body and "pubKeyCredParams" not in body, f"creation options answered: {sorted(body)}"
    size = len(server_bytes(body.get("challenge"), field="challenge").value)  # the spelling is OPT-CHAL-P03's
    assert 16 <= size <= 64, f"challenge is {size} bytes"


# --- session binding ----------------------------------------------------------------------------------------------


@case(Case(
    id="FSRV-SESSION-P01",
    title="the options answer names its session (fido2SessionId)",
    requirement="The options response carries fido2SessionId, the identifier of the FIDO2 session the status "
    "service reports on.",
    anchor=NEVISFIDO + "authentication-options-service",
    requires=("nevisfido:session",),
    profile="fido-server",
))
def test_options_name_the_session(fidoconf):
    ceremony = fidoconf.profile.start_registration()
    value = ceremony.options.get("fido2SessionId")
    assert isinstance(value, str) and value, f"fido2SessionId {value!r}"


@case(Case(
    id="FSRV-SESSION-P02",
    title="a result bound by fido2SessionId alone is accepted",
    requirement="The result names its session with fido2SessionId; no cookie is needed.",
    anchor=NEVISFIDO + "registration-services/registration-service",
    requires=("nevisfido:session",),
    profile="fido-server",
))
def test_result_bound_by_session_id(fidoconf):
    ceremony = fidoconf.profile.start_registration(attestation="none")
    credential = fidoconf.credential(ceremony, variant="none").credential
    response = fidoconf.profile.submit({**credential, "fido2SessionId": ceremony.handle["fido2SessionId"]}, cookies="")
    submission = submission_of(response)
    assert submission.accepted, f"{submission.code}: {submission.message}"


@case(Case(
    id="FSRV-SESSION-P03",
    title="a result bound by the session cookie alone is accepted",
    requirement="The FIDO tool keeps the ceremony in a cookie session (fetch with credentials 'include') and sends "
    "no session id: the cookie of the options answer binds the result.",
    anchor=FA_API,
    requires=("fido-server:cookie-session",),
    profile="fido-server",
))
def test_result_bound_by_cookie(fidoconf):
    ceremony = fidoconf.profile.start_registration(attestation="none")
    assert ceremony.handle.get("cookies"), "the options answer set no cookie"
    credential = fidoconf.credential(ceremony, variant="none").credential
    submission = submission_of(fidoconf.profile.submit(credential, cookies=ceremony.handle["cookies"]))
    assert submission.accepted, f"{submission.code}: {submission.message}"


@case(Case(
    id="FSRV-SESSION-F01",
    title="a session takes one attestation",
    requirement="#sctn-cryptographic-challenges: the returned challenge value in the client's response MUST match what was "
    "generated; challenges are single-use: a second attestation for the options of a completed registration is "
    "refused.",
    anchor="#sctn-cryptographic-challenges",
    profile="fido-server",
))
def test_session_is_single_use(fidoconf):
    ceremony = fidoconf.profile.start_registration(attestation="none")
    first = fidoconf.profile.finish_registration(ceremony, fidoconf.credential(ceremony, variant="none").credential)
    assert first.accepted, f"{first.code}: {first.message}"
    second = fidoconf.profile.finish_registration(ceremony, fidoconf.credential(ceremony, variant="none").credential)
    assert not second.accepted, "a second attestation over the same options was accepted"


# --- status service -----------------------------------------------------------------------------------------------


@case(Case(
    id="FSRV-STATUS-P01",
    title="a fresh session is initialized",
    requirement="status 'initialized': the challenge was generated and the options returned.",
    anchor=STATUS_DOC,
    requires=("nevisfido:session",),
    profile="fido-server",
))
def test_status_initialized(fidoconf):
    assert fidoconf.profile.status(fidoconf.profile.start_registration()) == "initialized"


@case(Case(
    id="FSRV-STATUS-P02",
    title="an accepted attestation makes the session succeeded",
    requirement="status 'succeeded' after the registration was accepted.",
    anchor=STATUS_DOC,
    requires=("nevisfido:session",),
    profile="fido-server",
))
def test_status_succeeded(fidoconf):
    ceremony = fidoconf.profile.start_registration(attestation="none")
    submission = fidoconf.profile.finish_registration(
        ceremony, fidoconf.credential(ceremony, variant="none").credential
    )
    assert submission.accepted, f"{submission.code}: {submission.message}"
    assert fidoconf.profile.status(ceremony) == "succeeded"


@case(Case(
    id="FSRV-STATUS-P03",
    title="a refused attestation makes the session failed",
    requirement="status 'failed' after the registration was refused.",
    anchor=STATUS_DOC,
    requires=("nevisfido:session",),
    profile="fido-server",
))
def test_status_failed(fidoconf):
    ceremony, _, submission = fidoconf.register(variant="none", mutation="client-data-challenge-mismatch")
    assert not submission.accepted, "an attestation over a different challenge was accepted"
    assert fidoconf.profile.status(ceremony) == "failed"


@case(Case(
    id="FSRV-STATUS-P04",
    title="an id naming no session is unknown",
    requirement="status 'unknown': the fido2SessionId is not known.",
    anchor=STATUS_DOC,
    requires=("nevisfido:session",),
    profile="fido-server",
))
def test_status_unknown(fidoconf):
    assert fidoconf.profile.status_body(f"fidoconf-{fidoconf.profile.username()}")["status"] == "unknown"


# --- errors -------------------------------------------------------------------------------------------------------


@case(Case(
    id="FSRV-ERR-P01",
    title="a refused attestation is a ServerResponse with status failed and a non-empty errorMessage",
    requirement="ServerResponse.errorMessage MUST NOT be empty when status is 'failed' (FA-API).",
    anchor=FA_API,
    profile="fido-server",
))
def test_refusal_has_error_message(fidoconf):
    ceremony = fidoconf.profile.start_registration(attestation="none")
    credential = fidoconf.credential(ceremony, variant="none", mutation="client-data-challenge-mismatch").credential
    body = dict(credential)
    if "fido2SessionId" in ceremony.handle:
        body["fido2SessionId"] = ceremony.handle["fido2SessionId"]
    _refused(fidoconf.profile.submit(body, cookies=ceremony.handle.get("cookies", "")))


def _error(fidoconf, response, status: int) -> None:
    assert response.status_code == status, f"HTTP {response.status_code}, expected {status}"
    check_response(fidoconf.target, "fido-server", "error-response", response)


@case(Case(
    id="FSRV-HTTP-F01",
    title="a method other than POST is 405",
    requirement="405: the method is not POST.",
    anchor=OPTIONS_DOC,
    requires=("nevisfido:http-errors",),
    profile="fido-server",
))
def test_method_not_allowed(fidoconf):
    for endpoint in ("attestation/options", "attestation/result", "status"):
        response = fidoconf.target.request("GET", fidoconf.profile.path(endpoint), headers=JSON_HEADERS)
        _error(fidoconf, response, 405)


@case(Case(
    id="FSRV-HTTP-F02",
    title="a body that is not application/json is 415",
    requirement="415: the Content-Type is not application/json;charset=UTF-8.",
    anchor=OPTIONS_DOC,
    requires=("nevisfido:http-errors",),
    profile="fido-server",
))
def test_media_type_unsupported(fidoconf):
    body = f'{{"username": "{fidoconf.profile.username()}", "displayName": "x"}}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/json;charset=ISO-8859-1"):
        response = _post(
            fidoconf,
            "attestation/options",
            content=body.encode(),
            headers={**JSON_HEADERS, "Content-Type": content_type},
        )
        _error(fidoconf, response, 415)


@case(Case(
    id="FSRV-HTTP-F03",
    title="an Accept header without JSON is 406",
    requirement="406: the Accept header does not admit application/json.",
    anchor=OPTIONS_DOC,
    requires=("nevisfido:http-errors",),
    profile="fido-server",
))
def test_not_acceptable(fidoconf):
    body = {"username": fidoconf.profile.username(), "displayName": "x"}
    response = _post(fidoconf, "attestation/options", json=body, headers={"Accept": "text/html"})
    _error(fidoconf, response, 406)


@case(Case(
    id="FSRV-HTTP-F04",
    title="bodies that are not a JSON object are refused without a server error",
    requirement="A malformed body is a refusal (status 'failed' with an errorMessage; 400 from the status service), "
    "never a 5xx.",
    anchor=OPTIONS_DOC,
    requires=("nevisfido:http-errors",),
    profile="fido-server",
))
def test_malformed_bodies(fidoconf):
    for endpoint in ("attestation/options", "attestation/result", "status"):
        for raw in (b"{", b"[]", b"\xff\xfe", b'"text"'):
            response = _post(
                fidoconf, endpoint, content=raw, headers={**JSON_HEADERS, "Content-Type": "application/json"}
            )
            assert response.status_code < 500, f"{endpoint} answered HTTP {response.status_code} to {raw!r}"
            _refused(response)
