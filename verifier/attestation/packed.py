"""Packed attestation (#sctn-packed-attestation): full (x5c) and self attestation."""

from __future__ import annotations

from ..certs import check_packed_attestation_certificate, load_x5c
from ..cose import verify_signature
from ..errors import Code, fail
from . import AttestationContext, StatementResult
from ._common import check_keys, statement_alg, statement_sig

#: Self attestation's result carries nothing per verification (and a NamedTuple is immutable): made once.
_SELF = StatementResult(attestation_type="self")


def verify(att_stmt: dict, ctx: AttestationContext) -> StatementResult:
    # ECDAA was removed in Level 2; a statement naming it cannot be verified and must not pass as self attestation.
    if "ecdaaKeyId" in att_stmt:
        raise fail(Code.ATT_STMT_ECDAA_UNSUPPORTED, "ECDAA attestation is not supported (removed in WebAuthn L2)")
    check_keys(att_stmt, required=("alg", "sig"), optional=("x5c",))
    alg = statement_alg(att_stmt, policy=ctx.policy)
    sig = statement_sig(att_stmt)
    signed = ctx.auth_data.raw + ctx.client_data_hash
    if "x5c" in att_stmt:
        return _full(att_stmt, alg, sig, signed, ctx)
    return _self(alg, sig, signed, ctx)


def _full(att_stmt: dict, alg, sig: bytes, signed: bytes, ctx: AttestationContext) -> StatementResult:
    # "If x5c is present: Verify that sig is a valid signature over the concatenation of authenticatorData and
    # clientDataHash using the attestation public key in attestnCert with the algorithm specified in alg."
    chain = load_x5c(att_stmt["x5c"], names=ctx.names)
    verify_signature(public_key=chain.leaf_key, alg=alg, signature=sig, data=signed)
    # "Verify that attestnCert meets the requirements in § 8.2.1 Certificate Requirements for Packed Attestation
    # Statements." and "If attestnCert contains an extension with OID 1.3.6.1.4.1.45724.1.1.4
    # (id-fido-gen-ce-aaguid) verify that the value of this extension matches the aaguid in authenticatorData."
    check_packed_attestation_certificate(chain.parsed[0], aaguid=ctx.auth_data.aaguid)
    # "If successful, return implementation-specific values representing attestation type Basic, AttCA or
    # uncertainty, and attestation trust path x5c." Without metadata, Basic is the honest claim.
    return StatementResult("basic", chain)


def _self(alg, sig: bytes, signed: bytes, ctx: AttestationContext) -> StatementResult:
    # "If x5c is not present, self attestation is in use. Validate that alg matches the algorithm of the
    # credentialPublicKey in authenticatorData."
    key = ctx.credential_key
    if alg.alg != key.alg.alg:
        raise fail(Code.ATT_STMT_ALG_MISMATCH, f"self attestation alg {alg.name} differs from key alg {key.alg.name}")
    # "Verify that sig is a valid signature over the concatenation of authenticatorData and clientDataHash using
    # the credential public key with alg."
    verify_signature(public_key=key.public_key, alg=alg, signature=sig, data=signed)
    return _SELF
