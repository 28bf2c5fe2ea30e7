"""Android SafetyNet attestation (#sctn-android-safetynet-attestation).

The statement wraps a SafetyNet Attestation API response: a compact JWS signed by a certificate for
attest.android.com, whose payload carries nonce = Base64(SHA-256(authenticatorData || clientDataHash)). Google
shut the API down (docs/attacks.md E6), but recorded responses and servers that still accept them remain.

The JWS is parsed here only as far as WebAuthn needs, strictly: exactly three unpadded base64url segments, JSON
objects without duplicate members, alg RS256 or ES256 (never "none" or an HMAC), x5c as standard base64 DER.
The signature is checked with PyJWT's algorithm objects under the x5c[0] key; whether x5c chains to the
GlobalSign/GTS roots is decided outside the format, by `verifier.trust`, like every other trust path.

Freshness (timestampMs) is not in the WebAuthn text; SafetyNet's documentation asks the caller to check it.
`Policy.safetynet_max_age_ms` bounds its age (None turns that off: the permissive preset, because a recorded
response is old by nature) and `Policy.safetynet_clock_skew_ms` how far ahead of the clock it may be.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.api_jws import PyJWS

from ..certs import load_x5c
from ..encoding import is_int
from ..errors import Code, fail
from ..jws import parse_compact_jws, x5c_der
from ..policy import Policy
from . import AttestationContext, StatementResult
from ._common import check_keys

HOSTNAME = "attest.android.com"
#: JWS algorithms a SafetyNet response may carry, and the key type each needs (RFC 7518 §3.3, §3.4).
_KEY_TYPES: dict[str, type] = {"RS256": rsa.RSAPublicKey, "ES256": ec.EllipticCurvePublicKey}
_JWS = PyJWS(algorithms=list(_KEY_TYPES))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: JavaScript's safe-integer range bounds timestampMs: Google's servers emit JSON numbers, not bignums.
_MAX_TIMESTAMP_MS = 2**53 - 1


@dataclass(frozen=True, slots=True)
class Jws:
    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes


def verify(att_stmt: dict, ctx: AttestationContext) -> StatementResult:
    # "Verify that attStmt is valid CBOR conforming to the syntax defined above and perform CBOR decoding on it to
    # extract the contained fields": safetynetStmtFormat = { ver: text, response: bytes }.
    check_keys(att_stmt, required=("ver", "response"))
    ver = _ver(att_stmt)
    jws = parse_jws(_response(att_stmt))
    # "Verify that the SafetyNet response actually came from the SafetyNet service by following the steps in the
    # SafetyNet online documentation": the JWS verifies under x5c[0], which is issued to attest.android.com (and
    # chains to a trusted root, which verifier.trust decides from the trust path returned below).
    chain = _x5c(jws.header)
    _check_signature(jws, chain[0])
    check_hostname(chain[0])
    _check_nonce(jws.payload, ctx)
    _check_integrity(jws.payload, ctx.policy)
    timestamp = _check_timestamp(jws.payload, ctx)
    # "If successful, return implementation-specific values representing attestation type Basic and attestation
    # trust path x5c."
    return StatementResult(
        attestation_type="basic",
        trust_path=chain,
        info={
            "ver": ver,
            "jws_alg": jws.header["alg"],
            "timestamp": timestamp.isoformat(),
            "cts_profile_match": jws.payload.get("ctsProfileMatch"),
            "basic_integrity": jws.payload.get("basicIntegrity"),
            "apk_package_name": jws.payload.get("apkPackageName"),
            "evaluation_type": jws.payload.get("evaluationType"),
        },
    )


def _ver(att_stmt: dict) -> str:
    # "ver: The version number of Google Play Services responsible for providing the SafetyNet API." and "As of
    # this writing, there is only one format of the SafetyNet response and ver is reserved for future use."
    if "ver" not in att_stmt:
        raise fail(Code.SAFETYNET_VER_MISSING, "attStmt.ver missing")
    ver = att_stmt["ver"]
    if not isinstance(ver, str) or not ver:
        raise fail(Code.SAFETYNET_VER_INVALID, "attStmt.ver is not a non-empty text string")
    return ver


def _response(att_stmt: dict) -> bytes:
    # "response: The UTF-8 encoded result of the getJwsResult() call of the SafetyNet API. This value is a JWS
    # [RFC7515] object ... in Compact Serialization."
    if "response" not in att_stmt:
        raise fail(Code.SAFETYNET_RESPONSE_MISSING, "attStmt.response missing")
    response = att_stmt["response"]
    if not isinstance(response, bytes):
        raise fail(Code.SAFETYNET_RESPONSE_TYPE_INVALID, "attStmt.response is not a byte string")
    return response


def parse_jws(response: bytes) -> Jws:
    """The response as a compact JWS (verifier.jws), its header checked the way SafetyNet needs."""
    jws = parse_compact_jws(response, code=Code.SAFETYNET_RESPONSE_JWS_MALFORMED, what="response")
    # RFC 7515 §4.1.1: "alg" MUST be present and understood; §5.2 step 8 refuses an alg the RP does not accept.
    alg = jws.header.get("alg")
    if not isinstance(alg, str) or alg not in _KEY_TYPES:  # a JSON array or object is unhashable
        raise fail(Code.SAFETYNET_RESPONSE_ALG_UNSUPPORTED, f"JWS alg {alg!r} is not RS256 or ES256")
    # RFC 7515 §4.1.11: a "crit" extension the recipient does not understand makes the JWS invalid. None is.
    if "crit" in jws.header:
        raise fail(Code.SAFETYNET_RESPONSE_CRIT_UNSUPPORTED, "JWS header lists critical extensions")
    payload = jws.payload_object(code=Code.SAFETYNET_RESPONSE_JWS_MALFORMED, what="response")
    return Jws(jws.header, payload, jws.signing_input, jws.signature)


def _x5c(header: dict[str, Any]) -> tuple[x509.Certificate, ...]:
    if "x5c" not in header:
        raise fail(Code.SAFETYNET_RESPONSE_X5C_MISSING, "JWS header has no x5c")
    return load_x5c(list(x5c_der(header["x5c"], code=Code.SAFETYNET_RESPONSE_X5C_INVALID, what="JWS")))


def _check_signature(jws: Jws, leaf: x509.Certificate) -> None:
    alg = jws.header["alg"]
    key = leaf.public_key()
    if not isinstance(key, _KEY_TYPES[alg]) or (alg == "ES256" and not isinstance(key.curve, ec.SECP256R1)):
        raise fail(Code.SAFETYNET_RESPONSE_ALG_KEY_MISMATCH, f"JWS alg {alg} does not fit the x5c[0] key")
    # RFC 7518 §3.4: an ES256 JWS signature is R || S, 64 octets; PyJWT turns it into DER for cryptography.
    if alg == "ES256" and len(jws.signature) != 64:
        raise fail(Code.SAFETYNET_RESPONSE_SIGNATURE_INVALID, "ES256 JWS signature is not 64 octets")
    if not _JWS.get_algorithm_by_name(alg).verify(jws.signing_input, key, jws.signature):
        raise fail(Code.SAFETYNET_RESPONSE_SIGNATURE_INVALID, f"{alg} JWS signature does not verify under x5c[0]")


def check_hostname(leaf: x509.Certificate) -> None:
    """Level 2 #sctn-android-safetynet-attestation: "Verify that attestationCert is issued to the hostname
    "attest.android.com" (see SafetyNet online documentation)."

    "Issued to a hostname" is read as TLS does (RFC 6125 §6.4.4): the subjectAltName dNSName entries when there
    are any, otherwise the subject CN. Exact match, ASCII case-insensitive, no wildcard: a *.android.com
    certificate was not issued to the SafetyNet service.
    """
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = san.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        names = []
    except (ValueError, x509.DuplicateExtension) as exc:
        raise fail(Code.ATT_CERT_EXTENSIONS_MALFORMED, f"x5c[0] extensions do not parse: {exc}") from None
    if not names:
        try:
            names = [a.value for a in leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]
        except ValueError as exc:
            raise fail(Code.ATT_CERT_SUBJECT_INVALID, f"x5c[0] subject cannot be read: {exc}") from None
    if not any(isinstance(n, str) and n.lower() == HOSTNAME for n in names):
        raise fail(Code.ATT_CERT_HOSTNAME_MISMATCH, f"x5c[0] is issued to {names!r}, not {HOSTNAME}")


def expected_nonce(auth_data: bytes, client_data_hash: bytes) -> str:
    return base64.b64encode(hashlib.sha256(auth_data + client_data_hash).digest()).decode("ascii")


def _check_nonce(payload: dict[str, Any], ctx: AttestationContext) -> None:
    # "Verify that the nonce attribute in the payload of response is identical to the Base64 encoding of the
    # SHA-256 hash of the concatenation of authenticatorData and clientDataHash." Identical: the padded standard
    # alphabet, so hex, base64url or the raw hash are mismatches (w3c/webauthn#1018, docs/attacks.md E6).
    if "nonce" not in payload:
        raise fail(Code.SAFETYNET_RESPONSE_NONCE_MISSING, "SafetyNet payload has no nonce")
    nonce = payload["nonce"]
    expected = expected_nonce(ctx.auth_data.raw, ctx.client_data_hash)
    if not isinstance(nonce, str) or not hmac.compare_digest(nonce.encode("utf-8"), expected.encode("ascii")):
        raise fail(Code.SAFETYNET_RESPONSE_NONCE_MISMATCH, "payload nonce is not Base64(SHA-256(authData || hash))")


def _check_integrity(payload: dict[str, Any], policy: Policy) -> None:
    # Level 2: "Verify that the ctsProfileMatch attribute in the payload of response is true." Level 3 defers to
    # the SafetyNet documentation and the RP's policy; an absent or non-boolean verdict is not true.
    if policy.safetynet_require_cts_profile_match and payload.get("ctsProfileMatch") is not True:
        raise fail(Code.SAFETYNET_RESPONSE_CTS_PROFILE_MATCH_FALSE, "ctsProfileMatch is not true")
    if policy.safetynet_require_basic_integrity and payload.get("basicIntegrity") is not True:
        raise fail(Code.SAFETYNET_RESPONSE_BASIC_INTEGRITY_FALSE, "basicIntegrity is not true")


def _check_timestamp(payload: dict[str, Any], ctx: AttestationContext) -> datetime:
    # SafetyNet documentation: timestampMs is "Milliseconds past the UNIX epoch when the JWS response message was
    # generated by Google's servers"; the caller checks it is recent (py_webauthn 1.1.0 fixed a drift bug here).
    value = payload.get("timestampMs")
    if not is_int(value) or not 0 <= value <= _MAX_TIMESTAMP_MS:
        raise fail(Code.SAFETYNET_RESPONSE_TIMESTAMP_INVALID, f"timestampMs {value!r} is not a millisecond count")
    issued = _EPOCH + timedelta(milliseconds=value)
    now = ctx.clock()
    policy = ctx.policy
    if issued > now + timedelta(milliseconds=policy.safetynet_clock_skew_ms):
        raise fail(
            Code.SAFETYNET_RESPONSE_TIMESTAMP_FUTURE, f"timestampMs {issued.isoformat()} is after {now.isoformat()}"
        )
    if policy.safetynet_max_age_ms is not None and now - issued > timedelta(milliseconds=policy.safetynet_max_age_ms):
        raise fail(
            Code.SAFETYNET_RESPONSE_TIMESTAMP_EXPIRED,
            f"timestampMs {issued.isoformat()} is older than {policy.safetynet_max_age_ms} ms at {now.isoformat()}",
        )
    return issued
