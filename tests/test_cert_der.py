"""verifier.cert_der: a certificate read once. The simple-Name reading must agree with cryptography exactly where
it answers (it lets the verifier skip building x509.Name objects), and decline everything else."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.name import _ASN1Type  # the string type of an attribute has no public name
from cryptography.x509.oid import NameOID
from fidoconf.verifier import cert_der
from fidoconf.verifier.cert_names import simple_name
from fidoconf.verifier.der import DerError, oid_content
from hypothesis import given, settings
from hypothesis import strategies as st

from . import seeded

KEY = seeded.ec_key()
T0 = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
TYPES = {"utf8": _ASN1Type.UTF8String, "printable": _ASN1Type.PrintableString, "ia5": _ASN1Type.IA5String}
OIDS = [NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME, NameOID.LOCALITY_NAME]
PRINTABLE = "ABCXYZabcxyz0129 '()+,-./:=?"


def _cert(subject: x509.Name, issuer: x509.Name | None = None) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer or subject)
        .public_key(KEY.public_key())
        .serial_number(7)
        .not_valid_before(T0)
        .not_valid_after(T0 + dt.timedelta(days=1))
    )
    return builder.sign(KEY, hashes.SHA256())


def _attribute(oid, kind: str, text: str) -> x509.NameAttribute:
    return x509.NameAttribute(oid, text, _type=TYPES[kind])


_texts = {
    "utf8": st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=12),
    "printable": st.text(st.sampled_from(PRINTABLE), min_size=1, max_size=12),
    "ia5": st.text(st.characters(max_codepoint=0x7F, blacklist_categories=["Cs"]), min_size=1, max_size=12),
}
_attributes = st.tuples(st.sampled_from(OIDS), st.sampled_from(sorted(TYPES))).flatmap(
    lambda pair: _texts[pair[1]].map(lambda text: _attribute(pair[0], pair[1], text))
)
_names = st.lists(_attributes, min_size=1, max_size=4).map(lambda attrs: x509.Name([x509.RelativeDistinguishedName([a]) for a in attrs]))


@settings(max_examples=60, deadline=None)
@given(subject=_names, issuer=_names)
def test_simple_names_read_as_cryptography_reads_them(subject, issuer):
    cert = x509.load_der_x509_certificate(_cert(subject, issuer).public_bytes(serialization.Encoding.DER))
    reading = cert_der.parse_certificate(cert)
    for key, name in ((reading.subject_key, cert.subject), (reading.issuer_key, cert.issuer)):
        assert key == tuple((oid_content(a.oid.dotted_string), a.value.encode()) for a in name)
    # Equal readings exactly when cryptography's Names are equal (the string type does not count).
    assert (reading.subject_key == reading.issuer_key) == (cert.subject == cert.issuer)
    assert reading.is_self_issued() == (cert.subject == cert.issuer)


def test_the_same_text_in_another_string_type_is_the_same_name():
    utf8 = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CA 1", _type=_ASN1Type.UTF8String)])
    printable = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CA 1", _type=_ASN1Type.PrintableString)])
    reading = cert_der.parse_certificate(_cert(utf8, printable))
    assert reading.issuer_der != reading.subject_der
    assert reading.is_self_issued() and utf8 == printable


def _three_letter_country() -> x509.Name:
    with warnings.catch_warnings():  # cryptography warns about the length it is told not to validate: on purpose
        warnings.simplefilter("ignore")
        return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "USA", _validate=False)])


@pytest.mark.filterwarnings("ignore:Attribute's length must be")  # reading it back warns again
@pytest.mark.parametrize(
    "name",
    [
        # a multi-valued RDN, a BMPString, a type outside the common set, a three-letter country
        x509.Name([x509.RelativeDistinguishedName([
            x509.NameAttribute(NameOID.COMMON_NAME, "a"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "b")
        ])]),
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bmp", _type=_ASN1Type.BMPString)]),
        x509.Name([x509.NameAttribute(NameOID.TITLE, "title")]),
        _three_letter_country(),
    ],
)
def test_other_names_are_left_to_cryptography(name):
    reading = cert_der.parse_certificate(_cert(name))
    assert reading.subject_key is None and reading.subject == name


@pytest.mark.parametrize("der", [b"", b"\x30", b"\x31\x00", b"\x30\x03\x31\x01\x30", b"\x30\x00\x00"])
def test_not_a_simple_name(der):
    assert simple_name(der) is None


def test_a_printable_string_outside_its_alphabet_is_left_to_cryptography():
    # CN=a@b as a PrintableString: cryptography refuses to even write it ('@' is not in the alphabet).
    good, bad = bytes.fromhex("300e310c300a06035504031303614262"), bytes.fromhex("300e310c300a06035504031303614062")
    assert simple_name(good) == ((bytes.fromhex("550403"), b"aBb"),)
    assert simple_name(bad) is None


def test_a_malformed_name_still_fails_at_the_boundary():
    cert = _cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "leaf")]))
    der = bytearray(cert.public_bytes(serialization.Encoding.DER))
    at = bytes(der).index(cert.subject.public_bytes())
    der[at + 2] = 0x06  # the RDN's SET tag → OBJECT IDENTIFIER: not simple, and cryptography refuses it
    with pytest.raises((ValueError, DerError)):
        cert_der.parse_certificate(x509.load_der_x509_certificate(bytes(der)), bytes(der))


@pytest.mark.parametrize(
    ("ca", "path_length"), [(False, None), (True, None), *((True, n) for n in (0, 1, 9, 10, 127, 128, 1000))]
)
def test_basic_constraints_read_as_cryptography_encodes_them(ca, path_length):
    # The common encodings are read by exact-bytes lookup, the others by the DER walk: both give what was encoded.
    value = x509.BasicConstraints(ca=ca, path_length=path_length).public_bytes()
    assert cert_der.read_basic_constraints(value) == (ca, path_length)


@pytest.mark.parametrize(
    "value",
    [b"\x30\x03\x01\x01\x01", b"\x30\x06\x01\x01\xff\x02\x01\x80", b"\x30\x06\x01\x01\xff\x02\x01", b"\x30\x00\x00"],
)
def test_basic_constraints_near_the_common_encodings_are_refused(value):
    # A non-DER BOOLEAN, a negative pathLen, a truncated INTEGER, a trailing byte: none is mistaken for a table entry.
    with pytest.raises(DerError):
        cert_der.read_basic_constraints(value)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_the_plain_extension_reading_agrees_with_the_full_one(data):
    """cert_der reads an Extension of a known OID with short-form lengths on a shorter path; with any one byte of a
    real certificate's extension changed, that path steps aside (None) or reads what the full reader reads."""
    key = seeded.ec_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ext")]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ext")]))
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2034, 1, 1, tzinfo=dt.UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    extension = data.draw(st.sampled_from(list(cert_der.parse_certificate(cert, der).extensions)))
    # The Extension's content: from its OID to the end of its extnValue.
    value_at = der.index(extension.value)
    start = der.rindex(b"\x06\x03\x55\x1d", 0, value_at)
    stop = value_at + len(extension.value)
    offset = data.draw(st.integers(start, stop - 1))
    changed = der[:offset] + bytes([data.draw(st.integers(0, 255))]) + der[offset + 1 :]
    plain = cert_der._plain_extension(changed, start, stop)
    if plain is not None:
        assert plain == cert_der._extension(changed, start, stop)
