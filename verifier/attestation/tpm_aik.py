"""TPM attestation certificate (AIK certificate) requirements: #sctn-tpm-cert-requirements.

The requirements are all about extensions, so the AIK certificate's extension list must be DER that
cryptography parses: a list it refuses (the FIDO tool's 2018 AIK certificates carry a certificatePolicies
UserNotice with trailing bytes) is `att_cert.extensions.malformed` under every policy, since none of the
requirements can then be said to hold (vectors/real/tpm/f2n-tpm-*.json).
"""

from __future__ import annotations

import re

from cryptography import x509

from ..cert_der import (
    OID_BASIC_CONSTRAINTS,
    OID_FIDO_GEN_CE_AAGUID,
    OID_KEY_USAGE,
    ParsedCertificate,
)
from ..cert_names import printable_string
from ..der import DerError, header, oid_content
from ..errors import Code, fail
from ..policy import Policy

#: TPM manufacturer IDs ("TPM Capabilities Vendor ID", CAP_VID) from the TCG TPM Vendor ID Registry,
#: https://trustedcomputinggroup.org/resource/vendor-id-registry/ (Family 1.2 and 2.0, Version 1.02 Revision 1.00,
#: plus the later Google and Huawei assignments). The AIK certificate names the TPM as "id:" + 8 hex digits.
TCG_VENDOR_IDS: dict[str, str] = {
    "414D4400": "AMD",
    "41544D4C": "Atmel",
    "4252434D": "Broadcom",
    "4353434F": "Cisco",
    "464C5953": "Flyslice Technologies",
    "474F4F47": "Google",
    "48504500": "HPE",
    "48495349": "Huawei",
    "49424D00": "IBM",
    "49465800": "Infineon",
    "494E5443": "Intel",
    "4C454E00": "Lenovo",
    "4D534654": "Microsoft",
    "4E534D20": "National Semiconductor",
    "4E545A00": "Nationz",
    "4E544300": "Nuvoton Technology",
    "51434F4D": "Qualcomm",
    "524F4343": "Fuzhou Rockchip",
    "534D5343": "SMSC",
    "534D534E": "Samsung",
    "534E5300": "Sinosun",
    "53544D20": "ST Microelectronics",
    "54584E00": "Texas Instruments",
    "57454300": "Winbond",
}
#: The FIDO conformance tool's virtual TPM (docs/fido_conformance.md §2.10); never a real chip.
FIDO_TEST_VENDOR_ID = "FFFFF1D0"

#: tcg-kp-AIKCertificate: "joint-iso-itu-t(2) internationalorganizations(23) 133 tcg-kp(8) tcg-kp-AIKCertificate(3)".
OID_TCG_KP_AIK_CERTIFICATE = x509.ObjectIdentifier("2.23.133.8.3")
# TCG EK Credential Profile for TPM Family 2.0 §3.2.9: the subjectAltName directoryName attributes.
SAN_ATTRIBUTES = (
    ("tpm_manufacturer", x509.ObjectIdentifier("2.23.133.2.1")),
    ("tpm_model", x509.ObjectIdentifier("2.23.133.2.2")),
    ("tpm_version", x509.ObjectIdentifier("2.23.133.2.3")),
)
_MANUFACTURER_ID = re.compile(r"id:([0-9A-Fa-f]{8})")


def check_aik_certificate(reading: ParsedCertificate, *, policy: Policy) -> dict[str, str]:
    """#sctn-tpm-cert-requirements; returns the TPM identity the SAN names.

    An AIK certificate of the plain shape nearly all of them have (`plain_aik_identity`) is read from the DER walk
    load_x5c already made; any other is read by cryptography (`check_aik_with_cryptography`), whose verdict on the
    extension list then decides att_cert.extensions.malformed. The plain shape is chosen so that both readings
    agree on it: the fast reading never accepts what the other would refuse."""
    identity = plain_aik_identity(reading)
    if identity is None:
        return check_aik_with_cryptography(reading.cert, policy=policy)
    check_manufacturer(identity, policy=policy)
    return identity


