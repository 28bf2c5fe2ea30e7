"""Bodies of the SKFS flavour: the two response envelopes, key entries, the FIDO-ERR code of a verifier code.

SKFS ≤ 4.16 answers `{"Response", "responseCode", "skfsVersion", "skfsFQDN", "TXID"}` and reports errors as a
plain string `FIDO-ERR-xxxx: message`; 4.17 renamed the members `response` and `txid` and reports errors as the
same JSON envelope with a FIDO-ERR responseCode (docs/server_apis.md §3.5). `RPConfig.skfs_envelope` picks one.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import JSONResponse, PlainTextResponse, Response

from ..encoding import b64url_encode
from ..errors import Code, VerificationError
from .config import RPConfig
from .errors import RpCode
from .skfs_auth import SkfsError
from .store import Authenticator

ENVELOPES = ("4.16", "4.17")
#: Success codes (skfs-messages.properties: "Done with ... request").
MSG_PREREGISTER, MSG_REGISTER = "FIDO-MSG-0002", "FIDO-MSG-0004"
MSG_DEREGISTER, MSG_GETKEYSINFO, MSG_UPDATEKEYINFO = "FIDO-MSG-0010", "FIDO-MSG-0012", "FIDO-MSG-0020"
#: The verifier's codes for a publicKeyCredential member that is missing, as SKFS numbers them
#: (SKFSCommon.validateRegisterPayload); any other refusal of the credential is FIDO-ERR-2001.
_CREDENTIAL_CODES = {
    Code.CREDENTIAL_ID_MISSING: "FIDO-ERR-0058",
    Code.CREDENTIAL_RAW_ID_MISSING: "FIDO-ERR-0059",
    Code.CREDENTIAL_RESPONSE_MISSING: "FIDO-ERR-0060",
    Code.CREDENTIAL_TYPE_INVALID: "FIDO-ERR-0061",
    Code.CREDENTIAL_ATTESTATION_OBJECT_MISSING: "FIDO-ERR-0062",
    Code.CREDENTIAL_CLIENT_DATA_JSON_MISSING: "FIDO-ERR-0063",
    # SKFS removes a user session once used or flushed: "User session in-active".
    RpCode.TRANSACTION_STATUS_NOT_PENDING: "FIDO-ERR-0006",
    RpCode.TRANSACTION_ID_UNKNOWN: "FIDO-ERR-0006",
}
_TAG = " [fidoconf:{code}]"


def version(config: RPConfig) -> str:
    return f"{config.skfs_envelope}.0-fidoconf"


def fqdn(config: RPConfig) -> str:
    return urlsplit(config.base_url).hostname or "localhost"


def new_txid(config: RPConfig, now: datetime) -> str:
    """`<server>-<sequence>-<epoch ms>`, the shape of SKFS's TXID (`1-169-1679354369053`)."""
    return f"{config.skfs_server_id}-{secrets.randbelow(1_000_000)}-{int(now.timestamp() * 1000)}"


def success(
    config: RPConfig, *, response: Any, response_code: str, txid: str, app_txid: str | None = None, **extra: Any
) -> JSONResponse:
    legacy = config.skfs_envelope == "4.16"
    body: dict[str, Any] = {
        "Response" if legacy else "response": response,
        "responseCode": response_code,
        **extra,
        "skfsVersion": version(config),
        "skfsFQDN": fqdn(config),
        "TXID" if legacy else "txid": txid,
    }
    if app_txid is not None:
        body["appTXID"] = app_txid
    return JSONResponse(body)


def failure(config: RPConfig, error: SkfsError, *, txid: str) -> Response:
    """≤ 4.16: the message as text/plain; ≥ 4.17: the JSON envelope with the FIDO-ERR responseCode. fidoconf's
    own code, when there is one, closes the message as `[fidoconf:<code>]` so a suite can assert the reason."""
    message = error.message + (_TAG.format(code=error.code) if error.code else "")
    if config.skfs_envelope == "4.16":
        return PlainTextResponse(message, status_code=error.status)
    body = {
        "response": message,
        "responseCode": error.fido_code,
        "skfsVersion": version(config),
        "skfsFQDN": fqdn(config),
        "txid": txid,
    }
    return JSONResponse(body, status_code=error.status)


def unauthorized() -> Response:
    """docs/server_apis.md §3.0: any service-credential or HMAC failure is 401 with an empty body."""
    return Response(status_code=401)


def fido_code_for(code: Code | str) -> str:
    return _CREDENTIAL_CODES.get(code, "FIDO-ERR-2001")  # type: ignore[call-overload]


def ceremony_error(exc: VerificationError) -> SkfsError:
    """A refused registration: 400 with SKFS's code and its `FIDO 2 Error Message` wording."""
    fido_code = fido_code_for(exc.code)
    if exc.code is RpCode.TRANSACTION_TIMEOUT_EXPIRED:
        text = "FIDO 2 Error Message : Request timed out, please try again"
    elif fido_code == "FIDO-ERR-0006":
        text = f"User session in-active : {exc.message}"
    elif fido_code == "FIDO-ERR-2001":
        text = f"FIDO 2 Error Message : {exc.message or exc.code}"
    else:
        text = f"Invalid publicKeyCredential : {exc.message or exc.code}"
    return SkfsError(400, fido_code, f"{fido_code}: {text}", code=exc.code)


def keyid(config: RPConfig, did: int, a: Authenticator) -> str:
    return f"{config.skfs_server_id}-{did}-{a.seq}"


def _ms(value: datetime | None) -> int | None:
    return int(value.timestamp() * 1000) if value is not None else None


def key_json(config: RPConfig, did: int, a: Authenticator) -> dict[str, Any]:
    """One entry of getkeysinfo's `keys` (u2fGetKeysInfoBean): dates in epoch milliseconds."""
    meta = a.data.get("skfs") or {}
    return {
        "keyid": keyid(config, did, a),
        "fidoProtocol": "FIDO2_0",
        "credentialId": b64url_encode(a.credential_id),
        "aaguid": str(uuid.UUID(bytes=a.aaguid)) if len(a.aaguid) == 16 else a.aaguid.hex(),
        "createLocation": meta.get("createLocation"),
        "createDate": _ms(a.enrolled_at),
        "lastusedLocation": None,
        "lastUsedDate": None,
        "modifyLocation": meta.get("modifyLocation"),
        "modifyDate": _ms(a.updated_at),
        "status": "Active" if a.state == "active" else "Inactive",
        "displayName": a.name,
        "attestationFormat": a.fmt,
    }


def ping_text(config: RPConfig, *, did: int, now: datetime) -> str:
    """SKFS's ping is a few lines of text naming the server and the domain that answered."""
    return "\n".join(
        (
            f"fidoconf reference RP, StrongKey FIDO Server REST flavour (envelope {config.skfs_envelope})",
            f"Hostname: {fqdn(config)} (ServerID: {config.skfs_server_id})",
            f"Current time: {now.isoformat()}",
            f"FIDO Server Domain {did} is alive!",
        )
    )
