"""One certificate read once: the fields WebAuthn checks, from one walk of its DER plus cryptography's own parse.

cryptography parses certificates, but refuses a whole extension list when any one member is malformed, and
recorded authenticators ship such certificates (the Chrome virtual authenticator's basicConstraints, the FIDO tool's
2018 TPM certificates). So extensions are read from the certificate's own DER: one well-formed extension stays
usable while a malformed one is reported, by its own code, when a check reads it.

A `ParsedCertificate` is made once per certificate per verification (certs.load_x5c) and read by every later step,
the statement check and the trust check alike; nothing is kept between verifications.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .cert_names import SimpleName, same_name, simple_name
from .der import DerError, header, oid_content, oid_text

OID_FIDO_GEN_CE_AAGUID = "1.3.6.1.4.1.45724.1.1.4"
OID_BASIC_CONSTRAINTS = "2.5.29.19"
OID_KEY_USAGE = "2.5.29.15"

_SEQUENCE, _BOOLEAN, _INTEGER, _BIT_STRING, _OCTET_STRING, _OID = 0x30, 0x01, 0x02, 0x03, 0x04, 0x06
_VERSION_TAG, _EXTENSIONS_TAG, _GENERALIZED_TIME = 0xA0, 0xA3, 0x18


class RawExtension(NamedTuple):
    oid: str
    critical: bool
    #: The extnValue OCTET STRING's content: the DER of the extension's own value.
    value: bytes


class BasicConstraints(NamedTuple):
    ca: bool
    path_length: int | None
    critical: bool


class ParsedCertificate(NamedTuple):
    """A certificate and what its DER says, read once. A malformed extension list is kept as its reason (the
    certificate itself parsed); the check that reads the extensions reports it with its own code. (A NamedTuple:
    made for every certificate of every verification.)"""

    cert: x509.Certificate
    der: bytes
    #: The issuer and subject Names' exact encodings: equal bytes are equal names without building Name objects.
    issuer_der: bytes
    subject_der: bytes
    #: The Names as ((attribute OID content, value bytes), ...) when they have the simple shape `simple_name`
    #: reads (then no x509.Name is built unless a check asks for one), else None.
    issuer_key: SimpleName | None
    subject_key: SimpleName | None
    not_before: datetime
    not_after: datetime
    #: The Validity SEQUENCE's content (notBefore and notAfter).
    validity: bytes
    #: The SubjectPublicKeyInfo algorithm OID's content octets: which key type, without loading the key.
    key_algorithm: bytes
    extensions: tuple[RawExtension, ...]
    #: Why the extension list is not DER, or None.
    extensions_error: str | None
    #: The same extensions by OID (no OID occurs twice in a list that parsed): what every check looks up.
    by_oid: dict[str, RawExtension]
    #: The signatureAlgorithm OID, dotted (cryptography's reading, taken once).
    signature_oid: str

    @property
    def issuer(self) -> x509.Name:
        return self.cert.issuer  # cryptography builds it on first access and keeps it

    @property
    def subject(self) -> x509.Name:
        return self.cert.subject

    def issued_by_name(self, issuer: ParsedCertificate) -> bool:
        """Whether `issuer`'s subject is this certificate's issuer (RFC 5280 name equality, as cryptography's)."""
        return same_name(self.issuer_der, self.issuer_key, issuer.subject_der, issuer.subject_key) or (
            self.issuer == issuer.subject if self.issuer_key is None or issuer.subject_key is None else False
        )

    def is_self_issued(self) -> bool:
        return same_name(self.issuer_der, self.issuer_key, self.subject_der, self.subject_key) or (
            self.issuer == self.subject if self.issuer_key is None or self.subject_key is None else False
        )

    def has_rsa_key(self) -> bool:
        """rsaEncryption or RSASSA-PSS: the key types whose size and exponent policy bounds."""
        return self.key_algorithm in _RSA_KEY_OIDS

    def find(self, oid: str) -> RawExtension | None:
        return self.by_oid.get(oid)


def parse_certificate(
    cert: x509.Certificate, der: bytes | None = None, *, names: dict[bytes, SimpleName | None] | None = None
) -> ParsedCertificate:
    """Read `cert` (whose DER is `der`, when the caller has it) once. Raises ValueError for what cryptography
    parses lazily and refuses (a malformed Name), DerError if the DER is not one certificate. `names`, when given,
    holds the Name readings of the other certificates of the same chain: a certificate's issuer is the next one's
    subject, read once (the dict lives for one verification)."""
    if der is None:
        der = cert.public_bytes(serialization.Encoding.DER)
    fields = _tbs_fields(der)
    offset = 1 if fields[0][0] == _VERSION_TAG else 0
    if len(fields) < offset + 6:
        raise DerError("TBSCertificate has too few fields")
    _, issuer_start, _, issuer_end = fields[offset + 2]
    _, _, validity_start, validity_end = fields[offset + 3]
    _, subject_start, _, subject_end = fields[offset + 4]
    issuer_der, subject_der = der[issuer_start:issuer_end], der[subject_start:subject_end]
    # cryptography parses names and validity lazily; a malformed one must fail now, at the boundary. A Name of the
    # simple shape cannot fail (`simple_name`); any other is built here, so cryptography says.
    if names is None:
        issuer_key, subject_key = simple_name(issuer_der), simple_name(subject_der)
    else:
        # The chain's memo, read inline (twice per certificate of every verification).
        issuer_key = names[issuer_der] if issuer_der in names else names.setdefault(issuer_der, simple_name(issuer_der))
        subject_key = (
            names[subject_der] if subject_der in names else names.setdefault(subject_der, simple_name(subject_der))
        )
    if issuer_key is None:
        _ = cert.issuer
    if subject_key is None:
        _ = cert.subject
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    by_oid: dict[str, RawExtension] = {}
    error = None
    for tag, _, content, end in fields[offset + 6 :]:
        if tag == _EXTENSIONS_TAG:
            try:
                by_oid = _extensions(der, content, end)
            except DerError as exc:
                error = str(exc)
            break
    return _new_tuple(
        ParsedCertificate,
        (
            cert,
            der,
            issuer_der,
            subject_der,
            issuer_key,
            subject_key,
            not_before,
            not_after,
            der[validity_start:validity_end],
            _key_algorithm(der, fields[offset + 5]),
            tuple(by_oid.values()),
            error,
            by_oid,
            cert.signature_algorithm_oid.dotted_string,
        ),
    )


def _key_algorithm(der: bytes, spki: tuple[int, int, int, int]) -> bytes:
    # SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
    _, _, start, stop = spki
    if stop - start > 4 and der[start] == _SEQUENCE and der[start + 2] == _OID and der[start + 1] < 0x80:
        # The usual shape, short-form lengths throughout, read inline.
        oid_stop = start + 4 + der[start + 3]
        if der[start + 3] < 0x80 and oid_stop <= start + 2 + der[start + 1] <= stop:
            return der[start + 4 : oid_stop]
    first, _, algorithm_start, algorithm_stop = header(der, start, stop)
    tag, _, oid_start, oid_stop = header(der, algorithm_start, algorithm_stop)
    if first != _SEQUENCE or tag != _OID:
        raise DerError("SubjectPublicKeyInfo has no algorithm OID")
    return der[oid_start:oid_stop]


def _children(data: bytes, start: int, stop: int) -> list[tuple[int, int, int, int]]:
    """(identifier octet, TLV start, content start, content end) of each TLV exactly filling data[start:stop]."""
    items, pos = [], start
    while pos < stop:
        # Inline for the commonest element, a low tag number with a short-form length; header() reads the rest
        # (and reports every error): this loop runs for every element of every certificate read.
        first = data[pos]
        if first & 0x1F != 0x1F and pos + 1 < stop and data[pos + 1] < 0x80 and pos + 2 + data[pos + 1] <= stop:
            content = pos + 2
            end = content + data[pos + 1]
        else:
            first, _, content, end = header(data, pos, stop)
        items.append((first, pos, content, end))
        pos = end
    return items


def _only(data: bytes, start: int, stop: int, tag: int, what: str) -> tuple[int, int]:
    first, _, content, end = header(data, start, stop)
    if first != tag or end != stop:
        raise DerError(f"{what} is not exactly one element with tag {tag:#04x}")
    return content, end


def _tbs_fields(der: bytes) -> list[tuple[int, int, int, int]]:
    size = len(der)
    if size > 8 and der[0] == der[4] == _SEQUENCE and der[1] == der[5] == 0x82 and der[2] and der[6]:
        # The usual shape, read inline: Certificate and TBSCertificate both 256 to 65535 bytes long (two-octet
        # lengths, minimal since their first octet is not zero), the Certificate filling `der` exactly.
        tbs_stop = 8 + (der[6] << 8 | der[7])
        if (der[2] << 8 | der[3]) == size - 4 and tbs_stop <= size:
            return _children(der, 8, tbs_stop)
    start, stop = _only(der, 0, size, _SEQUENCE, "Certificate")
    first, _, tbs_start, tbs_stop = header(der, start, stop)
    if first != _SEQUENCE:
        raise DerError("TBSCertificate is not a SEQUENCE")
    return _children(der, tbs_start, tbs_stop)


def _extensions(der: bytes, start: int, stop: int) -> dict[str, RawExtension]:
    """The extensions by OID, in their order. RFC 5280 §4.2: "A certificate MUST NOT include more than one instance
    of a particular extension." """
    list_start, list_stop = _only(der, start, stop, _SEQUENCE, "Extensions")
    extensions: dict[str, RawExtension] = {}
    count = 0
    pos = list_start
    while pos < list_stop:
        # An Extension SEQUENCE is nearly always shorter than 128 bytes (short-form length): read inline.
        if pos + 1 < list_stop and der[pos + 1] < 0x80 and pos + 2 + der[pos + 1] <= list_stop:
            tag, content, end = der[pos], pos + 2, pos + 2 + der[pos + 1]
        else:
            tag, _, content, end = header(der, pos, list_stop)
        if tag != _SEQUENCE:
            raise DerError("an Extension is not a SEQUENCE")
        extension = _plain_extension(der, content, end) or _extension(der, content, end)
        extensions[extension[0]] = extension
        count += 1
        pos = end
    if len(extensions) != count:
        raise DerError("repeats an extension")
    return extensions


def _plain_extension(der: bytes, start: int, stop: int) -> RawExtension | None:
    """An Extension of a known OID (`_KNOWN_OIDS`) whose every length is short form: nearly every extension of every
    certificate read, read with a third of `_extension`'s steps. Anything else is None and `_extension` reads it
    (and reports every error); what this accepts, `_extension` reads the same."""
    # 06 <n> <oid>, then 01 01 ff or nothing, then 04 <m> <value> ending exactly at `stop`.
    if stop - start < 4 or der[start] != _OID or der[start + 1] >= 0x80:
        return None
    oid_end = start + 2 + der[start + 1]
    if oid_end + 2 > stop:
        return None
    oid = _KNOWN_OIDS.get(der[start + 2 : oid_end])
    if oid is None:
        return None
    critical = der[oid_end] == _BOOLEAN
    if critical:
        if oid_end + 3 > stop or der[oid_end + 1] != 1 or der[oid_end + 2] != 0xFF:
            return None  # FALSE spelled out, or not a DER BOOLEAN: `_extension` says which
        oid_end += 3
        if oid_end + 2 > stop:
            return None
    if der[oid_end] != _OCTET_STRING or der[oid_end + 1] >= 0x80 or oid_end + 2 + der[oid_end + 1] != stop:
        return None
    return _new_tuple(RawExtension, (oid, critical, der[oid_end + 2 : stop]))


def _extension(der: bytes, start: int, stop: int) -> RawExtension:
    # Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }, read field by
    # field: this runs for every extension of every certificate read, so a short-form OID and BOOLEAN (all real
    # ones) are read inline, and header() reads everything else (and reports every error).
    if stop - start > 2 and der[start] == _OID and der[start + 1] < 0x80:
        oid_tag, oid_start, oid_end = _OID, start + 2, start + 2 + der[start + 1]
        if oid_end > stop:
            raise DerError("value runs past its container")
    else:
        oid_tag, _, oid_start, oid_end = header(der, start, stop)
    if oid_end >= stop:
        raise DerError("an Extension does not have 2 or 3 fields")
    pos = oid_end
    critical = False
    if der[pos] == _BOOLEAN:
        if pos + 3 > stop or der[pos + 1] != 1 or der[pos + 2] not in (0x00, 0xFF):
            raise DerError("Extension.critical is not a DER BOOLEAN")
        critical = der[pos + 2] == 0xFF
        pos += 3
        if pos >= stop:
            raise DerError("an Extension does not have 2 or 3 fields")
    if pos + 1 < stop and der[pos + 1] < 0x80:  # a short-form extnValue, read inline
        value_tag, value_start, value_end = der[pos], pos + 2, pos + 2 + der[pos + 1]
    else:
        value_tag, _, value_start, value_end = header(der, pos, stop)
    if value_end != stop:
        raise DerError("an Extension does not have 2 or 3 fields")
    if oid_tag != _OID or value_tag != _OCTET_STRING:
        raise DerError("an Extension is not (OID, [critical], OCTET STRING)")
    content = der[oid_start:oid_end]
    oid = _KNOWN_OIDS.get(content) or oid_text(content)
    # tuple.__new__ directly: a NamedTuple's own constructor is a Python call, made here for every extension.
    return _new_tuple(RawExtension, (oid, critical, der[value_start:value_end]))


_new_tuple = tuple.__new__


#: rsaEncryption (1.2.840.113549.1.1.1) and id-RSASSA-PSS (1.2.840.113549.1.1.10).
_RSA_KEY_OIDS = frozenset({oid_content("1.2.840.113549.1.1.1"), oid_content("1.2.840.113549.1.1.10")})
#: Extension OIDs real attestation certificates carry: read by lookup, not arc by arc, on every verification.
_KNOWN_OIDS = {
    oid_content(dotted): dotted
    for dotted in (
        OID_BASIC_CONSTRAINTS,
        OID_KEY_USAGE,
        OID_FIDO_GEN_CE_AAGUID,
        "2.5.29.14",  # subjectKeyIdentifier
        "2.5.29.35",  # authorityKeyIdentifier
        "2.5.29.17",  # subjectAltName
        "2.5.29.37",  # extKeyUsage
        "2.5.29.32",  # certificatePolicies
        "2.5.29.31",  # cRLDistributionPoints
        "1.3.6.1.5.5.7.1.1",  # authorityInfoAccess
        "1.3.6.1.4.1.11129.2.1.17",  # Android key attestation
        "1.2.840.113635.100.8.2",  # Apple anonymous attestation nonce
    )
}


def read_basic_constraints(value: bytes) -> tuple[bool, int | None]:
    """basicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL }.

    One leniency, on purpose: an explicitly encoded cA FALSE (30 03 01 01 00) is read as FALSE. DER forbids
    encoding a DEFAULT value, but the meaning is unambiguous, and the Chrome virtual authenticator's attestation
    certificate (vector swa-packed-x5c-chrome-virtual-bad-basic-constraints) carries exactly this encoding.
    """
    common = _COMMON_BASIC_CONSTRAINTS.get(value)
    if common is not None:
        return common
    start, stop = _only(value, 0, len(value), _SEQUENCE, "BasicConstraints")
    fields = [(tag, value[content:end]) for tag, _, content, end in _children(value, start, stop)]
    ca, path_length = False, None
    if fields and fields[0][0] == _BOOLEAN:
        if fields[0][1] not in (b"\x00", b"\xff"):
            raise DerError("cA is not a BOOLEAN")
        ca = fields.pop(0)[1] == b"\xff"
    if fields and fields[0][0] == _INTEGER:
        raw = fields.pop(0)[1]
        if not raw or raw[0] & 0x80 or len(raw) > 8:
            raise DerError("pathLenConstraint is not a small non-negative INTEGER")
        path_length = int.from_bytes(raw, "big")
    if fields:
        raise DerError("unexpected field in BasicConstraints")
    return ca, path_length


#: The encodings nearly every certificate carries, read by lookup (they are exact byte strings, so a lookup accepts
#: nothing the reader above would refuse): an end entity's empty SEQUENCE, the lenient explicit cA FALSE, a CA,
#: and a CA with a pathLenConstraint of 0 to 9.
_COMMON_BASIC_CONSTRAINTS: dict[bytes, tuple[bool, int | None]] = {
    b"\x30\x00": (False, None),
    b"\x30\x03\x01\x01\x00": (False, None),
    b"\x30\x03\x01\x01\xff": (True, None),
    **{b"\x30\x06\x01\x01\xff\x02\x01" + bytes([n]): (True, n) for n in range(10)},
}


def read_key_usage_cert_sign(value: bytes) -> bool:
    """Whether a KeyUsage BIT STRING asserts keyCertSign (bit 5, RFC 5280 §4.2.1.3)."""
    common = _ONE_OCTET_KEY_USAGE.get(value)
    if common is not None:
        return common
    start, stop = _only(value, 0, len(value), _BIT_STRING, "KeyUsage")
    bits = value[start:stop]
    if not bits or bits[0] > 7:
        raise DerError("KeyUsage BIT STRING has no unused-bits octet")
    return len(bits) > 1 and bool(bits[1] & 0x04)


#: Every keyUsage of one named-bit octet (03 02 <unused bits 0-7> <octet>), what nearly all certificates carry,
#: read by lookup with the answer the reader above gives.
_ONE_OCTET_KEY_USAGE = {bytes((_BIT_STRING, 2, unused, octet)): bool(octet & 0x04) for unused in range(8) for octet in range(256)}


def generalized_time_before_2050(parsed: ParsedCertificate) -> bool:
    """RFC 5280 §4.1.2.5: dates through 2049 MUST be UTCTime. Some devices (Feitian BioPass) use GeneralizedTime."""
    validity = parsed.validity
    times = _children(validity, 0, len(validity))
    return any(tag == _GENERALIZED_TIME and validity[start : start + 4] < b"2050" for tag, _, start, _ in times)