def check_aik_with_cryptography(cert: x509.Certificate, *, policy: Policy) -> dict[str, str]:
    """#sctn-tpm-cert-requirements, in the spec's order."""
    # "Version MUST be set to 3."
    if cert.version is not x509.Version.v3:
        raise fail(Code.ATT_CERT_VERSION_INVALID, f"AIK certificate is {cert.version.name}, not v3")
    # "Subject field MUST be set to empty."
    if not _subject_is_empty(cert):
        raise fail(Code.ATT_CERT_SUBJECT_NOT_EMPTY, "AIK certificate subject is not empty")
    try:
        extensions = cert.extensions
    except Exception as exc:  # a parse boundary: cryptography raises ValueError, TypeError, DuplicateExtension
        raise fail(Code.ATT_CERT_EXTENSIONS_MALFORMED, f"AIK certificate extensions do not parse: {exc}") from None
    # "The Subject Alternative Name extension MUST be set as defined in [TPMv2-EK-Profile] section 3.2.9."
    identity = tpm_identity(extensions)
    check_manufacturer(identity, policy=policy)
    # "The Extended Key Usage extension MUST contain the OID 2.23.133.8.3".
    eku = _extension(extensions, x509.ExtendedKeyUsage)
    if eku is None:
        raise fail(Code.ATT_CERT_EKU_MISSING, "AIK certificate has no extended key usage extension")
    if OID_TCG_KP_AIK_CERTIFICATE not in eku.value:
        raise fail(Code.ATT_CERT_EKU_INVALID, "AIK certificate EKU lacks tcg-kp-AIKCertificate (2.23.133.8.3)")
    # "The Basic Constraints extension MUST have the CA component set to false." Unlike packed, where an absent
    # extension already means "not a CA", the TPM requirement names the extension among those the AIK
    # certificate "MUST have".
    basic = _extension(extensions, x509.BasicConstraints)
    if basic is None:
        raise fail(Code.ATT_CERT_BASIC_CONSTRAINTS_MISSING, "AIK certificate has no basic constraints extension")
    if basic.value.ca:
        raise fail(Code.ATT_CERT_BASIC_CONSTRAINTS_CA, "AIK certificate is a CA certificate")
    return identity


def _subject_is_empty(cert: x509.Certificate) -> bool:
    try:
        return len(cert.subject) == 0
    except Exception:  # a subject cryptography cannot read is certainly not the empty sequence
        return False


def _extension(extensions: x509.Extensions, kind: type) -> x509.Extension | None:
    try:
        return extensions.get_extension_for_class(kind)
    except x509.ExtensionNotFound:
        return None


def tpm_identity(extensions: x509.Extensions) -> dict[str, str]:
    """TPMv2-EK-Profile §3.2.9: one directoryName holding TPMManufacturer, TPMModel and TPMVersion, each once.

    Real AIK certificates group the three attributes either as three RDNs or as one multi-valued RDN (Windows
    Hello does the latter); both carry the same Name attributes, so both are accepted.
    """
    san = _extension(extensions, x509.SubjectAlternativeName)
    if san is None:
        raise fail(Code.ATT_CERT_SAN_MISSING, "AIK certificate has no subject alternative name")
    # RFC 5280 §4.2.1.6: "If the subject field contains an empty sequence, then the issuing CA MUST include a
    # subjectAltName extension that is marked as critical."
    if not san.critical:
        raise fail(Code.ATT_CERT_SAN_NOT_CRITICAL, "AIK certificate has an empty subject and a non-critical SAN")
    names = san.value.get_values_for_type(x509.DirectoryName)
    if len(names) != 1:
        raise fail(Code.ATT_CERT_SAN_INVALID, f"AIK certificate SAN has {len(names)} directoryNames, expected 1")
    identity: dict[str, str] = {}
    for key, oid in SAN_ATTRIBUTES:
        values = names[0].get_attributes_for_oid(oid)
        if len(values) != 1 or not isinstance(values[0].value, str) or not values[0].value:
            raise fail(Code.ATT_CERT_SAN_INVALID, f"AIK certificate SAN needs exactly one {oid.dotted_string} ({key})")
        identity[key] = values[0].value
    if not _MANUFACTURER_ID.fullmatch(identity["tpm_manufacturer"]):
        raise fail(Code.ATT_CERT_SAN_INVALID, f"TPMManufacturer {identity['tpm_manufacturer']!r} is not id:<8 hex>")
    return identity


def check_manufacturer(identity: dict[str, str], *, policy: Policy) -> None:
    """The TPM vendor must be one the TCG registered; the FIDO test vendor only when policy says so."""
    vendor_id = identity["tpm_manufacturer"][3:].upper()
    if vendor_id == FIDO_TEST_VENDOR_ID:
        if not policy.allow_test_tpm_vendors:
            raise fail(Code.TPM_MANUFACTURER_TEST_VENDOR_REFUSED, "TPM vendor id:FFFFF1D0 is the FIDO test vendor")
        identity["tpm_vendor"] = "FIDO Alliance conformance test vendor"
    elif vendor_id in TCG_VENDOR_IDS:
        identity["tpm_vendor"] = TCG_VENDOR_IDS[vendor_id]
    elif policy.tpm_require_known_manufacturer:
        raise fail(Code.TPM_MANUFACTURER_UNKNOWN, f"TPM manufacturer id:{vendor_id} is not in the TCG registry")


# --- the plain shape, read from the certificate's DER ------------------------------------------------------------

OID_SAN, OID_EKU, OID_AKI, OID_SKI = "2.5.29.17", "2.5.29.37", "2.5.29.35", "2.5.29.14"
_AIK_EKU = oid_content(OID_TCG_KP_AIK_CERTIFICATE.dotted_string)
_SAN_KEYS = {oid_content(oid.dotted_string): key for key, oid in SAN_ATTRIBUTES}
_UTF8_STRING, _PRINTABLE_STRING = 0x0C, 0x13


