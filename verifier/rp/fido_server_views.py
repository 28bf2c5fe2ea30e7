"""JSON bodies of the fido-server flavour: ServerResponse and what extends it (FA-API, seed 002, docs/server_apis.md §2)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from ..errors import Code
from .http import iso
from .store import FAILED, PENDING, Transaction, User

#: The status service's names for the store's transaction states (docs/server_apis.md §2.3).
STATUS_NAMES = {PENDING: "initialized", "succeeded": "succeeded", FAILED: "failed"}


def ok(**fields: Any) -> dict[str, Any]:
    """ServerResponse success: `status` "ok" and an empty `errorMessage` (FA-API), then the endpoint's members."""
    return {"status": "ok", "errorMessage": "", **fields}


def failed_body(code: Code | str, message: str, *, session_id: str | None = None) -> dict[str, Any]:
    # FA-API: errorMessage "MUST NOT be empty when status is failed"; errorCode is fidoconf's stable code.
    body: dict[str, Any] = {"status": "failed", "errorMessage": message or str(code), "errorCode": str(code)}
    if session_id is not None:
        body["fido2SessionId"] = session_id
    return body


def failed(
    code: Code | str,
    message: str,
    *,
    http_status: int = 200,
    session_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(failed_body(code, message, session_id=session_id), status_code=http_status, headers=headers)


def get_options(
    *, challenge: str, timeout_ms: int, rp_id: str, user_verification: str, extensions: dict[str, Any] | None
) -> dict[str, Any]:
    """ServerPublicKeyCredentialGetOptionsResponse (FA-API §assertion/options, seed 002's authentication answer).

    allowCredentials is always empty: the reference serves registration only, and an empty list for every username
    never tells a caller which usernames hold credentials (#sctn-username-enumeration)."""
    body = ok(
        challenge=challenge,
        timeout=timeout_ms,
        rpId=rp_id,
        allowCredentials=[],
        userVerification=user_verification,
    )
    if extensions is not None:
        body["extensions"] = extensions
    return body


def status_body(tx: Transaction, user: User | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "fido2SessionId": tx.transaction_id,
        "status": STATUS_NAMES.get(tx.status, tx.status),
        "username": user.username if user else None,
        "createdAt": iso(tx.created_at),
        "timestamp": iso(tx.updated_at),
    }
    if tx.status == FAILED:
        body["errorCode"] = tx.error_code or ""
        body["errorMessage"] = tx.error_message or ""
    return body


def unknown_status_body(session_id: str) -> dict[str, Any]:
    """`unknown`: a session id this server never issued, or one of another flavour's transactions."""
    return {"fido2SessionId": session_id, "status": "unknown"}
