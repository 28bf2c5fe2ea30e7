"""verifier.certs: the x5c parse boundary and #sctn-packed-attestation-cert-requirements, on real and generated
certificates. Every refusal asserts its exact code. The certificate factory and the vector loader here are
shared with test_trust.py."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from fidoconf.verifier import certs
from fidoconf.verifier.encoding import b64url_decode
from fidoconf.verifier.errors import Code, VerificationError

from . import seeded
from .conftest import ROOT

UTC = dt.UTC
T0 = dt.datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
AAGUID = bytes.fromhex("0102030405060708090a0b0c0d0e0f10")
AAGUID_OID = x509.ObjectIdentifier(certs.OID_FIDO_GEN_CE_AAGUID)


def data_dir() -> Path:
    """The repo's vectors/ once copied in, else the shared originals (same files)."""
    repo = ROOT / "vectors"
    return repo if (repo / "trust" / "vector_roots.json").exists() else ROOT.parent / "shared"


def trust_dir() -> Path:
    return data_dir() / "trust"


@cache
def vector(name: str) -> dict:
    (path,) = (data_dir() / "vectors" if data_dir().name == "shared" else data_dir()).glob(f"real/*/{name}.json")
    return json.loads(path.read_text())


def _b64(text: str) -> bytes:
    return b64url_decode(text, field="test vector")


def attestation_object(name: str) -> dict:
    return cbor2.loads(_b64(vector(name)["credential"]["response"]["attestationObject"]))


def x5c_of(name: str) -> list[bytes]:
    """attStmt.x5c; android-safetynet carries it in the JWS header instead."""
    obj = attestation_object(name)
    if obj["fmt"] == "android-safetynet":
        header = json.loads(_b64(obj["attStmt"]["response"].decode().split(".")[0]))
        return [base64.b64decode(c) for c in header["x5c"]]
    return obj["attStmt"].get("x5c", [])


def aaguid_of(name: str) -> bytes:
    return attestation_object(name)["authData"][37:53]


def pem(relative: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate((trust_dir() / relative).read_bytes())


# --- a small PKI factory --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    cert: x509.Certificate
    key: object

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)


def attestation_name(cn: str = "Batch 1", *, c="US", o="Example Vendor", ou="Authenticator Attestation") -> x509.Name:
    attrs = [(NameOID.COUNTRY_NAME, c), (NameOID.ORGANIZATION_NAME, o), (NameOID.ORGANIZATIONAL_UNIT_NAME, ou)]
    attrs.append((NameOID.COMMON_NAME, cn))
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attrs if value is not None])


def issue(
    cn: str,
    *,
    issuer: Issued | None = None,
    key: object | None = None,
    ca: bool | None = False,
    path_length: int | None = None,
    bc_critical: bool = True,
    valid: tuple[int, int] = (-365, 365),
    subject: x509.Name | None = None,
    extensions: tuple[tuple[x509.ExtensionType, bool], ...] = (),
    key_usage: x509.KeyUsage | None = None,
    algorithm: hashes.HashAlgorithm | None = None,
) -> Issued:
    """A certificate named `cn`, signed by `issuer` (self-signed when None). ca=None omits basicConstraints."""
    key = key or seeded.ec_key()
    if subject is None:
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]) if ca else attestation_name(cn)
    signer_name = issuer.cert.subject if issuer else subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(signer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(T0 + dt.timedelta(days=valid[0]))
        .not_valid_after(T0 + dt.timedelta(days=valid[1]))
    )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=bc_critical)
    if key_usage is not None:
        builder = builder.add_extension(key_usage, critical=True)
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return Issued(builder.sign(issuer.key if issuer else key, algorithm or hashes.SHA256()), key)