def plain_aik_identity(reading: ParsedCertificate) -> dict[str, str] | None:
    """The TPM identity of an AIK certificate that plainly meets every requirement, else None.

    Plain: a v3 certificate with an empty subject whose extensions are a critical SAN holding one directoryName
    of the three TPM attributes (UTF8String or PrintableString, short-form lengths, DER SET order), an EKU naming
    tcg-kp-AIKCertificate, basicConstraints {} (cA false), and otherwise only the canonical forms of
    authorityKeyIdentifier (keyIdentifier only), subjectKeyIdentifier, a one-octet keyUsage and
    id-fido-gen-ce-aaguid (checked by its own step). Every one of these cryptography also parses; anything else
    (and every defect) goes to the reading that names the defect."""
    if reading.extensions_error is not None or reading.subject_der != b"\x30\x00":
        return None
    if reading.cert.version is not x509.Version.v3:
        return None
    san = None
    eku = constraints = False
    for oid, critical, value in reading.extensions:
        if oid == OID_SAN:
            san = value if critical else None
        elif oid == OID_EKU:
            eku = _eku_names_aik(value)
        elif oid == OID_BASIC_CONSTRAINTS:
            constraints = value == b"\x30\x00"
        elif oid == OID_AKI:
            if not _plain_key_identifier(value):
                return None
        elif oid == OID_SKI:
            if not (len(value) > 2 and value[0] == 0x04 and value[1] == len(value) - 2):
                return None
        elif oid == OID_KEY_USAGE:
            if not _plain_key_usage(value):
                return None
        elif oid != OID_FIDO_GEN_CE_AAGUID:
            return None
    if san is None or not eku or not constraints:
        return None
    return _san_identity(san)


def _short_tlv(data: bytes, pos: int, stop: int, tag: int) -> int | None:
    """The end of a TLV with `tag` and a short-form, non-empty length at data[pos], inside data[:stop] (read by the
    project's DER reader; anything else, or anything it refuses, is None)."""
    try:
        first, _, content, end = header(data, pos, stop)
    except DerError:
        return None
    return end if first == tag and content == pos + 2 and end > content else None


def _eku_names_aik(value: bytes) -> bool:
    if _short_tlv(value, 0, len(value), 0x30) != len(value):
        return False
    pos, found = 2, False
    while pos < len(value):
        end = _short_tlv(value, pos, len(value), 0x06)
        # X.690 §8.19.2: an arc's first octet is never 0x80, and the last octet ends the arc.
        if end is None or value[end - 1] & 0x80 or any(
            value[i] == 0x80 and (i == pos + 2 or not value[i - 1] & 0x80) for i in range(pos + 2, end)
        ):
            return False
        found = found or value[pos + 2 : end] == _AIK_EKU
        pos = end
    return found


def _plain_key_identifier(value: bytes) -> bool:
    # AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING } and nothing else.
    return len(value) > 4 and value[0] == 0x30 and value[1] == len(value) - 2 < 0x80 and value[2] == 0x80 and (
        value[3] == len(value) - 4
    )


def _plain_key_usage(value: bytes) -> bool:
    # One named-bit octet with exactly its unused trailing bits zero: the DER of a keyUsage of bits 0 to 7.
    return (
        len(value) == 4
        and value[:2] == b"\x03\x02"
        and value[2] <= 7
        and value[3] != 0
        and (value[3] >> value[2]) & 1 == 1
    )


def _san_identity(value: bytes) -> dict[str, str] | None:
    # GeneralNames ::= SEQUENCE { directoryName [4] EXPLICIT Name }: exactly one element.
    size = len(value)
    if _short_tlv(value, 0, size, 0x30) != size or _short_tlv(value, 2, size, 0xA4) != size:
        return None
    if _short_tlv(value, 4, size, 0x30) != size:
        return None
    found: dict[bytes, str] = {}
    pos = 6
    while pos < size:
        rdn_end = _short_tlv(value, pos, size, 0x31)
        if rdn_end is None:
            return None
        previous = b""
        pos += 2
        while pos < rdn_end:
            end = _short_tlv(value, pos, rdn_end, 0x30)
            attribute = _san_attribute(value, pos, end) if end is not None else None
            # X.690 §11.6: a SET OF's elements in ascending order of their encodings (and no repeats).
            if attribute is None or value[pos:end] <= previous or attribute[0] in found:
                return None
            previous = value[pos:end]
            found[attribute[0]] = attribute[1]
            pos = end
    if len(found) != len(_SAN_KEYS):
        return None
    identity = {key: found[oid] for oid, key in _SAN_KEYS.items()}
    return identity if _MANUFACTURER_ID.fullmatch(identity["tpm_manufacturer"]) else None


def _san_attribute(value: bytes, pos: int, end: int) -> tuple[bytes, str] | None:
    oid_end = _short_tlv(value, pos + 2, end, 0x06)
    if oid_end is None or value[pos + 2 + 2 : oid_end] not in _SAN_KEYS or oid_end + 2 > end:
        return None
    tag = value[oid_end]
    if _short_tlv(value, oid_end, end, tag) != end:
        return None
    raw = value[oid_end + 2 : end]
    if tag == _PRINTABLE_STRING:
        return (value[pos + 4 : oid_end], raw.decode("ascii")) if printable_string(raw) else None
    if tag != _UTF8_STRING:
        return None
    try:
        return value[pos + 4 : oid_end], raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
