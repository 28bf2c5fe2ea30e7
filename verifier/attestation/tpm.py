"""TPM attestation (#sctn-tpm-attestation).

The statement proves, with the TPM's attestation identity key (AIK), that the TPM holds the credential key:
`certInfo` is the TPM2_Certify() output naming `pubArea`, and `pubArea` must be the credential key. The
structures are parsed exactly in `tpm_structures`, the AIK certificate requirements (#sctn-tpm-cert-requirements)
live in `tpm_aik`; this module holds the statement's checks, in the spec's order.
"""

from __future__ import annotations

import hmac

from ..certs import check_aaguid_extension, load_x5c
from ..cose import KTY_EC2, KTY_RSA, Algorithm, CoseKey, verify_signature
from ..digest import digest
from ..errors import Code, fail
from ..policy import Policy
from . import AttestationContext, StatementResult
from ._common import check_keys, statement_alg, statement_sig
from .tpm_aik import check_aik_certificate
from .tpm_structures import (
    ECC_CURVES,
    NAME_HASHES,
    RSA_DEFAULT_EXPONENT,
    TPM_ALG_SHA1,
    TPM_GENERATED_VALUE,
    TPM_ST_ATTEST_CERTIFY,
    CertInfo,
    EccParms,
    PubArea,
    RsaParms,
    parse_cert_info,
    parse_pub_area,
)


def verify(att_stmt: dict, ctx: AttestationContext) -> StatementResult:
    # "Verify that attStmt is valid CBOR conforming to the syntax defined above": ver, alg, x5c, sig, certInfo,
    # pubArea; ECDAA (ecdaaKeyId) left the syntax in Level 2.
    if "ecdaaKeyId" in att_stmt:
        raise fail(Code.ATT_STMT_ECDAA_UNSUPPORTED, "ECDAA attestation is not supported (removed in WebAuthn L2)")
    check_keys(att_stmt, required=("ver", "alg", "x5c", "sig", "certInfo", "pubArea"))
    _check_ver(att_stmt)
    alg = statement_alg(att_stmt, policy=ctx.policy)
    if alg.hash is None:
        # extraData is "the hash of attToBeSigned using the hash algorithm employed in alg": alg needs one.
        raise fail(Code.ATT_STMT_ALG_UNSUPPORTED, f"{alg.name} has no hash algorithm; tpm cannot use it")
    sig = statement_sig(att_stmt)
    pub_area_raw = _bytes_field(att_stmt, "pubArea", Code.TPM_PUB_AREA_MISSING, Code.TPM_PUB_AREA_TYPE_INVALID)
    cert_info_raw = _bytes_field(att_stmt, "certInfo", Code.TPM_CERT_INFO_MISSING, Code.TPM_CERT_INFO_TYPE_INVALID)
    pub_area = parse_pub_area(pub_area_raw)
    cert_info = parse_cert_info(cert_info_raw)

    # "Verify that the public key specified by the parameters and unique fields of pubArea is identical to the
    # credentialPublicKey in the attestedCredentialData in authenticatorData."
    _check_pub_area_key(pub_area, ctx.credential_key)
    # "Concatenate authenticatorData and clientDataHash to form attToBeSigned."
    att_to_be_signed = ctx.auth_data.raw + ctx.client_data_hash
    _check_cert_info(cert_info, pub_area, alg, att_to_be_signed, policy=ctx.policy)

    # "Verify that x5c is present."
    if "x5c" not in att_stmt:
        raise fail(Code.ATT_STMT_X5C_MISSING, "tpm attStmt.x5c missing")
    chain = load_x5c(att_stmt["x5c"], names=ctx.names)
    # "Verify the sig is a valid signature over certInfo using the attestation public key in aikCert with the
    # algorithm specified in alg."
    verify_signature(public_key=chain.leaf_key, alg=alg, signature=sig, data=cert_info_raw)
    # "Verify that aikCert meets the requirements in § 8.3.1 TPM Attestation Statement Certificate Requirements."
    info = check_aik_certificate(chain.parsed[0], policy=ctx.policy)
    # "If aikCert contains an extension with OID 1.3.6.1.4.1.45724.1.1.4 (id-fido-gen-ce-aaguid) verify that the
    # value of this extension matches the aaguid in authenticatorData."
    check_aaguid_extension(chain.parsed[0], aaguid=ctx.auth_data.aaguid)
    # "If successful, return implementation-specific values representing attestation type AttCA and attestation
    # trust path x5c."
    return StatementResult("attca", chain, info)


