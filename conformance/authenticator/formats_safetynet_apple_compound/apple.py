"""apple (#sctn-apple-anonymous-attestation): an Apple-style anonymization certificate under the test PKI.

Stages a case may edit: leaf (LeafSpec, whose extensions carry the nonce), leaf_key (the certified public key),
att_stmt. The certificate is issued after the leaf edits, so a nonce defect is signed over by the test CA.
"""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .. import der
from ..keys import derive_key
from .common import DROP, Edit, LeafSpec, Parts, apply, case_maker, changed, intermediate_der, issue_leaf, to_der
from .common import leaf_changed as leaf

FMT = "apple"
NONCE_OID = x509.ObjectIdentifier("1.2.840.113635.100.8.2")
#: Encodes to as many octets as NONCE_OID: certificate surgery renames it to repeat the nonce extension.
_PLACEHOLDER_OID = x509.ObjectIdentifier("1.2.840.113635.100.8.9")
_SUBJECT = (
    (NameOID.STATE_OR_PROVINCE_NAME, "California"),
    (NameOID.ORGANIZATION_NAME, "fidoconf test (Apple-style)"),
    (NameOID.ORGANIZATIONAL_UNIT_NAME, "AAA Certification"),
)


def nonce_value(nonce: bytes, *, tag: int = 0xA1) -> bytes:
    """The extension value: DER of SEQUENCE { [1] EXPLICIT OCTET STRING nonce }."""
    return der.tlv(der.SEQUENCE, der.tlv(tag, der.tlv(der.OCTET_STRING, nonce)))


def statement(parts: Parts, edits: dict[str, Any]) -> Any:
    extensions = ((x509.UnrecognizedExtension(NONCE_OID, nonce_value(parts.nonce)), False),)
    cn = hashlib.sha256(parts.seed.encode()).hexdigest()
    spec = apply(edits, "leaf", LeafSpec(cn, extensions=extensions, subject_extra=_SUBJECT), parts)
    public_key = apply(edits, "leaf_key", parts.credential_key.public_key(), parts)
    cert = issue_leaf(parts, None, public_key, spec)
    cert_der = _rename_placeholder(cert, parts) if _has_placeholder(spec) else to_der(cert)
    return apply(edits, "att_stmt", {"x5c": [cert_der, intermediate_der(parts)]}, parts)


def _has_placeholder(spec: LeafSpec) -> bool:
    return any(extension.oid == _PLACEHOLDER_OID for extension, _ in spec.extensions)


def _rename_placeholder(cert: x509.Certificate, parts: Parts) -> bytes:
    """cryptography will not build a certificate with a repeated extension (RFC 5280 §4.2 forbids it), so the
    placeholder's OID is overwritten in the TBSCertificate and the test intermediate signs the result again."""
    tbs = cert.tbs_certificate_bytes
    old, new = _oid_der(_PLACEHOLDER_OID), _oid_der(NONCE_OID)
    assert tbs.count(old) == 1 and len(old) == len(new)
    tbs = tbs.replace(old, new)
    _, issuer_key = parts.pki.issuer("intermediate")
    signature = issuer_key.sign(tbs, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    return der.tlv(der.SEQUENCE, tbs + der.ECDSA_WITH["sha256"] + der.tlv(der.BIT_STRING, b"\x00" + signature))


def _oid_der(oid: x509.ObjectIdentifier) -> bytes:
    arcs = [int(a) for a in oid.dotted_string.split(".")]
    body = bytes([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        septets = [arc & 0x7F]
        while arc > 0x7F:
            arc >>= 7
            septets.append(0x80 | (arc & 0x7F))
        body += bytes(reversed(septets))
    return der.tlv(der.OID, body)


# --- edits ----------------------------------------------------------------------------------------------------


def nonce_extension(value) -> Edit:
    """Replace the nonce extension's value with value(parts)."""
    return lambda spec, parts: leaf(extensions=((x509.UnrecognizedExtension(NONCE_OID, value(parts)), False),))(
        spec, parts
    )


NONCE_OVER_AUTH_DATA = nonce_extension(lambda p: nonce_value(hashlib.sha256(p.auth_data).digest()))


def _repeated(spec: LeafSpec, parts: Parts) -> LeafSpec:
    second = x509.UnrecognizedExtension(_PLACEHOLDER_OID, nonce_value(bytes(32)))
    return leaf(extensions=(*spec.extensions, (second, False)))(spec, parts)


_case = case_maker(FMT, "apple")

MUTATIONS = (
    _case("valid", None, {}, None),
    _case("valid-with-alg", None, {"att_stmt": changed(alg=-7)}, None, "alg -7 as iOS 14 and macOS 11 devices sent it"),
    _case("x5c-missing", "x5c removed", {"att_stmt": changed(x5c=DROP)}, "att_stmt.x5c.missing"),
    _case("x5c-empty", "x5c is []", {"att_stmt": changed(x5c=[])}, "att_stmt.x5c.empty"),
    _case(
        "x5c-not-der",
        "x5c[0] is not a certificate",
        {"att_stmt": changed(x5c=[b"\x30\x03\x02\x01\x01"])},
        "att_stmt.x5c.cert_invalid",
    ),
    _case("extra-key", "attStmt.sig added", {"att_stmt": changed(sig=b"\x00")}, "att_stmt.key.unexpected"),
    _case("alg-text", "attStmt.alg is 'ES256'", {"att_stmt": changed(alg="ES256")}, "att_stmt.alg.type_invalid"),
    _case("nonce-missing", "no nonce extension", {"leaf": leaf(extensions=())}, "att_cert.nonce.missing"),
    _case(
        "nonce-mismatch",
        "nonce over authenticatorData alone",
        {"leaf": NONCE_OVER_AUTH_DATA},
        "att_cert.nonce.mismatch",
    ),
    _case(
        "nonce-short",
        "31-byte nonce",
        {"leaf": nonce_extension(lambda p: nonce_value(p.nonce[:31]))},
        "att_cert.nonce.mismatch",
    ),
    _case(
        "nonce-wrong-tag",
        "nonce under [0] instead of [1]",
        {"leaf": nonce_extension(lambda p: nonce_value(p.nonce, tag=0xA0))},
        "att_cert.nonce.malformed",
    ),
    _case(
        "nonce-bare-octets",
        "extension value is OCTET STRING nonce, no SEQUENCE",
        {"leaf": nonce_extension(lambda p: der.tlv(der.OCTET_STRING, p.nonce))},
        "att_cert.nonce.malformed",
    ),
    _case(
        "nonce-trailing-bytes",
        "a zero byte after the SEQUENCE",
        {"leaf": nonce_extension(lambda p: nonce_value(p.nonce) + b"\x00")},
        "att_cert.nonce.malformed",
    ),
    _case(
        "nonce-repeated",
        "the nonce extension twice, the second with a zero nonce",
        {"leaf": _repeated},
        "att_cert.extensions.malformed",
        "RFC 5280 §4.2: a certificate MUST NOT include more than one instance of a particular extension",
    ),
    _case(
        "key-mismatch",
        "credCert certifies another P-256 key",
        {"leaf_key": lambda _key, _p: derive_key("ES256", "fidoconf/apple/other-key").public_key()},
        "att_cert.public_key.mismatch",
    ),
)
