"""Validation of Nevis Authentication Cloud REST request bodies (seed 000/003, docs/server_apis.md §1.1, §1.6, §1.7).

A malformed field is a 400; a well-formed request the reference deliberately does not serve (push/sms channels,
the `approve` intent) is a 422. Unknown top-level fields are ignored, as a JSON API that evolves must.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from .http import ApiError

#: "Allowed characters a-z A-Z 0-9 _ - . @, at most 300 chars" (registration-ref).
USERNAME = re.compile(r"[A-Za-z0-9_.@-]{1,300}")
MAX_DISPLAY_NAME_BYTES = 64
CHANNELS = frozenset({"fido2", "app"})
#: Valid Nevis channels that this registration-only reference does not implement.
UNSUPPORTED_CHANNELS = frozenset({"push", "sms", "recovery"})
ATTESTATION = frozenset({"none", "indirect", "direct", "enterprise"})
USER_VERIFICATION = frozenset({"required", "preferred", "discouraged"})
RESIDENT_KEY = frozenset({"required", "preferred", "discouraged"})
ATTACHMENT = frozenset({"platform", "cross-platform"})
MAX_AUTHENTICATOR_NAME = 256


@dataclass(frozen=True, slots=True)
class EnrollRequest:
    username: str | None
    user_id: str | None
    channel: str
    display_name: str | None
    authenticator_selection: dict[str, Any] = field(default_factory=dict)
    attestation: str = "direct"


@dataclass(frozen=True, slots=True)
class IntentRequest:
    username: str | None
    user_id: str | None
    operation: str
    channels: tuple[str, ...]


def _bad(message: str) -> ApiError:
    return ApiError(400, message)


def _one_of(value: object, allowed: frozenset[str]) -> bool:
    # `in` on a set hashes the value first: a JSON list or object would raise TypeError, not fail the check.
    return isinstance(value, str) and value in allowed


def username_of(body: dict[str, Any]) -> str | None:
    value = body.get("username")
    if value is None:
        return None
    if not isinstance(value, str) or not USERNAME.fullmatch(value):
        raise _bad("username must be 1-300 characters of a-z A-Z 0-9 _ - . @")
    return value


def user_id_of(body: dict[str, Any]) -> str | None:
    value = body.get("userId")
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise _bad("userId must be a UUID string")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise _bad("userId must be a UUID string") from None


def parse_enroll(body: dict[str, Any]) -> EnrollRequest:
    username, user_id = username_of(body), user_id_of(body)
    if username is None and user_id is None:
        raise _bad("username or userId is required")
    channel = body.get("channel", "app")
    if not isinstance(channel, str):
        raise _bad("channel must be a string")
    if channel in UNSUPPORTED_CHANNELS:
        raise ApiError(422, f"channel {channel!r} is not served by this reference (fido2 and app are)")
    if channel not in CHANNELS:
        raise _bad(f"unknown channel {channel!r}")
    display_name = body.get("displayName")
    if display_name is not None and (
        not isinstance(display_name, str)
        or not display_name
        or len(display_name.encode("utf-8", "surrogatepass")) > MAX_DISPLAY_NAME_BYTES
    ):
        raise _bad("displayName must be a non-empty string of at most 64 bytes")
    if channel == "fido2":
        # registration-ref: username and displayName are "always required when channel=fido2".
        if username is None:
            raise _bad("username is required for channel fido2")
        if display_name is None:
            raise _bad("displayName is required for channel fido2")
    selection, attestation = _fido2_options(body.get("fido2Options"))
    return EnrollRequest(username, user_id, channel, display_name, selection, attestation)


def _fido2_options(value: object) -> tuple[dict[str, Any], str]:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise _bad("fido2Options must be an object")
    attestation = value.get("attestation", "direct")
    if not _one_of(attestation, ATTESTATION):
        raise _bad("fido2Options.attestation must be none, indirect, direct or enterprise")
    return _authenticator_selection(value.get("authenticatorSelection")), attestation


def _authenticator_selection(value: object) -> dict[str, Any]:
    """AuthenticatorSelectionCriteria as requested, completed with the reference's defaults."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise _bad("fido2Options.authenticatorSelection must be an object")
    checks = (
        ("authenticatorAttachment", ATTACHMENT),
        ("residentKey", RESIDENT_KEY),
        ("userVerification", USER_VERIFICATION),
    )
    selection: dict[str, Any] = {}
    for name, allowed in checks:
        if name in value:
            if not _one_of(value[name], allowed):
                raise _bad(f"authenticatorSelection.{name} must be one of {', '.join(sorted(allowed))}")
            selection[name] = value[name]
    if "requireResidentKey" in value:
        if not isinstance(value["requireResidentKey"], bool):
            raise _bad("authenticatorSelection.requireResidentKey must be a boolean")
        selection["requireResidentKey"] = value["requireResidentKey"]
    # #dom-authenticatorselectioncriteria-requireresidentkey: "Relying Parties SHOULD set it to true if, and
    # only if, residentKey is set to required." Derive whichever of the pair was not given from the other.
    if "residentKey" not in selection:
        selection["residentKey"] = "required" if selection.get("requireResidentKey") else "preferred"
    selection.setdefault("requireResidentKey", selection["residentKey"] == "required")
    selection.setdefault("userVerification", "preferred")
    return selection


def parse_intent(body: dict[str, Any]) -> IntentRequest:
    username, user_id = username_of(body), user_id_of(body)
    if username is None and user_id is None:
        raise _bad("username or userId is required")
    operation = body.get("operation")
    if operation == "approve":
        raise ApiError(422, "operation 'approve' is not served by this registration-only reference")
    if operation != "enroll":
        raise _bad("operation must be 'enroll' or 'approve'")
    channels = body.get("channels", sorted(CHANNELS))
    if not isinstance(channels, list) or not channels or not all(isinstance(c, str) for c in channels):
        raise _bad("channels must be a non-empty list of channel names")
    unknown = set(channels) - CHANNELS - UNSUPPORTED_CHANNELS
    if unknown:
        raise _bad(f"unknown channel(s) {sorted(unknown)}")
    return IntentRequest(username, user_id, operation, tuple(dict.fromkeys(channels)))


def parse_rename(body: dict[str, Any]) -> str:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_AUTHENTICATOR_NAME:
        raise _bad(f"name must be a non-empty string of at most {MAX_AUTHENTICATOR_NAME} characters")
    return name
