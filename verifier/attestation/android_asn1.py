"""The Android key attestation extension (OID 1.3.6.1.4.1.11129.2.1.17), parsed with a small strict DER reader.

Schema: https://developer.android.com/privacy-and-security/security-key-attestation#certificate_schema
(#sctn-key-attstn-cert-requirements points there). The DER rules (`_der`): definite minimal lengths, minimal tag and
INTEGER encodings, no trailing bytes. Every departure is `att_cert.key_description.malformed`; the parser fails closed (fido2-net-lib #671 "failed
open on a malformed or unexpected authorization list").

    KeyDescription ::= SEQUENCE {
        attestationVersion         INTEGER,
        attestationSecurityLevel   SecurityLevel,      -- ENUMERATED
        keyMintVersion             INTEGER,            -- keymasterVersion before v100
        keyMintSecurityLevel       SecurityLevel,
        attestationChallenge       OCTET_STRING,
        uniqueId                   OCTET_STRING,
        softwareEnforced           AuthorizationList,
        hardwareEnforced           AuthorizationList,  -- teeEnforced before v100
    }
    AuthorizationList ::= SEQUENCE {
        purpose          [1] EXPLICIT SET OF INTEGER OPTIONAL,
        ...
        allApplications  [600] EXPLICIT NULL OPTIONAL,
        ...
        origin           [702] EXPLICIT INTEGER OPTIONAL,
        ...
    }
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import der as _der
from ..der import CONTEXT, ENUMERATED, NULL, OCTET_STRING, SEQUENCE, SET, DerError
from ..errors import Code, fail

KEY_DESCRIPTION_OID = "1.3.6.1.4.1.11129.2.1.17"

TAG_PURPOSE, TAG_ALL_APPLICATIONS, TAG_ORIGIN = 1, 600, 702
#: keymaster_defs.h / KeyMint KeyPurpose.aidl: KM_PURPOSE_SIGN = 2; KeyOrigin.aidl: KM_ORIGIN_GENERATED = 0.
KM_PURPOSE_SIGN = 2
KM_ORIGIN_GENERATED = 0


@dataclass(frozen=True, slots=True)
class AuthorizationList:
    purpose: frozenset[int] | None
    all_applications: bool
    origin: int | None
    #: Every tag number present, for reporting.
    tags: frozenset[int]


@dataclass(frozen=True, slots=True)
class KeyDescription:
    attestation_version: int
    attestation_security_level: int
    keymaster_version: int
    keymaster_security_level: int
    attestation_challenge: bytes
    unique_id: bytes
    software_enforced: AuthorizationList
    tee_enforced: AuthorizationList


def parse_key_description(der: bytes) -> KeyDescription:
    """The extension's value (the DER inside extnValue) → KeyDescription, or a coded refusal."""
    try:
        return _key_description(der)
    except DerError as exc:
        raise fail(Code.ATT_CERT_KEY_DESCRIPTION_MALFORMED, f"KeyDescription: {exc}") from None


def _key_description(der: bytes) -> KeyDescription:
    fields = _der.children(
        _der.expect(_der.single(der, "KeyDescription"), SEQUENCE, constructed=True, what="KeyDescription")
    )
    if len(fields) != 8:
        raise DerError(f"{len(fields)} fields, expected 8")
    return KeyDescription(
        attestation_version=_der.integer(fields[0], "attestationVersion"),
        attestation_security_level=_der.integer(fields[1], "attestationSecurityLevel", ENUMERATED),
        keymaster_version=_der.integer(fields[2], "keymasterVersion"),
        keymaster_security_level=_der.integer(fields[3], "keymasterSecurityLevel", ENUMERATED),
        attestation_challenge=_der.expect(fields[4], OCTET_STRING, constructed=False, what="attestationChallenge"),
        unique_id=_der.expect(fields[5], OCTET_STRING, constructed=False, what="uniqueId"),
        software_enforced=_authorization_list(fields[6], "softwareEnforced"),
        tee_enforced=_authorization_list(fields[7], "teeEnforced"),
    )


def _authorization_list(tlv: _der.Tlv, what: str) -> AuthorizationList:
    seen: set[int] = set()
    purpose: frozenset[int] | None = None
    all_applications = False
    origin: int | None = None
    for item in _der.children(_der.expect(tlv, SEQUENCE, constructed=True, what=what)):
        if item.cls != CONTEXT or not item.constructed:
            raise DerError(f"{what} holds an item that is not an EXPLICIT context tag")
        # A repeated tag is two answers to one question; which one a parser keeps is the bug class.
        if item.number in seen:
            raise DerError(f"{what} repeats tag [{item.number}]")
        seen.add(item.number)
        inner = _der.single(item.value, f"{what}[{item.number}]")
        if item.number == TAG_PURPOSE:
            members = _der.children(_der.expect(inner, SET, constructed=True, what=f"{what}.purpose"))
            purpose = frozenset(_der.integer(m, f"{what}.purpose member") for m in members)
        elif item.number == TAG_ALL_APPLICATIONS:
            if _der.expect(inner, NULL, constructed=False, what=f"{what}.allApplications"):
                raise DerError(f"{what}.allApplications NULL has content")
            all_applications = True
        elif item.number == TAG_ORIGIN:
            origin = _der.integer(inner, f"{what}.origin")
    return AuthorizationList(purpose, all_applications, origin, frozenset(seen))
