"""JSON bodies of the Nevis Authentication Cloud flavour (shapes: seed 000/003/004, docs/server_apis.md §1)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import segno
from starlette.responses import JSONResponse

from ..encoding import b64url_encode
from ..errors import Code
from .context import RPContext
from .http import iso
from .store import SUCCEEDED, Authenticator, Transaction, User

#: The Nevis sample renders its QR code at 300 px; the PNG is the largest whole-module scale that fits.
QR_TARGET_PIXELS = 300
QR_BORDER = 4
_TOKEN_NAMESPACE = uuid.UUID("6f1d3c55-2b8e-4f0e-9a53-5f3f3b6a9d11")


def user_json(user: User, authenticators: list[Authenticator]) -> dict[str, Any]:
    return {
        "userId": user.user_id,
        "username": user.username,
        # docs/server_apis.md §1.7: "new" until the user has a registered authenticator, then "active".
        "status": "active" if authenticators else "new",
        "createdAt": iso(user.created_at),
        "updatedAt": iso(user.updated_at),
        "lastLoginDateSuccess": None,
        "lastLoginDateFailure": None,
        "authenticators": [authenticator_json(a) for a in authenticators],
        "phones": [],
        "recoveryCodes": None,
    }


def authenticator_json(a: Authenticator) -> dict[str, Any]:
    return {
        "authenticatorId": a.authenticator_id,
        "name": a.name,
        "authenticatorType": "fido2",
        "state": a.state,
        "enrolledAt": iso(a.enrolled_at),
        "updatedAt": iso(a.updated_at),
        "fido2": {
            "credentialId": b64url_encode(a.credential_id),
            "aaguid": str(uuid.UUID(bytes=a.aaguid)) if len(a.aaguid) == 16 else a.aaguid.hex(),
            "alg": a.alg,
            "fmt": a.fmt,
            "attestationType": a.attestation_type,
            "trusted": a.trusted,
            "signCount": a.sign_count,
            "transports": list(a.transports),
            "userAgent": a.user_agent,
        },
    }


def ceremony_ok(**fields: Any) -> JSONResponse:
    return JSONResponse({"status": "ok", "errorMessage": "", "errorCode": "", **fields})


def ceremony_failed(code: Code | str, message: str) -> JSONResponse:
    """seed 004: a failed ceremony is 200 with status failed and a non-empty errorMessage; `token` is empty."""
    return JSONResponse({"status": "failed", "errorMessage": message or str(code), "errorCode": str(code), "token": ""})


def transaction_token(ctx: RPContext, tx: Transaction) -> str:
    """The transaction's one proof token. Derived from the stored transaction (fixed iat and jti), so the
    attestation answer and every later status poll hand out the same token, and introspection can spend it once."""
    if tx.status != SUCCEEDED:
        return ""
    return ctx.tokens.issue(
        "transaction",
        sub=tx.user_id,
        ttl_s=ctx.config.transaction_token_ttl_s,
        txn=tx.transaction_id,
        iat=int(tx.updated_at.timestamp()),
        jti=transaction_token_jti(tx.transaction_id),
        status=tx.status,
        authenticatorId=tx.authenticator_id,
    )


def transaction_token_jti(transaction_id: str) -> str:
    return uuid.uuid5(_TOKEN_NAMESPACE, f"transaction:{transaction_id}").hex


def status_json(ctx: RPContext, tx: Transaction, user: User | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "transactionId": tx.transaction_id,
        "status": tx.status,
        "userId": tx.user_id,
        "username": user.username if user else None,
        "token": transaction_token(ctx, tx),
        "createdAt": iso(tx.created_at),
        "lastUpdatedAt": iso(tx.updated_at),
    }
    if tx.status == "failed":
        body["errorCode"] = tx.error_code or ""
        body["errorMessage"] = tx.error_message or ""
    return body


def unknown_status_json() -> dict[str, Any]:
    return {
        "transactionId": None,
        "status": "unknown",
        "userId": None,
        "username": None,
        "token": "",
        "createdAt": None,
        "lastUpdatedAt": None,
    }


def app_link(ctx: RPContext, dispatch_token: str) -> str:
    """appLinkUri: `{base}open?dispatchTokenResponse=<base64url JSON>`, the shape of the Nevis sample."""
    payload = {"dispatchToken": dispatch_token, "redeemUri": ctx.config.base_url + "_app/dispatch/redeem"}
    encoded = b64url_encode(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
    return f"{ctx.config.base_url}open?dispatchTokenResponse={encoded}"


def qr_code(content: str) -> dict[str, Any]:
    symbol = segno.make(content, error="m", micro=False)
    modules = symbol.symbol_size(scale=1, border=QR_BORDER)[0]
    scale = max(1, QR_TARGET_PIXELS // modules)
    return {
        "type": "image/png",
        "size": modules * scale,
        "dataUri": symbol.png_data_uri(scale=scale, border=QR_BORDER),
    }