def key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def resign_sha1(child: Issued, issuer: Issued) -> x509.Certificate:
    """cryptography no longer signs with SHA-1, so: sign with SHA-256 under an RSA key, swap the algorithm OID
    (same length) and put a real SHA-1 signature of the patched TBS in place (same length for RSA)."""
    sha256_rsa, sha1_rsa = bytes.fromhex("2a864886f70d01010b"), bytes.fromhex("2a864886f70d010105")
    der = child.der.replace(sha256_rsa, sha1_rsa)
    tbs = x509.load_der_x509_certificate(der).tbs_certificate_bytes
    signature = issuer.key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    return x509.load_der_x509_certificate(der[: -len(signature)] + signature)


def aaguid_extension(value: bytes) -> x509.UnrecognizedExtension:
    return x509.UnrecognizedExtension(AAGUID_OID, value)


@pytest.fixture(scope="module")
def root() -> Issued:
    return issue("Test Root", ca=True)


def _refused(code: Code, call, *args, **kwargs) -> VerificationError:
    with pytest.raises(VerificationError) as caught:
        call(*args, **kwargs)
    assert caught.value.code is code, caught.value.message
    return caught.value


# --- load_x5c ----------------------------------------------------------------------------------------------------


RECORDED_WITH_X5C = [
    "f2n-packed-x5c",
    "swa-packed-x5c",
    "swa-packed-x5c-chrome-virtual-bad-basic-constraints",
    "pyw-tpm-dell-xps-13",
    "f2n-tpm-rsa-sha1",
    "wrs-android-key-webauthn-org",
    "f2n-apple",
    "pyw-u2f-fido-conformance",
]


@pytest.mark.filterwarnings("ignore:Parsed a serial number")
@pytest.mark.parametrize("name", RECORDED_WITH_X5C)
def test_recorded_x5c_loads_byte_exact(name):
    items = x5c_of(name)
    chain = certs.load_x5c(items)
    assert [c.public_bytes(serialization.Encoding.DER) for c in chain] == items


def test_x5c_not_an_array():
    _refused(Code.ATT_STMT_X5C_TYPE_INVALID, certs.load_x5c, b"\x30\x00")
    _refused(Code.ATT_STMT_X5C_TYPE_INVALID, certs.load_x5c, {"0": b""})


def test_x5c_empty():
    _refused(Code.ATT_STMT_X5C_EMPTY, certs.load_x5c, [])


def test_x5c_fewer_than_required(root):
    _refused(Code.ATT_STMT_X5C_COUNT_INVALID, certs.load_x5c, [root.der], min_count=2)


def test_x5c_item_not_bytes(root):
    error = _refused(Code.ATT_STMT_X5C_TYPE_INVALID, certs.load_x5c, [root.der, root.der.hex()])
    assert error.detail == {"index": 1}


@pytest.mark.parametrize("item", [b"", b"\x30\x00", b"not a certificate", b"\x30\x82\xff\xff"])
def test_x5c_item_not_a_certificate(item):
    _refused(Code.ATT_STMT_X5C_CERT_INVALID, certs.load_x5c, [item])


def test_x5c_item_with_trailing_bytes(root):
    error = _refused(Code.ATT_STMT_X5C_CERT_INVALID, certs.load_x5c, [root.der, root.der + b"\x00"])
    assert error.detail == {"index": 1}


def test_x5c_malformed_issuer_name_is_caught_at_the_boundary(root):
    # cryptography parses names lazily: a SET tag turned into an OID tag inside the issuer must not surface later.
    der = bytearray(root.der)
    issuer = root.cert.issuer.public_bytes()
    at = bytes(der).index(issuer)
    der[at + 2] = 0x06  # first RelativeDistinguishedName SET → OBJECT IDENTIFIER, lengths unchanged
    _refused(Code.ATT_STMT_X5C_CERT_INVALID, certs.load_x5c, [bytes(der)])


def test_x5c_leaf_with_unusable_public_key(root):
    # id-ecPublicKey (1.2.840.10045.2.1) → 1.2.840.10045.2.9: the certificate parses, its key does not.
    der = root.der.replace(bytes.fromhex("06072a8648ce3d0201"), bytes.fromhex("06072a8648ce3d0209"), 1)
    _refused(Code.ATT_CERT_PUBLIC_KEY_INVALID, certs.load_x5c, [der])


