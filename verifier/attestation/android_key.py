"""Android key attestation (#sctn-android-key-attestation, #sctn-key-attstn-cert-requirements).

The credential key lives in Android Keystore; the keystore's attestation certificate (x5c[0]) certifies that
key and carries the KeyDescription extension, whose attestationChallenge binds it to this ceremony. The
authenticator data is produced outside the secure environment, so the RP checks that the extension's
claims (challenge, scoping, origin, purpose) agree with it.
"""

from __future__ import annotations

import hmac
from typing import Any

from ..certs import Certificate, find_extension, load_x5c, public_key_matches
from ..cose import verify_signature
from ..errors import Code, fail
from . import AttestationContext, StatementResult
from ._common import check_keys, statement_alg, statement_sig
from .android_asn1 import (
    KEY_DESCRIPTION_OID,
    KM_ORIGIN_GENERATED,
    KM_PURPOSE_SIGN,
    AuthorizationList,
    KeyDescription,
    parse_key_description,
)


def verify(att_stmt: dict, ctx: AttestationContext) -> StatementResult:
    # "Verify that attStmt is valid CBOR conforming to the syntax defined above": alg, sig, x5c.
    check_keys(att_stmt, required=("alg", "sig", "x5c"))
    alg = statement_alg(att_stmt, policy=ctx.policy)
    sig = statement_sig(att_stmt)
    if "x5c" not in att_stmt:
        raise fail(Code.ATT_STMT_X5C_MISSING, "android-key attStmt.x5c missing")
    chain = load_x5c(att_stmt["x5c"], names=ctx.names)
    # "Verify that sig is a valid signature over the concatenation of authenticatorData and clientDataHash using
    # the public key in the first certificate in x5c with the algorithm specified in alg."
    signed = ctx.auth_data.raw + ctx.client_data_hash
    verify_signature(public_key=chain.leaf_key, alg=alg, signature=sig, data=signed)
    # "Verify that the public key in the first certificate in x5c matches the credentialPublicKey in the
    # attestedCredentialData in authenticatorData."
    if not public_key_matches(chain.leaf_key, ctx.credential_key.public_key):
        raise fail(Code.ATT_CERT_PUBLIC_KEY_MISMATCH, "x5c[0] public key is not the credential public key")
    description = key_description(chain.parsed[0])
    # "Verify that the attestationChallenge field in the attestation certificate extension data is identical to
    # clientDataHash."
    if not hmac.compare_digest(description.attestation_challenge, ctx.client_data_hash):
        raise fail(Code.ANDROID_KEY_CHALLENGE_MISMATCH, "attestationChallenge is not clientDataHash")
    _check_authorization_lists(description, require_tee=ctx.policy.android_key_require_tee)
    # "If successful, return implementation-specific values representing attestation type Basic and attestation
    # trust path x5c."
    return StatementResult("basic", chain, _info(description))


def key_description(cert: Certificate) -> KeyDescription:
    """The android key attestation certificate extension data (OID 1.3.6.1.4.1.11129.2.1.17), parsed.

    Read from the certificate's own DER (`find_extension`), like every extension a format checks.
    """
    extension = find_extension(cert, KEY_DESCRIPTION_OID)
    if extension is None:
        raise fail(Code.ATT_CERT_KEY_DESCRIPTION_MISSING, "x5c[0] has no Android key attestation extension")
    return parse_key_description(extension.value)


def _check_authorization_lists(description: KeyDescription, *, require_tee: bool) -> None:
    software, tee = description.software_enforced, description.tee_enforced
    # "The AuthorizationList.allApplications field is not present on either authorization list (softwareEnforced
    # nor teeEnforced), since PublicKeyCredential MUST be scoped to the RP ID."
    if software.all_applications or tee.all_applications:
        raise fail(Code.ANDROID_KEY_ALL_APPLICATIONS_PRESENT, "allApplications is present: the key is not RP-scoped")
    # "For the following, use only the teeEnforced authorization list if the RP wants to accept only keys from a
    # trusted execution environment, otherwise use the union of teeEnforced and softwareEnforced."
    lists: tuple[AuthorizationList, ...] = (tee,) if require_tee else (tee, software)
    # "The value in the AuthorizationList.origin field is equal to KM_ORIGIN_GENERATED."
    # In a union every origin stated must be GENERATED: one list saying IMPORTED is not outvoted by the other.
    origins = {a.origin for a in lists if a.origin is not None}
    if not origins:
        raise fail(Code.ANDROID_KEY_ORIGIN_MISSING, "no origin in the authorization list(s) policy selects")
    if origins != {KM_ORIGIN_GENERATED}:
        raise fail(Code.ANDROID_KEY_ORIGIN_INVALID, f"origin {sorted(origins)} is not KM_ORIGIN_GENERATED (0)")
    # "The value in the AuthorizationList.purpose field is equal to KM_PURPOSE_SIGN." purpose is a SET OF
    # INTEGER; the key must be a signing key (go-webauthn #493 used OR where AND was needed).
    purposes = [a.purpose for a in lists if a.purpose is not None]
    if not purposes:
        raise fail(Code.ANDROID_KEY_PURPOSE_MISSING, "no purpose in the authorization list(s) policy selects")
    if not any(KM_PURPOSE_SIGN in p for p in purposes):
        found = sorted(set().union(*purposes))
        raise fail(Code.ANDROID_KEY_PURPOSE_INVALID, f"purpose {found} lacks KM_PURPOSE_SIGN (2)")


def _info(description: KeyDescription) -> dict[str, Any]:
    return {
        "attestation_version": description.attestation_version,
        "attestation_security_level": description.attestation_security_level,
        "keymaster_version": description.keymaster_version,
        "keymaster_security_level": description.keymaster_security_level,
    }
