"""Compact JWS (RFC 7515 §7.1) as WebAuthn meets it: a SafetyNet attestation response and the FIDO MDS3 BLOB.

Split and decoded here, once, strictly: exactly three unpadded base64url segments, a non-empty signature, a
header that is one JSON object without duplicate members, and x5c as standard base64 DER. Each caller names the
code a malformed JWS gets and then decides alg, key and signature its own way (SafetyNet with PyJWT's algorithm
objects, the BLOB with fido2.mds3).

Hand-written rather than PyJWT's `PyJWS`: PyJWT parses header and payload with plain `json.loads` (a duplicate
member silently takes the last value, where RFC 7515 §4 lets a parser reject it and fidoconf does), accepts
padded base64url, and reports every defect as one `DecodeError` message, where each caller here needs a code.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from typing import Any

from .encoding import b64url_decode, strict_json_object
from .errors import Code, VerificationError, fail


@dataclass(frozen=True, slots=True)
class CompactJws:
    header_b64: bytes
    payload_b64: bytes
    header: dict[str, Any]
    #: Decoded, not parsed: the caller checks the header (alg, crit) first, then parses with `payload_object`.
    payload: bytes
    signature: bytes

    @property
    def signing_input(self) -> bytes:
        return self.header_b64 + b"." + self.payload_b64

    def payload_object(self, *, code: Code, what: str) -> dict[str, Any]:
        # RFC 7515 §4: "JWS parsers MUST either reject JWSs with duplicate Header Parameter names or use a JSON
        # parser that returns only the lexically last duplicate member name". Rejecting is the reading every
        # parser agrees on; the payload gets the same rule.
        return strict_json_object(self.payload, code=code, what=f"{what} payload")


def parse_compact_jws(data: bytes, *, code: Code, what: str) -> CompactJws:
    """BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature); every defect is `code`."""
    parts = data.split(b".")
    if len(parts) != 3:
        raise fail(code, f"{what} is not a compact JWS: {len(parts)} segments, not 3")
    header_raw, payload, signature = (_segment(part, code=code, what=what) for part in parts)
    if not signature:
        raise fail(code, f"{what}: the JWS signature segment is empty")
    header = strict_json_object(header_raw, code=code, what=f"{what} header")
    return CompactJws(parts[0], parts[1], header, payload, signature)


def _segment(part: bytes, *, code: Code, what: str) -> bytes:
    try:
        return b64url_decode(part.decode("ascii"), field=what)
    except (VerificationError, UnicodeDecodeError):
        raise fail(code, f"{what}: a JWS segment is not unpadded base64url") from None


def x5c_der(value: object, *, code: Code, what: str) -> tuple[bytes, ...]:
    """RFC 7515 §4.1.6: "x5c ... a JSON array of certificate value strings. Each string in the array is a base64-
    encoded (Section 4 of [RFC4648] -- not base64url-encoded) DER [ITU.X690.2008] PKIX certificate value."""
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        raise fail(code, f"{what} x5c is not a non-empty array of strings")
    der = []
    for index, item in enumerate(value):
        try:
            der.append(binascii.a2b_base64(item, strict_mode=True))
        except (binascii.Error, ValueError):
            raise fail(code, f"{what} x5c[{index}] is not padded base64", index=index) from None
    return tuple(der)
