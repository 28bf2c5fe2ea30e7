"""Just enough DER to put certificates and ECDSA signatures together differently (writing only: reading goes
through the verifier's DER reader, the project's one, and cryptography's signature decoder).

cryptography builds only well-formed, policy-respecting certificates (always v3, never SHA-1). Defects such
as a v1 attestation certificate or a SHA-1 signature are made here by editing the TBSCertificate and signing
it again with the issuer's key, so the certificate is still correctly signed and has exactly one defect.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from fidoconf.verifier.der import encoded_children, single

SEQUENCE, INTEGER, BIT_STRING, OCTET_STRING, OID = 0x30, 0x02, 0x03, 0x04, 0x06
VERSION_TAG, EXTENSIONS_TAG = 0xA0, 0xA3

#: AlgorithmIdentifier DER for the ECDSA signature algorithms certificate surgery uses (RFC 5758 §3.2).
ECDSA_WITH = {
    "sha1": bytes.fromhex("300906072a8648ce3d0401"),
    "sha256": bytes.fromhex("300a06082a8648ce3d040302"),
}


def length_bytes(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + length_bytes(len(content)) + content


def children(element: bytes) -> list[bytes]:
    """The encoded child elements of one constructed element (read by the verifier's DER reader: one home)."""
    return encoded_children(element)


def content(element: bytes) -> bytes:
    """The value octets of one element."""
    return single(element, "element").value


def integer(value: int, *, pad: int = 0) -> bytes:
    """DER INTEGER; `pad` extra leading zero octets make it non-minimal (a BER-only spelling)."""
    body = value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True) if value else b"\x00"
    return tlv(INTEGER, b"\x00" * pad + body)


def ecdsa_signature(r: int, s: int) -> bytes:
    return tlv(SEQUENCE, integer(r) + integer(s))


def ecdsa_values(signature: bytes) -> tuple[int, int]:
    return decode_dss_signature(signature)


def resign_certificate(
    cert_der: bytes,
    *,
    issuer_key: ec.EllipticCurvePrivateKey,
    hash_name: str = "sha256",
    version1: bool = False,
) -> bytes:
    """Re-sign a certificate with `issuer_key` after editing its TBSCertificate.

    `hash_name` switches the ECDSA digest (both AlgorithmIdentifiers are rewritten); `version1` drops the
    version and extensions fields, which is what an X.509 v1 certificate is.
    """
    tbs, _alg, _sig = children(cert_der)
    fields = children(tbs)
    algorithm = ECDSA_WITH[hash_name]
    edited = []
    for element in fields:
        tag = element[0]
        if version1 and tag in (VERSION_TAG, EXTENSIONS_TAG):
            continue
        edited.append(algorithm if _is_sig_alg(element) else element)
    new_tbs = tlv(SEQUENCE, b"".join(edited))
    digest = {"sha1": hashes.SHA1, "sha256": hashes.SHA256}[hash_name]()
    signature = issuer_key.sign(new_tbs, ec.ECDSA(digest, deterministic_signing=True))
    return tlv(SEQUENCE, new_tbs + algorithm + tlv(BIT_STRING, b"\x00" + signature))


def _is_sig_alg(element: bytes) -> bool:
    # The TBS signature AlgorithmIdentifier is the only SEQUENCE whose first child is an ecdsa-with-* OID.
    return any(element == value for value in ECDSA_WITH.values())
