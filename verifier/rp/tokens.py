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

import json
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jwt
from jwt.algorithms import HMACAlgorithm

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


class CheckedSecretHS256(HMACAlgorithm):
    """PyJWT's HS256 with the RP's secret vetted once. PyJWT vets an HMAC secret on every sign and verify (not a
    PEM, SSH or DER key, not a JWK: a DER parse attempt among them), which was a tenth of a token's cost; any other
    key still takes the full check."""

    def __init__(self, secret: bytes) -> None:
        super().__init__(HMACAlgorithm.SHA256)
        self.secret = super().prepare_key(secret)

    def prepare_key(self, key: str | bytes) -> bytes:
        return self.secret if key == self.secret else super().prepare_key(key)


def signer(secret: bytes) -> jwt.PyJWS:
    """A JWS signer/verifier that knows only HS256, with `secret` vetted once."""
    jws = jwt.PyJWS(algorithms=[ALGORITHM])
    jws.unregister_algorithm(ALGORITHM)
    jws.register_algorithm(ALGORITHM, CheckedSecretHS256(secret))
    return jws


@dataclass(frozen=True, slots=True)
class TokenService:
    key: bytes
    issuer: str
    clock: Callable[[], datetime]
    jws: jwt.PyJWS = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "jws", signer(self.key))

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
        # The JWT Claims Set as PyJWT's jwt.encode writes it (same bytes, same token), signed as a JWS.
        return self.jws.encode(json.dumps(payload, separators=(",", ":")).encode(), self.key, algorithm=ALGORITHM)

    def decode(self, token: object, *, kinds: Collection[str]) -> dict[str, Any]:
        """Claims of a valid, unexpired token of one of `kinds`; otherwise a coded VerificationError."""
        if token is None or token == "":
            raise fail(RpCode.TOKEN_VALUE_MISSING, "token missing")
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
            raise fail(RpCode.TOKEN_JWT_INVALID, "token is not a JWT issued by this server")
        try:
            signed = self.jws.decode_complete(token, self.key, algorithms=[ALGORITHM])["payload"]
            claims = json.loads(signed)
        except (jwt.PyJWTError, ValueError):  # ValueError: a payload that is not JSON text (or not UTF-8)
            raise fail(RpCode.TOKEN_JWT_INVALID, "token rejected: not a valid JWS of this server") from None
        # The claims PyJWT's jwt.decode would check with these options; time claims are checked below against the
        # injected clock, not the wall clock.
        if not isinstance(claims, dict):
            raise fail(RpCode.TOKEN_JWT_INVALID, "token rejected: the payload is not a JSON object")
        if any(claims.get(name) is None for name in _REQUIRED):
            raise fail(RpCode.TOKEN_JWT_INVALID, "token rejected: a required claim is missing")
        if claims["iss"] != self.issuer or not isinstance(claims["sub"], str) or not isinstance(claims["jti"], str):
            raise fail(RpCode.TOKEN_JWT_INVALID, "token rejected: issuer, subject or ID is not this server's")
        kind = claims.get("kind")
        if not isinstance(kind, str) or kind not in AUDIENCE or claims.get("aud") != AUDIENCE[kind]:
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
