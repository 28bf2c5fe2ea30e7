"""Validation of fido-server request bodies (seed 002, docs/server_apis.md §2, docs/fido_conformance.md §1.3).

`POST {prefix}/attestation/options` serves both ceremonies on one path, "determined automatically from the content
of the request" (seed 002). The reference's rule (API.md, "fido-server flavour"): a body without `displayName` that
carries no registration-only member (`authenticatorSelection`, `attestation`) is an authentication request,
a ServerPublicKeyCredentialGetOptionsRequest; every other body is a registration request, for which `username` and
`displayName` are required. Malformed input is a ceremony failure (`request.body.invalid`), answered 200 + failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import VerificationError, fail
from .errors import RpCode
from .extensions import parse_inputs

MAX_NAME = 256
ATTESTATION = ("none", "indirect", "direct", "enterprise")
USER_VERIFICATION = ("required", "preferred", "discouraged")
RESIDENT_KEY = ("required", "preferred", "discouraged")
ATTACHMENT = ("platform", "cross-platform")
#: Members only a creation-options request has; their presence makes a displayName-less body a malformed
#: registration request rather than an authentication request.
REGISTRATION_ONLY = ("authenticatorSelection", "attestation")
#: What the result body carries besides the PublicKeyCredential itself.
RESULT_ENVELOPE = ("fido2SessionId", "userFriendlyName", "userAgent", "getClientExtensionResults")


@dataclass(frozen=True, slots=True)
class CreationRequest:
    """ServerPublicKeyCredentialCreationOptionsRequest."""

    username: str
    display_name: str
    #: As requested (echoed exactly), or None when the request had none.
    authenticator_selection: dict[str, Any] | None
    attestation: str
    extensions: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class GetRequest:
    """ServerPublicKeyCredentialGetOptionsRequest, recognised on the attestation path by the displayName rule."""

    username: str | None
    user_verification: str
    extensions: dict[str, Any] | None


def _invalid(message: str) -> VerificationError:
    return fail(RpCode.REQUEST_BODY_INVALID, message)


def _name(body: dict[str, Any], key: str, *, allow_empty: bool) -> str:
    value = body.get(key)
    if not isinstance(value, str) or len(value) > MAX_NAME or (not value and not allow_empty):
        raise _invalid(f"{key} must be a {'' if allow_empty else 'non-empty '}string of at most {MAX_NAME} characters")
    return value


def _choice(value: Any, allowed: tuple[str, ...], where: str) -> str:
    # A JSON list or object is no member of a tuple of strings, and never raises TypeError here.
    if not isinstance(value, str) or value not in allowed:
        raise _invalid(f"{where} must be one of {', '.join(allowed)}")
    return value


def parse_options(body: dict[str, Any]) -> CreationRequest | GetRequest:
    if "displayName" not in body and not any(key in body for key in REGISTRATION_ONLY):
        return _get_request(body)
    if "username" not in body:
        raise _invalid("username is required")
    if "displayName" not in body:
        raise _invalid("displayName is required in a registration request")
    username = _name(body, "username", allow_empty=False)
    display_name = _name(body, "displayName", allow_empty=True)
    attestation = _choice(body.get("attestation", "none"), ATTESTATION, "attestation")
    selection = _authenticator_selection(body.get("authenticatorSelection"))
    return CreationRequest(username, display_name, selection, attestation, parse_inputs(body.get("extensions")))


def _get_request(body: dict[str, Any]) -> GetRequest:
    username = _name(body, "username", allow_empty=False) if "username" in body else None
    user_verification = _choice(body.get("userVerification", "preferred"), USER_VERIFICATION, "userVerification")
    return GetRequest(username, user_verification, parse_inputs(body.get("extensions")))


def _authenticator_selection(value: Any) -> dict[str, Any] | None:
    """AuthenticatorSelectionCriteria, checked member by member and echoed unchanged (FIDO Req-1 P-1 deep-equals it)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _invalid("authenticatorSelection must be an object")
    for name, allowed in (
        ("authenticatorAttachment", ATTACHMENT),
        ("residentKey", RESIDENT_KEY),
        ("userVerification", USER_VERIFICATION),
    ):
        if name in value:
            _choice(value[name], allowed, f"authenticatorSelection.{name}")
    if "requireResidentKey" in value and not isinstance(value["requireResidentKey"], bool):
        raise _invalid("authenticatorSelection.requireResidentKey must be a boolean")
    return value


def session_id_of(body: dict[str, Any]) -> str | None:
    value = body.get("fido2SessionId")
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > 128:
        raise _invalid("fido2SessionId must be a non-empty string")
    return value


def credential_of(body: dict[str, Any]) -> dict[str, Any]:
    """The ServerPublicKeyCredential inside a result body, with its client extension results under their WebAuthn
    name: FA-API examples spell them `getClientExtensionResults` (after the JavaScript method)."""
    credential = {k: v for k, v in body.items() if k not in RESULT_ENVELOPE}
    if "clientExtensionResults" not in credential and "getClientExtensionResults" in body:
        credential["clientExtensionResults"] = body["getClientExtensionResults"]
    outputs = credential.get("clientExtensionResults")
    if outputs is not None and not isinstance(outputs, dict):
        raise _invalid("clientExtensionResults must be an object")
    return credential


def optional_text(body: dict[str, Any], name: str, *, limit: int = MAX_NAME) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 4 * limit:
        raise _invalid(f"{name} must be a string")
    return value[:limit]
