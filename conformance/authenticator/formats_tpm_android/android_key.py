"""android-key credentials (#sctn-android-key-attestation): the keystore certificate with its KeyDescription.

Android puts the KeyDescription extension (OID 1.3.6.1.4.1.11129.2.1.17, schema at
developer.android.com/privacy-and-security/security-key-attestation#certificate_schema) into the certificate
of the credential key itself, issued here by the test PKI's intermediate; sig is made with the credential key
over authenticatorData || clientDataHash. KeyDescription DER is written by hand: tags [600] and [702] need
the high-tag-number form cryptography has no builder for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from .. import der
from ..ca import LEAF_VALIDITY, TestPKI
from ..keys import SigningKey, derive_key
from ..model import Build, StatementInput
from .common import edited_statement

OID_KEY_DESCRIPTION = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.1.17")
# keymaster_defs.h / KeyMint AIDL: KeyPurpose, KeyOrigin, SecurityLevel, Algorithm.
KM_PURPOSE_SIGN, KM_PURPOSE_VERIFY = 2, 3
KM_ORIGIN_GENERATED, KM_ORIGIN_IMPORTED = 0, 2
KM_SECURITY_LEVEL_TEE = 1
KM_ALGORITHM_RSA, KM_ALGORITHM_EC = 1, 3
TAG_PURPOSE, TAG_ALGORITHM, TAG_KEY_SIZE = 1, 2, 3
TAG_ALL_APPLICATIONS, TAG_CREATION_DATE_TIME, TAG_ORIGIN = 600, 701, 702


def explicit(tag: int, content: bytes) -> bytes:
    """[tag] EXPLICIT: context-specific, constructed; the high-tag-number form from 31 up (X.690 §8.1.2.4)."""
    if tag < 31:
        identifier = bytes([0xA0 | tag])
    else:
        groups = [tag & 0x7F]
        tag >>= 7
        while tag:
            groups.append(0x80 | (tag & 0x7F))
            tag >>= 7
        identifier = bytes([0xBF]) + bytes(reversed(groups))
    return identifier + der.length_bytes(len(content)) + content


@dataclass(frozen=True, slots=True)
class AuthList:
    """One AuthorizationList: the fields WebAuthn checks, plus a few every real key list carries."""

    purpose: tuple[int, ...] | None = None
    algorithm: int | None = None
    key_size: int | None = None
    all_applications: bool = False
    creation_date_time: int | None = None
    origin: int | None = None
    #: Encoded items appended after the known ones (a repeated tag, a malformed member).
    extra: tuple[bytes, ...] = ()

    def encode(self) -> bytes:
        items = []
        if self.purpose is not None:
            members = sorted(der.integer(p) for p in self.purpose)  # DER: SET OF in sorted order
            items.append(explicit(TAG_PURPOSE, der.tlv(0x31, b"".join(members))))
        if self.algorithm is not None:
            items.append(explicit(TAG_ALGORITHM, der.integer(self.algorithm)))
        if self.key_size is not None:
            items.append(explicit(TAG_KEY_SIZE, der.integer(self.key_size)))
        if self.all_applications:
            items.append(explicit(TAG_ALL_APPLICATIONS, der.tlv(0x05, b"")))
        if self.creation_date_time is not None:
            items.append(explicit(TAG_CREATION_DATE_TIME, der.integer(self.creation_date_time)))
        if self.origin is not None:
            items.append(explicit(TAG_ORIGIN, der.integer(self.origin)))
        return der.tlv(der.SEQUENCE, b"".join(items) + b"".join(self.extra))


#: A TEE-backed signing key's lists: purpose, algorithm, size and origin enforced by the TEE.
TEE_LIST = AuthList(purpose=(KM_PURPOSE_SIGN,), algorithm=KM_ALGORITHM_EC, key_size=256, origin=KM_ORIGIN_GENERATED)
SOFTWARE_LIST = AuthList(creation_date_time=1_750_000_000_000)


@dataclass(frozen=True, slots=True)
class AndroidKeyShape:
    software: AuthList = SOFTWARE_LIST
    tee: AuthList = TEE_LIST
    #: attestationChallenge; None: clientDataHash.
    challenge: bytes | None = None
    #: Turns the valid KeyDescription DER into a malformed one.
    edit_der: Callable[[bytes], bytes] | None = None
    key_description: bool = True
    #: Certify (and sign with) this (alg, seed) key instead of the credential key.
    certified_key: tuple[str, str] | None = None
    #: leaf+intermediate | leaf+intermediate+root (as Android keystores send it) | intermediate+leaf | absent
    x5c_layout: str = "leaf+intermediate"


def key_description(*, challenge: bytes, shape: AndroidKeyShape = AndroidKeyShape()) -> bytes:
    """KeyDescription ::= SEQUENCE { attestationVersion, attestationSecurityLevel, keymasterVersion,
    keymasterSecurityLevel, attestationChallenge, uniqueId, softwareEnforced, teeEnforced } (keymaster 4)."""
    level = der.tlv(0x0A, bytes([KM_SECURITY_LEVEL_TEE]))
    body = der.integer(3) + level + der.integer(4) + level
    body += der.tlv(der.OCTET_STRING, challenge) + der.tlv(der.OCTET_STRING, b"")
    body += shape.software.encode() + shape.tee.encode()
    encoded = der.tlv(der.SEQUENCE, body)
    return shape.edit_der(encoded) if shape.edit_der else encoded


def keystore_certificate(key: SigningKey, *, pki: TestPKI, description: bytes | None, serial: int) -> x509.Certificate:
    issuer_cert, issuer_key = pki.issuer("intermediate")
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Android Keystore Key")]))
        .issuer_name(issuer_cert.subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(LEAF_VALIDITY[0])
        .not_valid_after(LEAF_VALIDITY[1])
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()), critical=False)
    )
    if description is not None:
        builder = builder.add_extension(x509.UnrecognizedExtension(OID_KEY_DESCRIPTION, description), critical=False)
    return builder.sign(issuer_key, hashes.SHA256(), ecdsa_deterministic=True)


def statement(build: Build, given: StatementInput) -> dict[str, Any]:
    """The android-key attStmt for the build's credential key, shaped by `build.statement_options` (an
    AndroidKeyShape)."""
    shape = build.statement_options or AndroidKeyShape()
    pki = build.pki
    certified = derive_key(*shape.certified_key) if shape.certified_key else build.credential_key
    attestation_challenge = shape.challenge if shape.challenge is not None else given.client_data_hash
    description = key_description(challenge=attestation_challenge, shape=shape) if shape.key_description else None
    leaf = keystore_certificate(certified, pki=pki, description=description, serial=build.serial("leaf"))
    intermediate, _ = pki.issuer("intermediate")
    chain = {
        "intermediate+leaf": [intermediate, leaf],
        "leaf+intermediate+root": [leaf, intermediate, pki.root],
    }.get(shape.x5c_layout, [leaf, intermediate])
    build.x5c = [cert.public_bytes(serialization.Encoding.DER) for cert in chain]
    # Signing procedure: "The authenticator produces sig by concatenating authenticatorData and clientDataHash,
    # and signing the result using the credential private key."
    signature = certified.sign(build.auth_data + given.client_data_hash)
    fields = {"alg": certified.spec.alg, "sig": signature, "x5c": build.x5c}
    drop = ("x5c",) if shape.x5c_layout == "absent" else ()
    return edited_statement(fields, drop=drop)
