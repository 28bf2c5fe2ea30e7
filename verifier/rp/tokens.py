"""The RP's tokens: HS256 JWTs (PyJWT) with a kind, an audience per kind, and time from the injected clock.

Kinds and what they are for (API.md, "Tokens"):
  access       the REST Bearer key (aud "api"); never expires.
  intent       one-time Bearer for one enrollment of one user (aud "api").
  status       binds `_app/attestation/result` to its transaction and polls `/api/v1/status` (aud "status").
  transaction  proof of a succeeded operation, for `/api/v1/introspect` (aud "transaction").
  dispatch     one-time app-channel handle carried by the QR code / appLinkUri (aud "app").
Every token names its kind and audience, so no token of one kind is accepted where another is expected.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt

from ..errors import fail
from .errors import RpCode

ALGORITHM = "HS256"
AUDIENCE: dict[str, str] = {
    "access": "api",
    "intent": "api",
    "status": "status",
    "transaction": "transaction",
    "dispatch": "app",
}
SCOPE: dict[str, str] = {
    "access": "api",
    "intent": "enroll",
    "status": "status",
    "transaction": "registration",
    "dispatch": "dispatch",
}
#: A JWT this RP issues is a few hundred bytes; anything far larger is not one of ours and is not parsed.
MAX_TOKEN_LENGTH = 4096
_REQUIRED = ["iss", "aud", "sub", "iat", "jti", "kind"]


@dataclass(frozen=True, slots=True)
class TokenService:
    key: bytes
    issuer: str
    clock: Callable[[], datetime]

    def now(self) -> int:
        return int(self.clock().timestamp())

    def issue(
        self,
        kind: str,
        *,
        sub: str,
        ttl_s: int | None,
        txn: str | None = None,
        iat: int | None = None,
        jti: str | None = None,
        **claims: Any,
    ) -> str:
        """A signed token. Fixed `iat` and `jti` make it reproducible: the same inputs give the same JWT."""
        if kind not in AUDIENCE:
            raise ValueError(f"unknown token kind {kind!r}")
        iat = self.now() if iat is None else iat
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": AUDIENCE[kind],
            "sub": sub,
            "iat": iat,
            "jti": jti or uuid.uuid4().hex,
            "kind": kind,
            "scope": SCOPE[kind],
        }
        if ttl_s is not None:
            payload["exp"] = iat + ttl_s
        if txn is not None:
            payload["txn"] = txn
        payload.update(claims)
        return jwt.encode(payload, self.key, algorithm=ALGORITHM)

    def decode(self, token: object, *, kinds: Collection[str]) -> dict[str, Any]:
        """Claims of a valid, unexpired token of one of `kinds`; otherwise a coded VerificationError."""
        if token is None or token == "":
            raise fail(RpCode.TOKEN_VALUE_MISSING, "token missing")
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
            raise fail(RpCode.TOKEN_JWT_INVALID, "token is not a JWT issued by this server")
        try:
            # Time claims are checked below against the injected clock, not PyJWT's wall clock.
            claims = jwt.decode(
                token,
                self.key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "verify_aud": False,
                    "require": _REQUIRED,
                },
            )
        except jwt.PyJWTError as exc:
            raise fail(RpCode.TOKEN_JWT_INVALID, f"token rejected: {type(exc).__name__}") from None
        kind = claims.get("kind")
        if kind not in AUDIENCE or claims.get("aud") != AUDIENCE[kind]:
            raise fail(RpCode.TOKEN_JWT_INVALID, "token kind/audience unknown")
        if kind not in kinds:
            raise fail(RpCode.TOKEN_KIND_MISMATCH, f"a {kind} token is not accepted here")
        exp = claims.get("exp")
        if exp is not None:
            if not isinstance(exp, int) or isinstance(exp, bool):
                raise fail(RpCode.TOKEN_JWT_INVALID, "exp is not a NumericDate")
            # RFC 7519 §4.1.4: the token MUST NOT be accepted "on or after the expiration time".
            if self.now() >= exp:
                raise fail(RpCode.TOKEN_JWT_EXPIRED, f"{kind} token expired")
        return claims
