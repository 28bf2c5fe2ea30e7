"""X.509 Names read from their DER without building cryptography's Name objects, for the shape nearly every
attestation certificate uses (`simple_name`); verifier/cert_der.py reads every certificate's issuer and subject
with it, and compares names by these readings."""

from __future__ import annotations

from .der import oid_content

_SEQUENCE, _OID = 0x30, 0x06

SimpleName = tuple[tuple[bytes, bytes], ...]

#: Attribute types of the simple shape: CN, C, O, OU, L, ST, serialNumber, domainComponent, emailAddress.
#: (OID content → whether it is countryName, whose value is two characters.)
_SIMPLE_NAME_OIDS = {
    oid_content(dotted): dotted == "2.5.4.6"
    for dotted in (
        "2.5.4.3", "2.5.4.6", "2.5.4.10", "2.5.4.11", "2.5.4.7", "2.5.4.8", "2.5.4.5",
        "0.9.2342.19200300.100.1.25", "1.2.840.113549.1.9.1",
    )
}
_UTF8_STRING, _PRINTABLE_STRING, _IA5_STRING = 0x0C, 0x13, 0x16
#: X.680 §41.4: the PrintableString characters (deleted by bytes.translate: what remains is not printable).
_PRINTABLE = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?"


def simple_name(der: bytes) -> SimpleName | None:
    """A Name whose every RDN is one attribute of a common type (`_SIMPLE_NAME_OIDS`) with a non-empty UTF8String,
    PrintableString or IA5String value that is what its type says (a country code two characters): read as
    ((OID content, value bytes), ...). cryptography parses such a Name without fail, and two of them are equal
    x509.Names exactly when these readings are equal (a NameAttribute compares OID and decoded text, not the
    string type; these three types decode as UTF-8). Anything else is None: the caller asks cryptography."""
    # Runs for every Name of every certificate read: lengths are read inline (a Name of the simple shape is
    # shorter than 256 bytes, so its length is short form or 0x81 + one octet).
    size = len(der)
    if size < 2 or der[0] != _SEQUENCE:
        return None
    pos = 2 if der[1] < 0x80 else 3
    if pos == 3 and (der[1] != 0x81 or size < 3 or der[2] < 0x80):
        return None
    if (der[1] if pos == 2 else der[2]) != size - pos:
        return None
    out = []
    while pos < size:
        # RDN SET { SEQUENCE { OID, value } }, every length in short form.
        if size - pos < 9 or der[pos] != 0x31 or der[pos + 2] != _SEQUENCE or der[pos + 4] != _OID:
            return None
        set_length = der[pos + 1]
        set_end = pos + 2 + set_length
        oid_end = pos + 6 + der[pos + 5]
        if set_length & 0x80 or der[pos + 3] != set_length - 2 or oid_end + 2 > set_end or set_end > size:
            return None
        tag, length = der[oid_end], der[oid_end + 1]
        if length != set_end - oid_end - 2 or not length:
            return None
        oid = der[pos + 6 : oid_end]
        value = der[oid_end + 2 : set_end]
        country = _SIMPLE_NAME_OIDS.get(oid)
        if country is None or (country and length != 2):
            return None
        if tag == _PRINTABLE_STRING:
            if value.translate(None, _PRINTABLE):  # printable_string, inline: this runs for every RDN read
                return None
        elif tag == _IA5_STRING:
            if not value.isascii():
                return None
        elif tag == _UTF8_STRING:
            if not value.isascii():  # ASCII is UTF-8: decode only what is not
                try:
                    value.decode("utf-8")
                except UnicodeDecodeError:
                    return None
        else:
            return None
        out.append((oid, value))
        pos = set_end
    return tuple(out)


def printable_string(value: bytes) -> bool:
    """Whether every octet is a PrintableString character (X.680 §41.4)."""
    return not value.translate(None, _PRINTABLE)


def same_name(der_a: bytes, key_a: SimpleName | None, der_b: bytes, key_b: SimpleName | None) -> bool:
    """Equal names by their readings: True/False when both are simple (or the bytes are equal), else False and
    the caller compares x509.Names."""
    return der_a == der_b or (key_a is not None and key_a == key_b)
