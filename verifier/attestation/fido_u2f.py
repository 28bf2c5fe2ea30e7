"""FIDO U2F attestation (#sctn-fido-u2f-attestation)."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec

from ..certs import load_x5c
from ..cose import ALGORITHMS, CRV_P256, KTY_EC2, verify_signature
from ..errors import Code, fail
from . import AttestationContext, StatementResult
from ._common import check_keys, statement_sig

_ES256 = ALGORITHMS[-7]


def verify(att_stmt: dict, ctx: AttestationContext) -> StatementResult:
    check_keys(att_stmt, required=("sig", "x5c"))
    if "x5c" not in att_stmt:
        raise fail(Code.ATT_STMT_X5C_MISSING, "fido-u2f attStmt.x5c missing")
    sig = statement_sig(att_stmt)
    # "Check that x5c has exactly one element and let attCert be that element."
    chain = load_x5c(att_stmt["x5c"], names=ctx.names)
    if len(chain) != 1:
        raise fail(Code.ATT_STMT_X5C_COUNT_INVALID, f"fido-u2f x5c has {len(chain)} certificates, exactly 1 allowed")
    cert_key = chain.leaf_key
    # "If certificate public key is not an Elliptic Curve (EC) public key over the P-256 curve, terminate this
    # algorithm and return an appropriate error."
    if not isinstance(cert_key, ec.EllipticCurvePublicKey) or not isinstance(cert_key.curve, ec.SECP256R1):
        raise fail(Code.ATT_CERT_PUBLIC_KEY_INVALID, "fido-u2f attestation certificate key is not P-256")
    # "Convert the COSE_KEY formatted credentialPublicKey ... to Raw ANSI X9.62 public key format": only an
    # EC2 P-256 credential key has that form.
    key = ctx.credential_key
    if key.kty != KTY_EC2 or key.crv != CRV_P256:
        raise fail(Code.COSE_KEY_CRV_UNSUPPORTED, "fido-u2f credential key is not an EC2 P-256 key")
    if ctx.policy.u2f_require_zero_aaguid and ctx.auth_data.aaguid != bytes(16):
        # CTAP2 #u2f-authenticatorMakeCredential-interoperability: a U2F authenticator has no AAGUID (all zeros).
        raise fail(Code.AUTH_DATA_AAGUID_NOT_ZERO, "fido-u2f attestation with a non-zero AAGUID")
    auth = ctx.auth_data
    # The COSE key's x (-2) and y (-3) are what cose_key_from_map checked to be 32 bytes each and loaded as this
    # P-256 point: the X9.62 form is them concatenated, without converting the loaded key back to numbers.
    params = auth.credential_public_key_params
    public_key_u2f = b"\x04" + params[-2] + params[-3]
    # "Let verificationData be the concatenation of (0x00 || rpIdHash || clientDataHash || credentialId ||
    # publicKeyU2F)".
    verification_data = b"\x00" + auth.rp_id_hash + ctx.client_data_hash + auth.credential_id + public_key_u2f
    verify_signature(public_key=cert_key, alg=_ES256, signature=sig, data=verification_data)
    # "If successful, return implementation-specific values representing attestation type Basic, AttCA or
    # uncertainty, and attestation trust path x5c."
    return StatementResult("basic", chain)
