"""The android-key cases: every check of #sctn-android-key-attestation broken once, and the KeyDescription
malformed in the ways a DER parser must refuse (docs/attacks.md E5 and Appendix B, the FIDO tool's Resp-A).
Codes are fidoconf code strings (verifier/errors.py), written out because this package does not import the
verifier.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .. import der
from ..mutations import Mutation
from . import android_key as ak
from .common import ACCEPT, case_maker

_AK = "#sctn-android-key-attestation"
_AK_EXT = "#sctn-key-attstn-cert-requirements"
_SYNTAX = "Verify that attStmt is valid CBOR conforming to the syntax defined above"
_ak = case_maker("android-key", alg="ES256", anchor=_AK, shape=ak.AndroidKeyShape)


def _edit_tee(**changes: Any) -> ak.AuthList:
    return replace(ak.TEE_LIST, **changes)


def _truncate(encoded: bytes) -> bytes:
    return encoded[:-1]


def _trailing(encoded: bytes) -> bytes:
    # The extension value is the KeyDescription and nothing else.
    return encoded + b"\x00"


def _indefinite(encoded: bytes) -> bytes:
    return b"\x30\x80" + b"".join(der.children(encoded)) + b"\x00\x00"


def _non_minimal_length(encoded: bytes) -> bytes:
    value = der.content(encoded)
    return b"\x30\x84" + len(value).to_bytes(4, "big") + value  # DER: the fewest length octets


def _seven_fields(encoded: bytes) -> bytes:
    fields = der.children(encoded)
    return der.tlv(der.SEQUENCE, b"".join(fields[:5] + fields[6:]))


def _challenge_as_integer(encoded: bytes) -> bytes:
    fields = der.children(encoded)
    fields[4] = bytes([der.INTEGER]) + fields[4][1:]
    return der.tlv(der.SEQUENCE, b"".join(fields))


_CHALLENGE = "Verify that the attestationChallenge field in the attestation certificate extension data is identical to clientDataHash."
_ALL_APPS = (
    "The AuthorizationList.allApplications field is not present on either authorization list "
    "(softwareEnforced nor teeEnforced), since PublicKeyCredential MUST be scoped to the RP ID."
)
_ORIGIN = "The value in the AuthorizationList.origin field is equal to KM_ORIGIN_GENERATED."
_PURPOSE = "The value in the AuthorizationList.purpose field is equal to KM_PURPOSE_SIGN."
_TEE_POLICY = {"preset": "strict", "android_key_require_tee": True}
_MALFORMED = "android key attestation certificate extension data ... its schema (malformed: fail closed)"

MUTATIONS: tuple[Mutation, ...] = (
    # --- valid ---
    _ak(
        "es256-valid",
        None,
        "valid: P-256 key in the TEE, origin GENERATED, purpose SIGN (FIDO Resp-A P-1)",
        ACCEPT,
        note="benchmark workload: android-key ES256",
    ),
    _ak(
        "rs256-valid",
        None,
        "valid: RSA-2048 key, RS256",
        ACCEPT,
        alg="RS256",
        tee=_edit_tee(algorithm=ak.KM_ALGORITHM_RSA, key_size=2048),
    ),
    _ak(
        "tee-only-policy-valid",
        None,
        "valid under a TEE-only policy: origin and purpose in teeEnforced",
        ACCEPT,
        policy=_TEE_POLICY,
        custom_expect="accept",
    ),
    _ak(
        "es256-root-in-x5c",
        None,
        "valid: x5c = [leaf, intermediate, root], the chain Android keystores return (root dropped, never an anchor)",
        {"strict": None, "fido-conformance": "trust.chain.root_included", "permissive": None},
        x5c_layout="leaf+intermediate+root",
    ),
    _ak(
        "purpose-sign-and-verify",
        None,
        "valid: purpose {SIGN, VERIFY} contains SIGN",
        ACCEPT,
        tee=_edit_tee(purpose=(ak.KM_PURPOSE_SIGN, ak.KM_PURPOSE_VERIFY)),
    ),
    # --- policy: which list counts ---
    _ak(
        "origin-software-only",
        "origin GENERATED only in softwareEnforced",
        "use only the teeEnforced authorization list if the RP wants to accept only keys from a trusted execution "
        "environment, otherwise use the union",
        ACCEPT,
        policy=_TEE_POLICY,
        custom_expect="android_key.origin.missing",
        tee=_edit_tee(origin=None),
        software=replace(ak.SOFTWARE_LIST, origin=ak.KM_ORIGIN_GENERATED),
    ),
    _ak(
        "purpose-software-only",
        "purpose SIGN only in softwareEnforced",
        "use only the teeEnforced authorization list if the RP wants to accept only keys from a trusted execution "
        "environment, otherwise use the union",
        ACCEPT,
        policy=_TEE_POLICY,
        custom_expect="android_key.purpose.missing",
        tee=_edit_tee(purpose=None),
        software=replace(ak.SOFTWARE_LIST, purpose=(ak.KM_PURPOSE_SIGN,)),
    ),
    # --- the checks ---
    _ak(
        "challenge-mismatch",
        "attestationChallenge = 32 other bytes (FIDO Resp-A F-1)",
        _CHALLENGE,
        "android_key.challenge.mismatch",
        challenge=bytes(range(32)),
    ),
    _ak(
        "leaf-key-mismatch",
        "x5c[0] certifies (and sig is made by) a key other than the credential key (FIDO Resp-A F-2)",
        "Verify that the public key in the first certificate in x5c matches the "
        "credentialPublicKey in the attestedCredentialData in authenticatorData.",
        "att_cert.public_key.mismatch",
        certified_key=("ES256", "fidoconf/android-key/other-key"),
    ),
    _ak(
        "x5c-reversed",
        "x5c = [intermediate, leaf] (FIDO Resp-A F-3)",
        "Verify that sig is a valid signature ... using the public key in the first certificate in x5c",
        "att_stmt.sig.invalid",
        x5c_layout="intermediate+leaf",
    ),
    _ak("x5c-missing", "attStmt without x5c", _SYNTAX, "att_stmt.x5c.missing", x5c_layout="absent"),
    _ak(
        "key-description-missing",
        "x5c[0] has no KeyDescription extension",
        _CHALLENGE,
        "att_cert.key_description.missing",
        anchor=_AK_EXT,
        key_description=False,
    ),
    _ak(
        "all-applications-software",
        "allApplications in softwareEnforced",
        _ALL_APPS,
        "android_key.all_applications.present",
        software=replace(ak.SOFTWARE_LIST, all_applications=True),
    ),
    _ak(
        "all-applications-tee",
        "allApplications in teeEnforced",
        _ALL_APPS,
        "android_key.all_applications.present",
        tee=_edit_tee(all_applications=True),
    ),
    _ak(
        "origin-imported",
        "origin KM_ORIGIN_IMPORTED",
        _ORIGIN,
        "android_key.origin.invalid",
        tee=_edit_tee(origin=ak.KM_ORIGIN_IMPORTED),
    ),
    _ak(
        "origin-conflict",
        "teeEnforced origin IMPORTED, softwareEnforced origin GENERATED",
        _ORIGIN,
        "android_key.origin.invalid",
        tee=_edit_tee(origin=ak.KM_ORIGIN_IMPORTED),
        software=replace(ak.SOFTWARE_LIST, origin=ak.KM_ORIGIN_GENERATED),
    ),
    _ak(
        "origin-missing", "no origin in either list", _ORIGIN, "android_key.origin.missing", tee=_edit_tee(origin=None)
    ),
    _ak(
        "purpose-verify-only",
        "purpose {VERIFY}",
        _PURPOSE,
        "android_key.purpose.invalid",
        tee=_edit_tee(purpose=(ak.KM_PURPOSE_VERIFY,)),
    ),
    _ak(
        "purpose-missing",
        "no purpose in either list",
        _PURPOSE,
        "android_key.purpose.missing",
        tee=_edit_tee(purpose=None),
    ),
    _ak(
        "empty-authorization-lists",
        "both AuthorizationLists empty (the W3C test-vector generator bug, w3c/webauthn#2379)",
        _ORIGIN,
        "android_key.origin.missing",
        tee=ak.AuthList(),
        software=ak.AuthList(),
    ),
    # --- malformed KeyDescription ---
    _ak(
        "key-description-truncated",
        "KeyDescription DER missing its last byte",
        _MALFORMED,
        "att_cert.key_description.malformed",
        anchor=_AK_EXT,
        edit_der=_truncate,
    ),
    _ak(
        "key-description-trailing-byte",
        "a byte after the KeyDescription SEQUENCE",
        _MALFORMED,
        "att_cert.key_description.malformed",
        anchor=_AK_EXT,
        edit_der=_trailing,
    ),
    _ak(
        "key-description-indefinite-length",
        "KeyDescription SEQUENCE with an indefinite (BER) length",
        _MALFORMED,
        "att_cert.key_description.malformed",
        anchor=_AK_EXT,
        edit_der=_indefinite,
    ),
    _ak(
        "key-description-non-minimal-length",
        "KeyDescription length in a longer form than needed",
        _MALFORMED,
        "att_cert.key_description.malformed",
        anchor=_AK_EXT,
        edit_der=_non_minimal_length,
    ),
    _ak(
        "key-description-seven-fields",
        "KeyDescription without uniqueId",
        _MALFORMED,
        "att_cert.key_description.malformed",
        anchor=_AK_EXT,
        edit_der=_seven_fields,
    ),
    _ak(
        "key-description-challenge-integer",
        "attestationChallenge tagged INTEGER instead of OCTET STRING",
        _MALFORMED,
        "att_cert.key_description.malformed",
        anchor=_AK_EXT,
        edit_der=_challenge_as_integer,
    ),
    _ak(
        "key-description-duplicate-origin",
        "teeEnforced carries origin [702] twice (GENERATED, then IMPORTED)",
        _MALFORMED,
        "att_cert.key_description.malformed",
        anchor=_AK_EXT,
        tee=_edit_tee(extra=(ak.explicit(ak.TAG_ORIGIN, der.integer(ak.KM_ORIGIN_IMPORTED)),)),
    ),
    _ak(
        "key-description-purpose-not-set",
        "purpose [1] holds an INTEGER instead of SET OF INTEGER",
        _MALFORMED,
        "att_cert.key_description.malformed",
        anchor=_AK_EXT,
        tee=_edit_tee(purpose=None, extra=(ak.explicit(ak.TAG_PURPOSE, der.integer(ak.KM_PURPOSE_SIGN)),)),
    ),
)
