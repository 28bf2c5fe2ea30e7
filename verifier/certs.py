"""Attestation certificates: the x5c parse boundary and the WebAuthn certificate requirements.

cryptography parses certificates; this module adds what WebAuthn asks of them (#sctn-packed-attestation-cert-requirements).
Extensions are read from the certificate's own DER (verifier/cert_der.py says why). `load_x5c` reads each
certificate once and hands the reading on with the chain (`X5c.parsed`), so the statement check and the trust
check never parse the same certificate twice; the functions here take either a certificate or that reading.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from .cert_der import (
    OID_BASIC_CONSTRAINTS,
    OID_FIDO_GEN_CE_AAGUID,
    OID_KEY_USAGE,
    BasicConstraints,
    ParsedCertificate,
    RawExtension,
    generalized_time_before_2050,
    parse_certificate,
    read_basic_constraints,
    read_key_usage_cert_sign,
)
from .cert_names import SimpleName
from .der import DerError, header, oid_content
from .errors import Code, fail
from .keys import public_key_problem

__all__ = [
    "OID_BASIC_CONSTRAINTS",
    "OID_FIDO_GEN_CE_AAGUID",
    "OID_KEY_USAGE",
    "BasicConstraints",
    "Certificate",
    "ParsedCertificate",
    "RawExtension",
    "X5c",
]

Certificate = x509.Certificate | ParsedCertificate


class X5c(tuple):
    """attStmt.x5c as certificates (a tuple, attestation certificate first), with each one's reading in `parsed`
    and the attestation certificate's public key, already loaded and checked, in `leaf_key`.

    Made per verification by `load_x5c`; carrying the readings and the key is what lets the statement check and
    the trust check reuse them instead of parsing a certificate or loading a key twice."""

    parsed: tuple[ParsedCertificate, ...]
    leaf_key: PublicKeyTypes

    def __new__(cls, parsed: Sequence[ParsedCertificate], leaf_key: PublicKeyTypes) -> X5c:
        chain = super().__new__(cls, [p.cert for p in parsed])
        chain.parsed = tuple(parsed)
        chain.leaf_key = leaf_key
        return chain


def parsed_chain(chain: Sequence[x509.Certificate]) -> tuple[ParsedCertificate, ...]:
    """The readings of `chain`: those `load_x5c` made, else read now (a chain from elsewhere, e.g. a test).
    Raises ValueError (DerError included) for a certificate cryptography or the DER walk refuses."""
    parsed = getattr(chain, "parsed", None)
    if parsed is not None:
        return parsed
    return tuple(parse_certificate(cert) for cert in chain)


def parsed(cert: Certificate) -> ParsedCertificate:
    if isinstance(cert, ParsedCertificate):
        return cert
    try:
        return parse_certificate(cert)
    except ValueError as exc:
        raise fail(Code.ATT_STMT_X5C_CERT_INVALID, f"certificate cannot be read: {exc}") from None


# --- x5c: the parse boundary ------------------------------------------------------------------------------------


def load_x5c(value: object, *, min_count: int = 1, names: Mapping[bytes, SimpleName | None] | None = None) -> X5c:
    """attStmt.x5c → certificates, attestation certificate first; every defect is a coded error.

    #sctn-packed-attestation: "x5c: The elements of this array contain attestnCert and its certificate chain (if
    any), each encoded in X.509 format."
    """
    if not isinstance(value, list):
        raise fail(Code.ATT_STMT_X5C_TYPE_INVALID, f"x5c is {type(value).__name__}, not an array")
    if not value:
        raise fail(Code.ATT_STMT_X5C_EMPTY, "x5c is an empty array")
    if len(value) < min_count:
        raise fail(Code.ATT_STMT_X5C_COUNT_INVALID, f"x5c has {len(value)} certificate(s), at least {min_count} needed")
    # The chain's Name readings, for this one call: each issuer is the next one's subject, and the top one's issuer
    # is usually an anchor, whose reading `names` (TrustStore.name_readings) brings.
    names = dict(names) if names else {}
    readings = [_load_one(value[0], 0, names)]
    # The attestation certificate's key, checked before the later certificates are read (as it always was).
    key = _leaf_key(readings[0].cert)
    for index in range(1, len(value)):
        readings.append(_load_one(value[index], index, names))
    return X5c(readings, key)


def _load_one(item: object, index: int, names: dict) -> ParsedCertificate:
    if not isinstance(item, bytes):
        raise fail(
            Code.ATT_STMT_X5C_TYPE_INVALID, f"x5c[{index}] is {type(item).__name__}, not a byte string", index=index
        )
    try:
        # The certificate must be the whole item: bytes after it are data nobody signed or verified. The outer
        # TLV's length says so without re-encoding the certificate (read inline for the usual two-octet length).
        size = len(item)
        if not (size > 260 and item[0] == 0x30 and item[1] == 0x82 and item[2] and (item[2] << 8 | item[3]) == size - 4):
            _, _, _, end = header(item, 0, size)
            if end != size:
                raise DerError("bytes after the certificate")
        cert = x509.load_der_x509_certificate(item)
        # Also touches what cryptography parses lazily (names, validity), so a malformed field is this coded
        # defect now instead of a ValueError in whichever check reads it first.
        reading = parse_certificate(cert, item, names=names)
        _ = (cert.version, cert.serial_number)  # signature_algorithm_oid: read by parse_certificate
    except Exception as exc:  # a parse boundary: any parser failure is this one coded defect
        raise fail(
            Code.ATT_STMT_X5C_CERT_INVALID, f"x5c[{index}] is not a DER X.509 certificate: {exc}", index=index
        ) from None
    return reading


def _leaf_key(cert: x509.Certificate) -> PublicKeyTypes:
    # The attestation certificate's key verifies the statement: an unusable key is that certificate's defect.
    try:
        key = cert.public_key()
    except Exception as exc:  # unsupported algorithm, bad point, bad encoding: all "no usable key"
        raise fail(Code.ATT_CERT_PUBLIC_KEY_INVALID, f"x5c[0] public key is unusable: {exc}", index=0) from None
    # Checked before the statement signature is: an even modulus is no RSA key, a huge exponent a slow one.
    problem = public_key_problem(key)
    if problem:
        raise fail(Code.ATT_CERT_PUBLIC_KEY_INVALID, f"x5c[0] public key: {problem}", index=0)
    return key


# --- extensions -------------------------------------------------------------------------------------------------


def raw_extensions(cert: Certificate, *, index: int = 0) -> tuple[RawExtension, ...]:
    """The certificate's extensions as (oid, critical, value bytes), read from its DER.

    RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular extension."
    """
    return _well_formed(cert, index).extensions


def find_extension(cert: Certificate, oid: str, *, index: int = 0) -> RawExtension | None:
    return _well_formed(cert, index).by_oid.get(oid)


def _well_formed(cert: Certificate, index: int) -> ParsedCertificate:
    """The reading of a certificate whose extension list is DER, else att_cert.extensions.malformed."""
    reading = cert if isinstance(cert, ParsedCertificate) else parsed(cert)
    if reading.extensions_error is not None:
        raise fail(
            Code.ATT_CERT_EXTENSIONS_MALFORMED, f"certificate {index}: {reading.extensions_error}", index=index
        )
    return reading


def basic_constraints(cert: Certificate, *, index: int = 0) -> BasicConstraints | None:
    """basicConstraints, or None when absent; a malformed value is att_cert.extensions.malformed (see
    cert_der.read_basic_constraints for the one leniency)."""
    extension = find_extension(cert, OID_BASIC_CONSTRAINTS, index=index)
    if extension is None:
        return None
    try:
        ca, path_length = read_basic_constraints(extension.value)
    except DerError as exc:
        raise fail(
            Code.ATT_CERT_EXTENSIONS_MALFORMED, f"certificate {index} basicConstraints: {exc}", index=index
        ) from None
    return BasicConstraints(ca, path_length, extension.critical)


def key_usage_allows_cert_sign(cert: Certificate, *, index: int = 0) -> bool | None:
    """None without keyUsage; else whether keyCertSign (bit 5) is asserted (RFC 5280 §4.2.1.3)."""
    extension = find_extension(cert, OID_KEY_USAGE, index=index)
    if extension is None:
        return None
    try:
        return read_key_usage_cert_sign(extension.value)
    except DerError as exc:
        raise fail(Code.ATT_CERT_EXTENSIONS_MALFORMED, f"certificate {index} keyUsage: {exc}", index=index) from None


def validity_uses_generalized_time_before_2050(cert: Certificate) -> bool:
    """RFC 5280 §4.1.2.5: dates through 2049 MUST be UTCTime. Some devices (Feitian BioPass) use GeneralizedTime."""
    try:
        return generalized_time_before_2050(parsed(cert))
    except Exception:  # an unreadable certificate is refused elsewhere; here it has no such finding
        return False


#: sha1WithRSAEncryption, ecdsa-with-SHA1, dsa-with-sha1.
SHA1_SIGNATURE_OIDS = frozenset({"1.2.840.113549.1.1.5", "1.2.840.10045.4.1", "1.2.840.10040.4.3"})


def is_signed_by(child: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer` names and signs `child`. Any failure (name, key type, algorithm, signature) is False."""
    try:
        if child.signature_algorithm_oid.dotted_string not in SHA1_SIGNATURE_OIDS:
            child.verify_directly_issued_by(issuer)
            return True
        # cryptography's verify_directly_issued_by refuses SHA-1 outright; whether SHA-1 is acceptable is the
        # caller's policy decision (Policy.allow_sha1), so the signature itself is checked with the primitives.
        if child.issuer != issuer.subject:
            return False
        key, params = issuer.public_key(), child.signature_algorithm_parameters
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(child.signature, child.tbs_certificate_bytes, params, child.signature_hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            # cryptography gives no parameters for ecdsa-with-SHA1; the hash is all ECDSA needs.
            key.verify(child.signature, child.tbs_certificate_bytes, ec.ECDSA(child.signature_hash_algorithm))
        else:
            return False
    except Exception:  # every way of not verifying means the same: not issued by this certificate
        return False
    return True


def is_self_signed(cert: x509.Certificate) -> bool:
    """Self-issued (issuer == subject) and its signature verifies under its own key: a root."""
    return cert.issuer == cert.subject and is_signed_by(cert, cert)


# --- #sctn-packed-attestation-cert-requirements ----------------------------------------------------------------


def check_packed_attestation_certificate(cert: Certificate, *, aaguid: bytes) -> None:
    """#sctn-packed-attestation-cert-requirements: "The attestation certificate MUST have the following
    fields/extensions:" — each check below quotes its sentence."""
    cert = parsed(cert)
    # "Version MUST be set to 3 (which is indicated by an ASN.1 INTEGER with value 2)."
    version = cert.cert.version
    if version is not x509.Version.v3:
        raise fail(Code.ATT_CERT_VERSION_INVALID, f"attestation certificate is {version.name}, not v3")
    _check_packed_subject(cert)
    check_aaguid_extension(cert, aaguid=aaguid)
    # "The Basic Constraints extension MUST have the CA component set to false."
    # An absent extension satisfies this: RFC 5280 §4.2.1.9 makes a certificate without basicConstraints a
    # non-CA ("the certified public key MUST NOT be used to verify certificate signatures"), and cA itself is
    # DEFAULT FALSE. Refusing absence would refuse attestation certificates that say exactly what is required.
    constraints = basic_constraints(cert)
    if constraints is not None and constraints.ca:
        raise fail(Code.ATT_CERT_BASIC_CONSTRAINTS_CA, "attestation certificate has basicConstraints CA=true")


_PACKED_SUBJECT = (
    ("C", x509.NameOID.COUNTRY_NAME),
    ("O", x509.NameOID.ORGANIZATION_NAME),
    ("OU", x509.NameOID.ORGANIZATIONAL_UNIT_NAME),
    ("CN", x509.NameOID.COMMON_NAME),
)
_PACKED_SUBJECT_OIDS = {oid_content(oid.dotted_string): key for key, oid in _PACKED_SUBJECT}


def _subject_values(cert: ParsedCertificate) -> dict[str, list[str]]:
    """C, O, OU and CN of the subject: from the DER reading when the Name is simple (the same texts cryptography
    would decode), else from cryptography's Name."""
    if cert.subject_key is not None:
        values: dict[str, list[str]] = {"C": [], "O": [], "OU": [], "CN": []}  # _PACKED_SUBJECT's keys
        for oid, value in cert.subject_key:
            key = _PACKED_SUBJECT_OIDS.get(oid)
            if key is not None:
                values[key].append(value.decode("utf-8"))
        return values
    subject = cert.subject
    return {key: [a.value for a in subject.get_attributes_for_oid(oid)] for key, oid in _PACKED_SUBJECT}


def _check_packed_subject(cert: ParsedCertificate) -> None:
    # "Subject field MUST be set to:"
    try:
        values = _subject_values(cert)
    except Exception as exc:  # a malformed Name is a subject defect, whatever the parser says
        raise fail(Code.ATT_CERT_SUBJECT_INVALID, f"subject cannot be read: {exc}", field="subject") from None
    for key, found in values.items():
        if len(found) != 1 or not found[0]:
            raise fail(Code.ATT_CERT_SUBJECT_INVALID, f"subject needs exactly one non-empty {key}", field=key)
    # "Subject-C: ISO 3166 code specifying the country where the Authenticator vendor is incorporated
    # (PrintableString)" — the alpha-2 shape; user-assigned codes (AA, the W3C test vectors' C) are ISO 3166 too.
    country = values["C"][0]
    if not (len(country) == 2 and country.isascii() and country.isalpha() and country.isupper()):  # [A-Z]{2}
        raise fail(Code.ATT_CERT_SUBJECT_INVALID, f"subject C {country!r} is not an ISO 3166 code", field="C")
    # "Subject-OU: Literal string “Authenticator Attestation” (UTF8String)"
    if values["OU"][0] != "Authenticator Attestation":
        raise fail(
            Code.ATT_CERT_SUBJECT_INVALID,
            f"subject OU is {values['OU'][0]!r}, not 'Authenticator Attestation'",
            field="OU",
        )
    # "Subject-O: Legal name of the Authenticator vendor (UTF8String)" and "Subject-CN: A UTF8String of the
    # vendor’s choosing" ask only for presence, checked above.


def check_aaguid_extension(cert: Certificate, *, aaguid: bytes) -> None:
    """id-fido-gen-ce-aaguid, shared by packed, tpm and android-key.

    #sctn-packed-attestation-cert-requirements: "the Extension OID 1.3.6.1.4.1.45724.1.1.4 (id-fido-gen-ce-aaguid)
    MUST be present, containing the AAGUID as a 16-byte OCTET STRING. The extension MUST NOT be marked as
    critical." and "Note that an X.509 Extension encodes the DER-encoding of the value in an OCTET STRING. Thus,
    the AAGUID MUST be wrapped in two OCTET STRINGS to be valid."
    #sctn-packed-attestation: "If attestnCert contains an extension with OID 1.3.6.1.4.1.45724.1.1.4
    (id-fido-gen-ce-aaguid) verify that the value of this extension matches the aaguid in authenticatorData."
    """
    extension = find_extension(cert, OID_FIDO_GEN_CE_AAGUID)
    if extension is None:
        return
    if extension.critical:
        raise fail(Code.ATT_CERT_AAGUID_CRITICAL, "id-fido-gen-ce-aaguid is marked critical")
    value = extension.value
    if len(value) != 18 or value[:2] != b"\x04\x10":
        raise fail(Code.ATT_CERT_AAGUID_MALFORMED, f"id-fido-gen-ce-aaguid is not OCTET STRING(16): {value.hex()}")
    if value[2:] != bytes(aaguid):
        raise fail(
            Code.ATT_CERT_AAGUID_MISMATCH,
            f"certificate AAGUID {value[2:].hex()} differs from authData AAGUID {bytes(aaguid).hex()}",
        )


def public_key_matches(cert_key: object, cose_public_key: object) -> bool:
    """Whether a certificate's key (as `load_x5c` loaded it: `X5c.leaf_key`) is the credential key, compared as
    SubjectPublicKeyInfo DER.

    Accepts a cryptography public key or anything with a `.public_key` one (verifier.cose.CoseKey). Both sides
    are re-encoded, so a compressed EC point in the certificate equals the same point given uncompressed.
    """
    key = getattr(cose_public_key, "public_key", cose_public_key)
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    try:
        return cert_key.public_bytes(*spki) == key.public_bytes(*spki)
    except Exception:  # an unreadable or unsupported key matches nothing
        return False
