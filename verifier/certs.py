"""Attestation certificates: the x5c parse boundary and the WebAuthn certificate requirements.

cryptography parses certificates; this module adds what WebAuthn asks of them (#sctn-packed-attestation-cert-requirements)
and reads extensions from the certificate's own DER (`raw_extensions`), because cryptography refuses a whole
extension list when any one member is malformed, and recorded authenticators ship such certificates (the Chrome
virtual authenticator's basicConstraints, the FIDO tool's 2018 TPM certificates). Reading raw keeps one
well-formed extension usable while a malformed one is reported by its own code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .errors import Code, fail
from .keys import public_key_problem

OID_FIDO_GEN_CE_AAGUID = "1.3.6.1.4.1.45724.1.1.4"
OID_BASIC_CONSTRAINTS = "2.5.29.19"
OID_KEY_USAGE = "2.5.29.15"

_SEQUENCE, _BOOLEAN, _INTEGER, _BIT_STRING, _OCTET_STRING, _OID = 0x30, 0x01, 0x02, 0x03, 0x04, 0x06
_UTC_TIME, _GENERALIZED_TIME, _EXTENSIONS_TAG = 0x17, 0x18, 0xA3
_ISO_3166_ALPHA2 = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True, slots=True)
class RawExtension:
    oid: str
    critical: bool
    #: The extnValue OCTET STRING's content: the DER of the extension's own value.
    value: bytes


@dataclass(frozen=True, slots=True)
class BasicConstraints:
    ca: bool
    path_length: int | None
    critical: bool


# --- x5c: the parse boundary ------------------------------------------------------------------------------------


def load_x5c(value: object, *, min_count: int = 1) -> tuple[x509.Certificate, ...]:
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
    return tuple(_load_one(item, index) for index, item in enumerate(value))


def _load_one(item: object, index: int) -> x509.Certificate:
    if not isinstance(item, bytes):
        raise fail(
            Code.ATT_STMT_X5C_TYPE_INVALID, f"x5c[{index}] is {type(item).__name__}, not a byte string", index=index
        )
    try:
        cert = x509.load_der_x509_certificate(item)
        # The certificate must be the whole item: bytes after it are data nobody signed or verified.
        exact = cert.public_bytes(serialization.Encoding.DER) == item
        # cryptography parses names, validity and algorithm lazily; touch them here so a malformed field is this
        # coded defect now instead of a ValueError in whichever check reads it first.
        _ = (cert.version, cert.serial_number, cert.issuer, cert.subject, cert.signature_algorithm_oid)
        _ = (cert.not_valid_before_utc, cert.not_valid_after_utc)
    except Exception as exc:  # a parse boundary: any parser failure is this one coded defect
        raise fail(
            Code.ATT_STMT_X5C_CERT_INVALID, f"x5c[{index}] is not a DER X.509 certificate: {exc}", index=index
        ) from None
    if not exact:
        raise fail(Code.ATT_STMT_X5C_CERT_INVALID, f"x5c[{index}] has bytes after the certificate", index=index)
    if index == 0:
        # The attestation certificate's key verifies the statement: an unusable key is that certificate's defect.
        try:
            key = cert.public_key()
        except Exception as exc:  # unsupported algorithm, bad point, bad encoding: all "no usable key"
            raise fail(Code.ATT_CERT_PUBLIC_KEY_INVALID, f"x5c[0] public key is unusable: {exc}", index=0) from None
        # Checked before the statement signature is: an even modulus is no RSA key, a huge exponent a slow one.
        problem = public_key_problem(key)
        if problem:
            raise fail(Code.ATT_CERT_PUBLIC_KEY_INVALID, f"x5c[0] public key: {problem}", index=0)
    return cert


# --- raw DER reading (extensions and validity) ------------------------------------------------------------------


class _DerError(ValueError):
    pass


def _tlv(data: bytes, pos: int) -> tuple[int, bytes, int]:
    """One TLV with a single-octet tag at `pos` → (tag, content, offset past it). DER lengths only."""
    if pos + 2 > len(data):
        raise _DerError("truncated TLV")
    tag, length = data[pos], data[pos + 1]
    if tag & 0x1F == 0x1F:
        raise _DerError("high tag numbers do not occur in certificates")
    pos += 2
    if length == 0x80:
        raise _DerError("indefinite length")
    if length > 0x80:
        count = length & 0x7F
        if count > 4 or pos + count > len(data) or data[pos] == 0:
            raise _DerError("invalid long-form length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
        if length < 0x80:
            raise _DerError("non-minimal length")
    if pos + length > len(data):
        raise _DerError("value runs past its container")
    return tag, data[pos : pos + length], pos + length


def _children(content: bytes) -> list[tuple[int, bytes]]:
    items, pos = [], 0
    while pos < len(content):
        tag, value, pos = _tlv(content, pos)
        items.append((tag, value))
    return items


def _only(data: bytes, tag: int, what: str) -> bytes:
    found, value, end = _tlv(data, 0)
    if found != tag or end != len(data):
        raise _DerError(f"{what} is not exactly one element with tag {tag:#04x}")
    return value


def _oid_text(content: bytes) -> str:
    if not content or content[-1] & 0x80:
        raise _DerError("truncated OBJECT IDENTIFIER")
    arcs, value, arc_start = [], 0, True
    for octet in content:
        if arc_start and octet == 0x80:
            raise _DerError("non-minimal OBJECT IDENTIFIER arc")
        value = (value << 7) | (octet & 0x7F)
        arc_start = not octet & 0x80
        if arc_start:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in (first, arcs[0] - 40 * first, *arcs[1:]))


def _tbs_fields(cert: x509.Certificate) -> list[tuple[int, bytes]]:
    return _children(_only(cert.tbs_certificate_bytes, _SEQUENCE, "TBSCertificate"))


def raw_extensions(cert: x509.Certificate, *, index: int = 0) -> tuple[RawExtension, ...]:
    """The certificate's extensions as (oid, critical, value bytes), read from its DER.

    RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular extension."
    """
    try:
        found = [value for tag, value in _tbs_fields(cert) if tag == _EXTENSIONS_TAG]
        if not found:
            return ()
        extensions: list[RawExtension] = []
        for tag, body in _children(_only(found[0], _SEQUENCE, "Extensions")):
            if tag != _SEQUENCE:
                raise _DerError("an Extension is not a SEQUENCE")
            extensions.append(_extension(body))
    except _DerError as exc:
        raise fail(Code.ATT_CERT_EXTENSIONS_MALFORMED, f"certificate {index}: {exc}", index=index) from None
    oids = [e.oid for e in extensions]
    if len(set(oids)) != len(oids):
        raise fail(Code.ATT_CERT_EXTENSIONS_MALFORMED, f"certificate {index} repeats an extension", index=index)
    return tuple(extensions)


def _extension(body: bytes) -> RawExtension:
    parts = _children(body)
    if len(parts) == 2:
        (oid_tag, oid), (value_tag, value) = parts
        critical = False
    elif len(parts) == 3:
        (oid_tag, oid), (flag_tag, flag), (value_tag, value) = parts
        if flag_tag != _BOOLEAN or flag not in (b"\x00", b"\xff"):
            raise _DerError("Extension.critical is not a DER BOOLEAN")
        critical = flag == b"\xff"
    else:
        raise _DerError("an Extension does not have 2 or 3 fields")
    if oid_tag != _OID or value_tag != _OCTET_STRING:
        raise _DerError("an Extension is not (OID, [critical], OCTET STRING)")
    return RawExtension(_oid_text(oid), critical, value)


def find_extension(cert: x509.Certificate, oid: str, *, index: int = 0) -> RawExtension | None:
    for extension in raw_extensions(cert, index=index):
        if extension.oid == oid:
            return extension
    return None


def basic_constraints(cert: x509.Certificate, *, index: int = 0) -> BasicConstraints | None:
    """basicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL }.

    One leniency, on purpose: an explicitly encoded cA FALSE (30 03 01 01 00) is read as FALSE. DER forbids
    encoding a DEFAULT value, but the meaning is unambiguous, and the Chrome virtual authenticator's attestation
    certificate (vector swa-packed-x5c-chrome-virtual-bad-basic-constraints) carries exactly this encoding.
    """
    extension = find_extension(cert, OID_BASIC_CONSTRAINTS, index=index)
    if extension is None:
        return None
    try:
        fields = _children(_only(extension.value, _SEQUENCE, "BasicConstraints"))
        ca, path_length = False, None
        if fields and fields[0][0] == _BOOLEAN:
            if fields[0][1] not in (b"\x00", b"\xff"):
                raise _DerError("cA is not a BOOLEAN")
            ca = fields.pop(0)[1] == b"\xff"
        if fields and fields[0][0] == _INTEGER:
            raw = fields.pop(0)[1]
            if not raw or raw[0] & 0x80 or len(raw) > 8:
                raise _DerError("pathLenConstraint is not a small non-negative INTEGER")
            path_length = int.from_bytes(raw, "big")
        if fields:
            raise _DerError("unexpected field in BasicConstraints")
    except _DerError as exc:
        raise fail(
            Code.ATT_CERT_EXTENSIONS_MALFORMED, f"certificate {index} basicConstraints: {exc}", index=index
        ) from None
    return BasicConstraints(ca, path_length, extension.critical)


def key_usage_allows_cert_sign(cert: x509.Certificate, *, index: int = 0) -> bool | None:
    """None without keyUsage; else whether keyCertSign (bit 5) is asserted (RFC 5280 §4.2.1.3)."""
    extension = find_extension(cert, OID_KEY_USAGE, index=index)
    if extension is None:
        return None
    try:
        bits = _only(extension.value, _BIT_STRING, "KeyUsage")
        if not bits or bits[0] > 7:
            raise _DerError("KeyUsage BIT STRING has no unused-bits octet")
    except _DerError as exc:
        raise fail(Code.ATT_CERT_EXTENSIONS_MALFORMED, f"certificate {index} keyUsage: {exc}", index=index) from None
    return len(bits) > 1 and bool(bits[1] & 0x04)


def validity_uses_generalized_time_before_2050(cert: x509.Certificate) -> bool:
    """RFC 5280 §4.1.2.5: dates through 2049 MUST be UTCTime. Some devices (Feitian BioPass) use GeneralizedTime."""
    try:
        fields = _tbs_fields(cert)
        # version [0] is optional; validity follows serialNumber, signature and issuer.
        offset = 1 if fields[0][0] == 0xA0 else 0
        times = _children(fields[offset + 3][1])
    except (_DerError, IndexError):
        return False
    return any(tag == _GENERALIZED_TIME and value[:4] < b"2050" for tag, value in times)


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


def check_packed_attestation_certificate(cert: x509.Certificate, *, aaguid: bytes) -> None:
    """#sctn-packed-attestation-cert-requirements: "The attestation certificate MUST have the following
    fields/extensions:" — each check below quotes its sentence."""
    # "Version MUST be set to 3 (which is indicated by an ASN.1 INTEGER with value 2)."
    if cert.version is not x509.Version.v3:
        raise fail(Code.ATT_CERT_VERSION_INVALID, f"attestation certificate is {cert.version.name}, not v3")
    _check_packed_subject(cert)
    check_aaguid_extension(cert, aaguid=aaguid)
    # "The Basic Constraints extension MUST have the CA component set to false."
    # An absent extension satisfies this: RFC 5280 §4.2.1.9 makes a certificate without basicConstraints a
    # non-CA ("the certified public key MUST NOT be used to verify certificate signatures"), and cA itself is
    # DEFAULT FALSE. Refusing absence would refuse attestation certificates that say exactly what is required.
    constraints = basic_constraints(cert)
    if constraints is not None and constraints.ca:
        raise fail(Code.ATT_CERT_BASIC_CONSTRAINTS_CA, "attestation certificate has basicConstraints CA=true")


