"""Apple anonymous attestation (#sctn-apple-anonymous-attestation).

Apple's anonymization CA issues a fresh certificate for each credential key and binds it to this ceremony with
a nonce extension (OID 1.2.840.113635.100.8.2) holding SHA-256(authenticatorData || clientDataHash). There is
no signature in the statement: the certificate is the proof. Whether x5c chains to the Apple WebAuthn Root CA
is decided by `verifier.trust` from the trust path returned here.

The extension's value is read with a few lines of strict DER rather than cryptography's declarative ASN.1
module, which cryptography documents as unstable and which needs cryptography >= 47:

    AppleAnonymousAttestation ::= SEQUENCE { nonce [1] EXPLICIT OCTET STRING }
"""

from __future__ import annotations

import hashlib
import hmac

from ..certs import Certificate, find_extension, load_x5c, public_key_matches
from ..errors import Code, fail
from . import AttestationContext, StatementResult
from ._common import check_keys, statement_alg

NONCE_OID = "1.2.840.113635.100.8.2"
_SEQUENCE, _CONTEXT_1, _OCTET_STRING = 0x30, 0xA1, 0x04


def verify(att_stmt: dict, ctx: AttestationContext) -> StatementResult:
    # "Verify that attStmt is valid CBOR conforming to the syntax defined above": appleStmtFormat = { x5c }.
    # Apple devices of 2020 (iOS 14, macOS 11; vectors f2n-apple, swa-apple) also sent alg: -7. It is tolerated,
    # as a well-formed COSE algorithm identifier, and nothing depends on it: the statement carries no signature.
    check_keys(att_stmt, required=("x5c",), optional=("alg",))
    if "alg" in att_stmt:
        statement_alg(att_stmt, policy=ctx.policy)
    if "x5c" not in att_stmt:
        raise fail(Code.ATT_STMT_X5C_MISSING, "apple attStmt.x5c missing")
    chain = load_x5c(att_stmt["x5c"], names=ctx.names)
    # "Concatenate authenticatorData and clientDataHash to form nonceToHash." and "Perform SHA-256 hash of
    # nonceToHash to produce nonce."
    nonce = hashlib.sha256(ctx.auth_data.raw + ctx.client_data_hash).digest()
    # "Verify that nonce equals the value of the extension with OID 1.2.840.113635.100.8.2 in credCert."
    if not hmac.compare_digest(certificate_nonce(chain.parsed[0]), nonce):
        raise fail(Code.ATT_CERT_NONCE_MISMATCH, "credCert nonce is not SHA-256(authenticatorData || clientDataHash)")
    # "Verify that the credential public key equals the Subject Public Key of credCert."
    if not public_key_matches(chain.leaf_key, ctx.credential_key.public_key):
        raise fail(Code.ATT_CERT_PUBLIC_KEY_MISMATCH, "credCert public key is not the credential public key")
    # "If successful, return implementation-specific values representing attestation type Anonymization CA and
    # attestation trust path x5c."
    return StatementResult("anonca", chain)


def certificate_nonce(cert: Certificate) -> bytes:
    """The nonce in credCert's 1.2.840.113635.100.8.2 extension; a repeated extension is refused by `certs`."""
    extension = find_extension(cert, NONCE_OID)
    if extension is None:
        raise fail(Code.ATT_CERT_NONCE_MISSING, f"credCert has no {NONCE_OID} nonce extension")
    try:
        explicit = _only(extension.value, _SEQUENCE)
        octets = _only(explicit, _CONTEXT_1)
        return _only(octets, _OCTET_STRING)
    except ValueError as exc:
        raise fail(
            Code.ATT_CERT_NONCE_MALFORMED, f"nonce extension is not SEQUENCE {{[1] OCTET STRING}}: {exc}"
        ) from None


def _only(data: bytes, tag: int) -> bytes:
    """The content of `data`, which must be exactly one DER element with `tag` (X.690 §10.1 definite lengths)."""
    if len(data) < 2 or data[0] != tag:
        raise ValueError(f"expected tag {tag:#04x}")
    length, pos = data[1], 2
    if length == 0x80 or length == 0xFF:
        raise ValueError("indefinite or reserved length")
    if length > 0x80:
        count = length & 0x7F
        if count > 2 or len(data) < pos + count or data[pos] == 0:
            raise ValueError("invalid long-form length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
        if length < 0x80:
            raise ValueError("non-minimal length")
    if pos + length != len(data):
        raise ValueError("length does not span the element exactly")
    return data[pos:]
