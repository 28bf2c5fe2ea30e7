"""android-safetynet (#sctn-android-safetynet-attestation): a SafetyNet-style JWS under a test attest.android.com leaf.

Stages a case may edit, in build order: signer (the JWS alg name), leaf (LeafSpec), header, payload (dicts), jws
(the compact serialization bytes, after signing), att_stmt. Edits before "jws" are signed over.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from ..keys import KTY_EC2, derive_key
from ..model import b64url
from .common import (
    DROP,
    Edit,
    LeafSpec,
    Parts,
    apply,
    case_maker,
    changed,
    intermediate_der,
    issue_leaf,
    policy_dependent,
    to_der,
)
from .common import leaf_changed as leaf

FMT = "android-safetynet"
HOST = "attest.android.com"


def statement(parts: Parts, edits: dict[str, Any]) -> Any:
    alg = apply(edits, "signer", "RS256", parts)
    signer = derive_key(alg, "fidoconf/android-safetynet/attestation")
    spec = apply(edits, "leaf", LeafSpec(HOST, san=(HOST,)), parts)
    cert = issue_leaf(parts, signer, signer.public_key(), spec)
    x5c = [to_der(cert)] if spec.issuer == "self" else [to_der(cert), intermediate_der(parts)]
    header = apply(edits, "header", {"alg": alg, "x5c": [base64.b64encode(c).decode() for c in x5c]}, parts)
    payload = apply(edits, "payload", _payload(parts), parts)
    segments = [_segment(header), _segment(payload)]
    signing_input = ".".join(segments).encode("ascii")
    signature = signer.sign(signing_input)
    if signer.spec.kty == KTY_EC2:  # RFC 7518 §3.4: ES256 signs as R || S
        r, s = decode_dss_signature(signature)
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    jws = apply(edits, "jws", f"{segments[0]}.{segments[1]}.{b64url(signature)}".encode("ascii"), parts)
    return apply(edits, "att_stmt", {"ver": "243030029", "response": jws}, parts)


def _payload(parts: Parts) -> dict[str, Any]:
    # The members of a SafetyNet compatibility-check response, issued 5 s before the vectors' verify_at.
    return {
        "nonce": base64.b64encode(parts.nonce).decode(),
        "timestampMs": _ms(parts, -timedelta(seconds=5)),
        "apkPackageName": "com.google.android.gms",
        "apkDigestSha256": base64.b64encode(hashlib.sha256(b"fidoconf-apk").digest()).decode(),
        "ctsProfileMatch": True,
        "apkCertificateDigestSha256": [base64.b64encode(hashlib.sha256(b"fidoconf-cert").digest()).decode()],
        "basicIntegrity": True,
        "evaluationType": "BASIC",
    }


def _segment(value: Any) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def _ms(parts: Parts, delta: timedelta) -> int:
    return int((parts.now + delta).timestamp() * 1000)


# --- edits ----------------------------------------------------------------------------------------------------

ES256: Edit = lambda _alg, _parts: "ES256"  # noqa: E731


def _raw_header(text: bytes) -> Edit:
    return lambda jws, _parts: b64url(text).encode() + b"." + jws.split(b".", 1)[1]


def _segments(transform) -> Edit:
    return lambda jws, _parts: b".".join(transform(jws.split(b".")))


def _flip_signature(segments: list[bytes]) -> list[bytes]:
    signature = base64.urlsafe_b64decode(segments[2] + b"=" * (-len(segments[2]) % 4))
    return [segments[0], segments[1], b64url(signature[:-1] + bytes([signature[-1] ^ 1])).encode()]


def _padded(segments: list[bytes]) -> list[bytes]:
    return [segments[0], segments[1] + b"=" * (-len(segments[1]) % 4 or 4), segments[2]]


def _nonce(value) -> Edit:
    return lambda payload, parts: {**payload, "nonce": value(parts)}


def _unpadded_x5c(header: dict, _parts: Parts) -> dict:
    last = header["x5c"][-1]
    return {**header, "x5c": [*header["x5c"][:-1], last.rstrip("=") if last.endswith("=") else last + "A"]}


_case = case_maker(FMT, "safetynet")
_MALFORMED = "safetynet_response.jws.malformed"

MUTATIONS = (
    _case("valid-rs256", None, {}, None),
    _case("valid-es256", None, {"signer": ES256}, None, "ES256 JWS under a P-256 leaf"),
    _case("valid-cn-only", None, {"leaf": leaf(san=None)}, None, "no SAN: the subject CN names the host"),
    _case("ver-missing", "ver removed", {"att_stmt": changed(ver=DROP)}, "safetynet.ver.missing"),
    _case("ver-empty", "ver is ''", {"att_stmt": changed(ver="")}, "safetynet.ver.invalid"),
    _case("ver-integer", "ver is 14", {"att_stmt": changed(ver=14)}, "safetynet.ver.invalid"),
    _case("response-missing", "response removed", {"att_stmt": changed(response=DROP)}, "safetynet.response.missing"),
    _case(
        "response-text",
        "response as a text string",
        {"att_stmt": lambda s, _p: {**s, "response": s["response"].decode()}},
        "safetynet.response.type_invalid",
    ),
    _case("att-stmt-extra-key", "attStmt.alg added", {"att_stmt": changed(alg=-257)}, "att_stmt.key.unexpected"),
    _case("jws-two-segments", "signature segment removed", {"jws": _segments(lambda s: s[:2])}, _MALFORMED),
    _case("jws-trailing-dot", "a fourth, empty segment", {"jws": lambda j, _p: j + b"."}, _MALFORMED),
    _case("jws-padded-segment", "payload segment with '=' padding", {"jws": _segments(_padded)}, _MALFORMED),
    _case("header-not-json", "header is {alg:RS256}", {"jws": _raw_header(b"{alg:RS256}")}, _MALFORMED),
    _case(
        "header-duplicate-alg",
        "header repeats alg",
        {"jws": _raw_header(b'{"alg":"RS256","alg":"none","x5c":[]}')},
        _MALFORMED,
    ),
    _case("payload-not-object", "payload is a JSON array", {"payload": lambda p, _p: [p]}, _MALFORMED),
    _case("alg-none", "header alg none", {"header": changed(alg="none")}, "safetynet_response.alg.unsupported"),
    _case("alg-hs256", "header alg HS256", {"header": changed(alg="HS256")}, "safetynet_response.alg.unsupported"),
    _case(
        "alg-key-mismatch",
        "header alg ES256 over an RSA leaf",
        {"header": changed(alg="ES256")},
        "safetynet_response.alg.key_mismatch",
    ),
    _case("crit", "header crit [exp]", {"header": changed(crit=["exp"], exp=1)}, "safetynet_response.crit.unsupported"),
    _case("x5c-missing", "header x5c removed", {"header": changed(x5c=DROP)}, "safetynet_response.x5c.missing"),
    _case(
        "x5c-not-array",
        "header x5c is a string",
        {"header": lambda h, _p: {**h, "x5c": h["x5c"][0]}},
        "safetynet_response.x5c.invalid",
    ),
    _case(
        "x5c-unpadded", "last x5c entry not padded base64", {"header": _unpadded_x5c}, "safetynet_response.x5c.invalid"
    ),
    _case(
        "x5c-not-der",
        "x5c[0] is base64 of text",
        {"header": lambda h, _p: {**h, "x5c": [base64.b64encode(b"not a certificate").decode(), *h["x5c"][1:]]}},
        "att_stmt.x5c.cert_invalid",
    ),
    _case(
        "signature-invalid",
        "last signature byte flipped",
        {"jws": _segments(_flip_signature)},
        "safetynet_response.signature.invalid",
    ),
    _case(
        "hostname-other",
        "leaf issued to attest.example.com",
        {"leaf": leaf(cn="attest.example.com", san=("attest.example.com",))},
        "att_cert.hostname.mismatch",
    ),
    _case(
        "hostname-wildcard",
        "leaf issued to *.android.com",
        {"leaf": leaf(cn="*.android.com", san=("*.android.com",))},
        "att_cert.hostname.mismatch",
    ),
    _case(
        "hostname-san-differs",
        "CN attest.android.com, SAN only attest.example.com",
        {"leaf": leaf(san=("attest.example.com",))},
        "att_cert.hostname.mismatch",
        "RFC 6125 §6.4.4: with a DNS-ID present the CN is not consulted",
    ),
    _case(
        "self-signed-leaf",
        "x5c is one self-signed attest.android.com certificate",
        {"leaf": leaf(issuer="self")},
        policy_dependent("trust.chain.untrusted", accepted_by=("strict", "permissive")),
        "the statement verifies; no anchor issues the leaf, so it is untrusted, fatal where trust is required",
    ),
    _case(
        "nonce-missing", "payload nonce removed", {"payload": changed(nonce=DROP)}, "safetynet_response.nonce.missing"
    ),
    _case(
        "nonce-hex",
        "nonce as hex",
        {"payload": _nonce(lambda p: p.nonce.hex())},
        "safetynet_response.nonce.mismatch",
    ),
    _case(
        "nonce-base64url",
        "nonce as unpadded base64url",
        {"payload": _nonce(lambda p: b64url(p.nonce))},
        "safetynet_response.nonce.mismatch",
    ),
    _case(
        "nonce-auth-data-only",
        "nonce over authenticatorData alone",
        {"payload": _nonce(lambda p: base64.b64encode(hashlib.sha256(p.auth_data).digest()).decode())},
        "safetynet_response.nonce.mismatch",
    ),
    _case(
        "cts-false",
        "ctsProfileMatch false",
        {"payload": changed(ctsProfileMatch=False)},
        policy_dependent("safetynet_response.cts_profile_match.false"),
    ),
    _case(
        "cts-missing",
        "ctsProfileMatch removed",
        {"payload": changed(ctsProfileMatch=DROP)},
        policy_dependent("safetynet_response.cts_profile_match.false"),
    ),
    _case(
        "basic-integrity-false",
        "basicIntegrity false",
        {"payload": changed(basicIntegrity=False)},
        policy_dependent("safetynet_response.basic_integrity.false"),
    ),
    _case(
        "timestamp-missing",
        "timestampMs removed",
        {"payload": changed(timestampMs=DROP)},
        "safetynet_response.timestamp.invalid",
    ),
    _case(
        "timestamp-text",
        "timestampMs as a string",
        {"payload": lambda p, _p: {**p, "timestampMs": str(p["timestampMs"])}},
        "safetynet_response.timestamp.invalid",
    ),
    _case(
        "timestamp-future",
        "timestampMs 10 minutes after verify_at",
        {"payload": lambda p, parts: {**p, "timestampMs": _ms(parts, timedelta(minutes=10))}},
        "safetynet_response.timestamp.future",
    ),
    _case(
        "timestamp-expired",
        "timestampMs 2 minutes before verify_at",
        {"payload": lambda p, parts: {**p, "timestampMs": _ms(parts, -timedelta(minutes=2))}},
        policy_dependent("safetynet_response.timestamp.expired"),
        "permissive sets no age limit",
    ),
)