def _check_packed_subject(cert: x509.Certificate) -> None:
    # "Subject field MUST be set to:"
    try:
        subject = cert.subject
        values = {
            key: [a.value for a in subject.get_attributes_for_oid(oid)]
            for key, oid in (
                ("C", x509.NameOID.COUNTRY_NAME),
                ("O", x509.NameOID.ORGANIZATION_NAME),
                ("OU", x509.NameOID.ORGANIZATIONAL_UNIT_NAME),
                ("CN", x509.NameOID.COMMON_NAME),
            )
        }
    except Exception as exc:  # a malformed Name is a subject defect, whatever the parser says
        raise fail(Code.ATT_CERT_SUBJECT_INVALID, f"subject cannot be read: {exc}", field="subject") from None
    for key, found in values.items():
        if len(found) != 1 or not found[0]:
            raise fail(Code.ATT_CERT_SUBJECT_INVALID, f"subject needs exactly one non-empty {key}", field=key)
    # "Subject-C: ISO 3166 code specifying the country where the Authenticator vendor is incorporated
    # (PrintableString)" — the alpha-2 shape; user-assigned codes (AA, the W3C test vectors' C) are ISO 3166 too.
    if not _ISO_3166_ALPHA2.fullmatch(values["C"][0]):
        raise fail(Code.ATT_CERT_SUBJECT_INVALID, f"subject C {values['C'][0]!r} is not an ISO 3166 code", field="C")
    # "Subject-OU: Literal string “Authenticator Attestation” (UTF8String)"
    if values["OU"][0] != "Authenticator Attestation":
        raise fail(
            Code.ATT_CERT_SUBJECT_INVALID,
            f"subject OU is {values['OU'][0]!r}, not 'Authenticator Attestation'",
            field="OU",
        )
    # "Subject-O: Legal name of the Authenticator vendor (UTF8String)" and "Subject-CN: A UTF8String of the
    # vendor’s choosing" ask only for presence, checked above.


def check_aaguid_extension(cert: x509.Certificate, *, aaguid: bytes) -> None:
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


def public_key_matches(cert: x509.Certificate, cose_public_key: object) -> bool:
    """Whether the certificate's key is the credential key, compared as SubjectPublicKeyInfo DER.

    Accepts a cryptography public key or anything with a `.public_key` one (verifier.cose.CoseKey). Both sides
    are re-encoded, so a compressed EC point in the certificate equals the same point given uncompressed.
    """
    key = getattr(cose_public_key, "public_key", cose_public_key)
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    try:
        return cert.public_key().public_bytes(*spki) == key.public_bytes(*spki)
    except Exception:  # an unreadable or unsupported key matches nothing
        return False
