"""Validation of SKFS REST payloads (seed 001, docs/server_apis.md §3.1–§3.3).

Each missing or malformed field is a 400 with the FIDO-ERR code SKFS documents for it. The credential inside
`register` is not inspected here: the verifier reports its defects with fidoconf's codes, which the router
translates (skfs_views.fido_code_for).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import Code
from .errors import RpCode
from .http import encodable
from .skfs_auth import SkfsError

#: The `username` column is 256 characters; longer is FIDOJPA-ERR-1002 (docs/server_apis.md §3.1).
MAX_USERNAME = 256
MAX_TEXT = 512
ATTESTATION = frozenset({"none", "indirect", "direct", "enterprise"})
USER_VERIFICATION = frozenset({"required", "preferred", "discouraged"})
RESIDENT_KEY = frozenset({"required", "preferred", "discouraged"})
ATTACHMENT = frozenset({"platform", "cross-platform"})
KEY_STATUSES = {"active": "Active", "inactive": "Inactive"}
_KEYID = re.compile(r"([0-9]{1,9})-([0-9]{1,9})-([0-9]{1,18})")


@dataclass(frozen=True, slots=True)
class PreregisterRequest:
    username: str
    displayname: str
    attestation: str
    authenticator_selection: dict[str, Any]
    extensions: dict[str, Any] = field(default_factory=dict)
    app_txid: str | None = None


@dataclass(frozen=True, slots=True)
class RegisterRequest:
    credential: dict[str, Any]
    username: str
    origin: str
    version: str
    create_location: str
    app_txid: str | None = None


@dataclass(frozen=True, slots=True)
class KeyUpdate:
    keyid: str
    displayname: str
    status: str
    modify_location: str


@dataclass(frozen=True, slots=True)
class KeyId:
    server: int
    did: int
    counter: int


def bad(fido_code: str, message: str, *, code: Code | None = RpCode.REQUEST_BODY_INVALID) -> SkfsError:
    return SkfsError(400, fido_code, f"{fido_code}: {message}", code=code)


def _text(payload: dict[str, Any], name: str, fido_code: str, *, limit: int = MAX_TEXT) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value.strip():
        raise bad(fido_code, f"Missing or empty {name}")
    if len(value) > limit:
        raise bad(fido_code, f"{name} is longer than {limit} characters")
    return value


def username_of(payload: dict[str, Any]) -> str:
    value = payload.get("username")
    if not isinstance(value, str) or not value.strip():
        raise bad("FIDO-ERR-0048", "Missing or empty username")
    if len(value) > MAX_USERNAME:
        raise bad("FIDOJPA-ERR-1002", f"Invalid argument: username longer than {MAX_USERNAME} characters")
    return value


def app_txid_of(payload: dict[str, Any]) -> str | None:
    value = payload.get("appTXID")
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise bad("FIDO-ERR-0020", "Invalid request parameters: appTXID must be a string")
    return value


def payload_of(body: dict[str, Any], *, required: bool = True) -> dict[str, Any] | None:
    value = body.get("payload")
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise bad("FIDO-ERR-0047", "Invalid payload: missing or not a JSON object")
    return value


def parse_preregister(payload: dict[str, Any]) -> PreregisterRequest:
    username = username_of(payload)
    displayname = _text(payload, "displayname", "FIDO-ERR-0049")
    options = payload.get("options")
    if not isinstance(options, dict):
        raise bad("FIDO-ERR-0050", "Invalid options: missing or not a JSON object")
    attestation = options.get("attestation", "direct")
    if not isinstance(attestation, str) or attestation not in ATTESTATION:
        raise bad("FIDO-ERR-0050", "Invalid options: attestation must be none, indirect, direct or enterprise")
    return PreregisterRequest(
        username=username,
        displayname=displayname,
        attestation=attestation,
        authenticator_selection=_selection(options.get("authenticatorSelection")),
        extensions=_extensions(payload.get("extensions")),
        app_txid=app_txid_of(payload),
    )


def _one_of(value: object, allowed: frozenset[str]) -> bool:
    # `in` on a set hashes the value first: a JSON list or object would raise TypeError instead of failing.
    return isinstance(value, str) and value in allowed


def _selection(value: object) -> dict[str, Any]:
    """AuthenticatorSelectionCriteria as requested, completed with the reference's defaults."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise bad("FIDO-ERR-0050", "Invalid options: authenticatorSelection must be a JSON object")
    selection: dict[str, Any] = {}
    for name, allowed in (
        ("authenticatorAttachment", ATTACHMENT),
        ("residentKey", RESIDENT_KEY),
        ("userVerification", USER_VERIFICATION),
    ):
        if name in value:
            if not _one_of(value[name], allowed):
                raise bad("FIDO-ERR-0050", f"Invalid options: {name} must be one of {', '.join(sorted(allowed))}")
            selection[name] = value[name]
    if "requireResidentKey" in value:
        wanted = value["requireResidentKey"]
        if isinstance(wanted, bool):
            selection["requireResidentKey"] = wanted
        elif _one_of(wanted, RESIDENT_KEY):
            # SKFS's options take requireResidentKey as required/preferred/discouraged (docs/server_apis.md §3.1): that
            # is residentKey's vocabulary, so it becomes residentKey (unless that was given too).
            selection.setdefault("residentKey", wanted)
        else:
            raise bad("FIDO-ERR-0050", "Invalid options: requireResidentKey must be a boolean or "
                      "required/preferred/discouraged")  # fmt: skip
    # #dom-authenticatorselectioncriteria-requireresidentkey: "Relying Parties SHOULD set it to true if, and
    # only if, residentKey is set to required." Derive whichever of the pair was not given from the other.
    if "residentKey" not in selection:
        selection["residentKey"] = "required" if selection.get("requireResidentKey") else "preferred"
    selection.setdefault("requireResidentKey", selection["residentKey"] == "required")
    selection.setdefault("userVerification", "preferred")
    return selection


