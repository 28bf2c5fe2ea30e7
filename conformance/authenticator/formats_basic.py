"""The none, packed (self and x5c) and fido-u2f statement builders (#sctn-none-attestation,
#sctn-packed-attestation, #sctn-fido-u2f-attestation).

Their signed bytes and signature go through the `signed_data` and `signature` stages, so the defect catalogue's
signature mutations apply to them; x5c is made by `make_credential` before the `x5c` stage from the build's
ChainProfile (these are the formats whose chain the catalogue's certificate mutations shape).
"""

from __future__ import annotations

from typing import Any

from .model import Build, StatementInput


def none_statement(_build: Build, _given: StatementInput) -> dict[str, Any]:
    return {}


def packed_statement(build: Build, given: StatementInput) -> dict[str, Any]:
    # #sctn-packed-attestation: sig over authenticatorData || clientDataHash, by the credential key (self) or by
    # the attestation key whose certificate heads x5c.
    signed = given.stage("signed_data", build.auth_data + given.client_data_hash, build)
    signer = build.credential_key if build.variant == "packed-self" else build.attestation_key
    signature = given.stage("signature", signer.sign(signed), build)
    statement: dict[str, Any] = {"alg": signer.spec.alg, "sig": signature}
    if build.variant != "packed-self":
        statement["x5c"] = list(build.x5c)
    return statement


def fido_u2f_statement(build: Build, given: StatementInput) -> dict[str, Any]:
    # #sctn-fido-u2f-attestation: verificationData = 0x00 || rpIdHash || clientDataHash || credentialId ||
    # publicKeyU2F (0x04 || x || y).
    parts = given.parts
    signed = b"\x00" + parts.rp_id_hash + given.client_data_hash + parts.credential_id + _u2f_public_key(build)
    signed = given.stage("signed_data", signed, build)
    signature = given.stage("signature", build.attestation_key.sign(signed), build)
    return {"sig": signature, "x5c": list(build.x5c)}


def _u2f_public_key(build: Build) -> bytes:
    cose_map = build.cose_map
    if isinstance(cose_map, dict) and isinstance(cose_map.get(-2), bytes) and isinstance(cose_map.get(-3), bytes):
        return b"\x04" + cose_map[-2] + cose_map[-3]
    numbers = build.credential_key.public_key().public_numbers()
    return b"\x04" + numbers.x.to_bytes(32, "big") + numbers.y.to_bytes(32, "big")