# --- raw extension reading ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["swa-packed-x5c", "pyw-tpm-dell-xps-13", "f2n-apple", "wrs-android-key-webauthn-org"])
def test_raw_extensions_agree_with_cryptography(name):
    for index, cert in enumerate(certs.load_x5c(x5c_of(name))):
        parsed = [(e.oid.dotted_string, e.critical) for e in cert.extensions]
        assert [(e.oid, e.critical) for e in certs.raw_extensions(cert, index=index)] == parsed


@pytest.mark.filterwarnings("ignore:Parsed a serial number")
def test_raw_extensions_read_what_cryptography_refuses():
    # The FIDO tool's 2018 AIK: certificatePolicies carries a PrintableString UserNotice cryptography rejects.
    aik = certs.load_x5c(x5c_of("f2n-tpm-rsa-sha1"))[0]
    with pytest.raises(ValueError):
        aik.extensions  # noqa: B018
    found = {e.oid: e.critical for e in certs.raw_extensions(aik)}
    assert found["2.5.29.32"] is True and found["2.5.29.17"] is True
    assert certs.basic_constraints(aik) == certs.BasicConstraints(ca=False, path_length=None, critical=True)


def test_basic_constraints_explicit_false_is_read_as_false():
    # Chrome's virtual authenticator encodes the DEFAULT: 30 03 01 01 00. DER forbids it; the meaning is cA FALSE.
    leaf = certs.load_x5c(x5c_of("swa-packed-x5c-chrome-virtual-bad-basic-constraints"))[0]
    assert certs.find_extension(leaf, certs.OID_BASIC_CONSTRAINTS).value == bytes.fromhex("3003010100")
    assert certs.basic_constraints(leaf) == certs.BasicConstraints(ca=False, path_length=None, critical=True)


def test_basic_constraints_path_length_and_absence(root):
    ca = issue("CA", issuer=root, ca=True, path_length=3, bc_critical=False)
    assert certs.basic_constraints(ca.cert) == certs.BasicConstraints(ca=True, path_length=3, critical=False)
    assert certs.basic_constraints(issue("no bc", issuer=root, ca=None).cert) is None


def test_basic_constraints_malformed_value(root):
    bad = x509.UnrecognizedExtension(x509.ObjectIdentifier(certs.OID_BASIC_CONSTRAINTS), b"\x05\x00")
    leaf = issue("bad bc", issuer=root, ca=None, extensions=((bad, True),))
    _refused(Code.ATT_CERT_EXTENSIONS_MALFORMED, certs.basic_constraints, leaf.cert)


def test_repeated_extension_is_malformed(root):
    # The builder refuses duplicates, so: two different OIDs of equal length, then one rewritten into the other.
    twin = x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.5")
    leaf = issue(
        "twice",
        issuer=root,
        extensions=(
            (aaguid_extension(b"\x04\x10" + AAGUID), False),
            (x509.UnrecognizedExtension(twin, b"\x05\x00"), False),
        ),
    )
    der = leaf.der.replace(bytes.fromhex("060b2b0601040182e51c010105"), bytes.fromhex("060b2b0601040182e51c010104"))
    cert = x509.load_der_x509_certificate(der)
    _refused(Code.ATT_CERT_EXTENSIONS_MALFORMED, certs.raw_extensions, cert)
    _refused(Code.ATT_CERT_EXTENSIONS_MALFORMED, certs.check_aaguid_extension, cert, aaguid=AAGUID)


def test_key_usage_cert_sign(root):
    assert certs.key_usage_allows_cert_sign(issue("ku", issuer=root, key_usage=key_usage(cert_sign=True)).cert)
    assert (
        certs.key_usage_allows_cert_sign(issue("ku", issuer=root, key_usage=key_usage(cert_sign=False)).cert) is False
    )
    assert certs.key_usage_allows_cert_sign(issue("no ku", issuer=root).cert) is None