def _extensions(value: object) -> dict[str, Any]:
    """`extensions` is a string holding a JSON object ("{}" in every SKFS example); an object is taken as is."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise bad("FIDO-ERR-0014", "JSON parsing exception: extensions") from None
        if not encodable(value):
            raise bad("FIDO-ERR-0014", "JSON parsing exception: extensions holds a lone UTF-16 surrogate")
    if not isinstance(value, dict):
        raise bad("FIDO-ERR-0014", "JSON parsing exception: extensions must hold a JSON object")
    return value


def parse_register(payload: dict[str, Any]) -> RegisterRequest:
    credential = payload.get("publicKeyCredential")
    if not isinstance(credential, dict):
        raise bad("FIDO-ERR-0053", "Invalid publicKeyCredential: missing or not a JSON object")
    metadata = payload.get("strongkeyMetadata")
    if not isinstance(metadata, dict):
        raise bad("FIDO-ERR-0052", "Invalid strongkeyMetadata: missing or not a JSON object")
    version = _text(metadata, "version", "FIDO-ERR-0054")
    create_location = _text(metadata, "create_location", "FIDO-ERR-0055")
    username = username_of(metadata)
    origin = _text(metadata, "origin", "FIDO-ERR-0057")
    return RegisterRequest(credential, username, origin, version, create_location, app_txid_of(payload))


def parse_keyid(payload: dict[str, Any]) -> KeyId:
    value = payload.get("keyid")
    if not isinstance(value, str) or not value:
        raise bad("FIDO-ERR-0068", "Missing or empty keyid")
    match = _KEYID.fullmatch(value)
    if match is None:
        # The deprecated `<server>-<domain>-<username>-<counter>` form is not issued by this reference.
        raise bad("FIDO-ERR-0068", "Invalid keyid: expected <server>-<domain>-<counter>")
    return KeyId(*(int(part) for part in match.groups()))


def parse_update(payload: dict[str, Any]) -> tuple[KeyId, KeyUpdate]:
    keyid = parse_keyid(payload)
    displayname = _text(payload, "displayname", "FIDO-ERR-0049")
    status = payload.get("status")
    if not isinstance(status, str) or status.lower() not in KEY_STATUSES:
        raise bad("FIDO-ERR-0069", "Invalid status: must be Active or Inactive")
    modify_location = _text(payload, "modify_location", "FIDO-ERR-0070")
    return keyid, KeyUpdate(payload["keyid"], displayname, KEY_STATUSES[status.lower()], modify_location)