def _check_ver(att_stmt: dict) -> None:
    # "ver: The version of the TPM specification to which the signature conforms." The syntax fixes it: ver: "2.0".
    if "ver" not in att_stmt:
        raise fail(Code.TPM_VER_MISSING, "tpm attStmt.ver missing")
    if not isinstance(att_stmt["ver"], str) or att_stmt["ver"] != "2.0":
        raise fail(Code.TPM_VER_UNSUPPORTED, f"tpm attStmt.ver is {att_stmt['ver']!r}, expected '2.0'")


def _bytes_field(att_stmt: dict, name: str, missing: Code, type_invalid: Code) -> bytes:
    if name not in att_stmt:
        raise fail(missing, f"tpm attStmt.{name} missing")
    value = att_stmt[name]
    if not isinstance(value, bytes):
        raise fail(type_invalid, f"tpm attStmt.{name} is {type(value).__name__}, not a byte string")
    return value


def _check_pub_area_key(pub_area: PubArea, key: CoseKey) -> None:
    """pubArea's parameters + unique versus the credential key: same type, same size/curve, same numbers."""
    params, unique = pub_area.parameters, pub_area.unique
    if key.kty == KTY_RSA and isinstance(params, RsaParms) and isinstance(unique, bytes):
        n, e = key.numbers
        # TPMS_RSA_PARMS.exponent 0 is "the default of 2^16 + 1": 0 and an explicit 65537 name one key.
        exponent = params.exponent or RSA_DEFAULT_EXPONENT
        if int.from_bytes(unique, "big") == n and len(unique) * 8 == params.key_bits and exponent == e:
            return
    elif key.kty == KTY_EC2 and isinstance(params, EccParms) and isinstance(unique, tuple):
        # The credential key's coordinates as read: each exactly the curve's size (cose._ec2_point).
        crv, _ = ECC_CURVES.get(params.curve_id, (None, 0))
        if crv == key.crv and unique == key.numbers:
            return
    # Anything else, an RSA pubArea for an EC2 key or any OKP/AKP credential key, is not the key the TPM
    # certified (fido2-net-lib #671: an OKP credential once skipped this check entirely).
    raise fail(Code.TPM_PUB_AREA_KEY_MISMATCH, "pubArea does not describe the credential public key")


def _check_cert_info(
    cert_info: CertInfo, pub_area: PubArea, alg: Algorithm, att_to_be_signed: bytes, *, policy: Policy
) -> None:
    # "Validate that certInfo is valid:"
    # "Verify that magic is set to TPM_GENERATED_VALUE."
    if cert_info.magic != TPM_GENERATED_VALUE:
        raise fail(Code.TPM_CERT_INFO_MAGIC_INVALID, f"certInfo.magic is 0x{cert_info.magic:08x}")
    # "Verify that type is set to TPM_ST_ATTEST_CERTIFY."
    if cert_info.type != TPM_ST_ATTEST_CERTIFY:
        raise fail(Code.TPM_CERT_INFO_ATTEST_TYPE_INVALID, f"certInfo.type is 0x{cert_info.type:04x}")
    # "Verify that extraData is set to the hash of attToBeSigned using the hash algorithm employed in "alg"."
    # The TPM signs whatever extraData the caller hands it (w3c/webauthn#791): this is the only binding.
    # hashlib names cryptography's hash algorithms alike (verifier/digest.py hashes from a prepared context).
    if not hmac.compare_digest(cert_info.extra_data, digest(alg.hash.name, att_to_be_signed)):
        raise fail(
            Code.TPM_CERT_INFO_EXTRA_DATA_MISMATCH, f"certInfo.extraData is not {alg.name}'s hash of attToBeSigned"
        )
    # "Verify that attested contains a TPMS_CERTIFY_INFO structure as specified in [TPMv2-Part2] section 10.12.3,
    # whose name field contains a valid Name for pubArea, as computed using the algorithm in the nameAlg field of
    # pubArea using the procedure specified in [TPMv2-Part1] section 16."
    # Part 1 §16: Name = nameAlg (UINT16) || H_nameAlg(pubArea). The Name carries its own nameAlg; computing with
    # that one is what the FIDO tool expects (Resp-9 P-3, a Name alg differing from pubArea.nameAlg).
    name = cert_info.attested_name or b""
    name_alg = int.from_bytes(name[:2], "big") if len(name) >= 2 else None
    hash_cls = NAME_HASHES.get(name_alg) if name_alg is not None else None
    if hash_cls is None or (name_alg == TPM_ALG_SHA1 and not policy.allow_sha1):
        raise fail(Code.TPM_CERT_INFO_NAME_ALG_UNSUPPORTED, f"attested.name uses unsupported nameAlg {name_alg!r}")
    if not hmac.compare_digest(name, name[:2] + digest(hash_cls.name, pub_area.raw)):
        raise fail(Code.TPM_CERT_INFO_NAME_MISMATCH, "attested.name is not the Name of pubArea")