def test_self_signed_and_signed_by(root):
    leaf = issue("leaf", issuer=root)
    assert certs.is_self_signed(root.cert) and not certs.is_self_signed(leaf.cert)
    assert certs.is_signed_by(leaf.cert, root.cert) and not certs.is_signed_by(root.cert, leaf.cert)
    # The Chrome certificate names itself as issuer but its signature does not verify under its own key.
    chrome = certs.load_x5c(x5c_of("swa-packed-x5c-chrome-virtual-bad-basic-constraints"))[0]
    assert chrome.issuer == chrome.subject and not certs.is_self_signed(chrome)


def test_sha1_signature_is_verified_with_the_primitives():
    ca = issue("RSA CA", ca=True, key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    leaf = issue("leaf", issuer=ca)
    sha1_leaf = resign_sha1(leaf, ca)
    assert sha1_leaf.signature_hash_algorithm.name == "sha1"
    assert certs.is_signed_by(sha1_leaf, ca.cert)
    assert not certs.is_signed_by(sha1_leaf, issue("other", ca=True).cert)


def test_generalized_time_before_2050_is_detected():
    feitian = certs.load_x5c(x5c_of("f2n-packed-x5c"))
    assert certs.validity_uses_generalized_time_before_2050(feitian[0])
    assert not certs.validity_uses_generalized_time_before_2050(certs.load_x5c(x5c_of("swa-packed-x5c"))[0])


# --- #sctn-packed-attestation-cert-requirements --------------------------------------------------------------


PACKED_RECORDED = [
    ("f2n-packed-x5c", None),
    ("f2n-packed-x5c-trustkey-t110", None),
    ("go-packed-x5c-gramthanos", None),
    ("pyw-packed-x5c-yubikey-ed25519", None),
    ("swa-packed-x5c", None),
    ("swa-packed-x5c-aaguid-ext-match", None),
    ("swa-packed-x5c-aaguid-ext-mismatch", Code.ATT_CERT_AAGUID_MISMATCH),
    ("swa-packed-x5c-chrome-virtual-bad-basic-constraints", None),
    ("w3c-packed-x5c-es256", None),
    ("wrs-packed-x5c-fido-aaguid-ext-valid", None),
    ("wrs-packed-x5c-solokey-v2-eddsa-bad-sig", None),
]


@pytest.mark.parametrize(("name", "code"), PACKED_RECORDED)
def test_recorded_packed_attestation_certificates(name, code):
    leaf = certs.load_x5c(x5c_of(name))[0]
    if code is None:
        certs.check_packed_attestation_certificate(leaf, aaguid=aaguid_of(name))
    else:
        _refused(code, certs.check_packed_attestation_certificate, leaf, aaguid=aaguid_of(name))


def test_packed_certificate_must_be_v3():
    # The FIDO2 TEST ROOT is a real v1 certificate: "Version MUST be set to 3".
    v1 = pem("test-roots/fido-conformance-fido2-test-root.pem")
    assert v1.version is x509.Version.v1
    _refused(Code.ATT_CERT_VERSION_INVALID, certs.check_packed_attestation_certificate, v1, aaguid=AAGUID)


@pytest.mark.parametrize(
    ("subject", "field"),
    [
        (attestation_name(c=None), "C"),
        (attestation_name(c="U1"), "C"),
        (attestation_name(c="us"), "C"),
        (attestation_name(o=None), "O"),
        (attestation_name(ou=None), "OU"),
        (attestation_name(ou="Authenticator attestation"), "OU"),
        (attestation_name(ou="CWG"), "OU"),
        (x509.Name([*attestation_name(cn="x"), x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Other")]), "OU"),
        (x509.Name([a for a in attestation_name() if a.oid != NameOID.COMMON_NAME]), "CN"),
    ],
)
def test_packed_subject_requirements(root, subject, field):
    leaf = issue("leaf", issuer=root, subject=subject)
    error = _refused(
        Code.ATT_CERT_SUBJECT_INVALID, certs.check_packed_attestation_certificate, leaf.cert, aaguid=AAGUID
    )
    assert error.detail == {"field": field}


def test_packed_user_assigned_country_code_is_accepted(root):
    # The W3C test vectors use C=AA, an ISO 3166 user-assigned code.
    leaf = issue("leaf", issuer=root, subject=attestation_name(c="AA"))
    certs.check_packed_attestation_certificate(leaf.cert, aaguid=AAGUID)


def test_packed_ca_true_is_refused(root):
    leaf = issue("leaf", issuer=root, subject=attestation_name(), ca=True)
    _refused(Code.ATT_CERT_BASIC_CONSTRAINTS_CA, certs.check_packed_attestation_certificate, leaf.cert, aaguid=AAGUID)


@pytest.mark.parametrize("ca", [None, False])
def test_packed_ca_false_or_absent_is_accepted(root, ca):
    certs.check_packed_attestation_certificate(issue("leaf", issuer=root, ca=ca).cert, aaguid=AAGUID)


def test_aaguid_extension_matching_is_accepted(root):
    leaf = issue("leaf", issuer=root, extensions=((aaguid_extension(b"\x04\x10" + AAGUID), False),))
    certs.check_packed_attestation_certificate(leaf.cert, aaguid=AAGUID)
    certs.check_aaguid_extension(leaf.cert, aaguid=AAGUID)


def test_aaguid_extension_mismatch(root):
    leaf = issue("leaf", issuer=root, extensions=((aaguid_extension(b"\x04\x10" + AAGUID), False),))
    _refused(Code.ATT_CERT_AAGUID_MISMATCH, certs.check_aaguid_extension, leaf.cert, aaguid=bytes(16))


def test_aaguid_extension_critical(root):
    leaf = issue("leaf", issuer=root, extensions=((aaguid_extension(b"\x04\x10" + AAGUID), True),))
    _refused(Code.ATT_CERT_AAGUID_CRITICAL, certs.check_packed_attestation_certificate, leaf.cert, aaguid=AAGUID)


@pytest.mark.parametrize(
    "value",
    [
        AAGUID,
        b"\x04\x0f" + AAGUID[:15],
        b"\x04\x11" + AAGUID + b"\x00",
        b"\x04\x10" + AAGUID + b"\x00",
        b"\x16\x10" + AAGUID,
    ],
)
def test_aaguid_extension_malformed(root, value):
    leaf = issue("leaf", issuer=root, extensions=((aaguid_extension(value), False),))
    _refused(Code.ATT_CERT_AAGUID_MALFORMED, certs.check_aaguid_extension, leaf.cert, aaguid=AAGUID)


def test_aaguid_extension_on_recorded_tpm_aik():
    aik = certs.load_x5c(x5c_of("swa-tpm-aaguid-ext-match"))[0]
    certs.check_aaguid_extension(aik, aaguid=aaguid_of("swa-tpm-aaguid-ext-match"))
    _refused(Code.ATT_CERT_AAGUID_MISMATCH, certs.check_aaguid_extension, aik, aaguid=bytes(16))


# --- public_key_matches ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CoseLike:
    public_key: object


def test_public_key_matches(root):
    key = seeded.ec_key()
    leaf = issue("leaf", issuer=root, key=key)
    cert_key = leaf.cert.public_key()
    assert certs.public_key_matches(cert_key, key.public_key())
    assert certs.public_key_matches(cert_key, _CoseLike(key.public_key()))
    assert not certs.public_key_matches(cert_key, seeded.ec_key().public_key())
    assert not certs.public_key_matches(cert_key, object())


def test_public_key_matches_recorded_android_key():
    # android-key: "Verify that the public key in the first certificate in x5c matches the credentialPublicKey".
    name = "swa-android-key-dontneeda"
    leaf_key = certs.load_x5c(x5c_of(name)).leaf_key
    auth_data = attestation_object(name)["authData"]
    id_length = int.from_bytes(auth_data[53:55], "big")
    cose = cbor2.CBORDecoder(io.BytesIO(auth_data[55 + id_length :])).decode()
    numbers = ec.EllipticCurvePublicNumbers(
        int.from_bytes(cose[-2], "big"), int.from_bytes(cose[-3], "big"), ec.SECP256R1()
    )
    assert certs.public_key_matches(leaf_key, numbers.public_key())
