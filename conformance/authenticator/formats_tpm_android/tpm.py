"""tpm credentials (#sctn-tpm-attestation): TPMT_PUBLIC, TPMS_ATTEST, the AIK certificate, and one defect.

Structures per TPM 2.0 Library Part 2 (TPMT_PUBLIC §12.2.4, TPMS_ATTEST §10.12.12) and Part 1 §16 (Name);
the AIK certificate per #sctn-tpm-cert-requirements and the TCG EK Credential Profile §3.2.9. The AIK is
issued by the test PKI's intermediate (`ca.TestPKI`), so x5c is [aikCert, intermediate] like a real TPM's.
Order of construction: pubArea → Name → certInfo (extraData = H_alg(authData || clientDataHash)) → AIK
certificate → sig over certInfo. A shape field changes one of those before what depends on it is computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .. import der
from ..ca import LEAF_VALIDITY, TestPKI
from ..keys import KTY_EC2, KTY_RSA, SigningKey, derive_key
from ..model import Build, StatementInput
from .common import edited_statement

# TPM 2.0 Part 2 §6: TPM_GENERATED, TPM_ST, TPM_ALG_ID, TPM_ECC_CURVE.
TPM_GENERATED_VALUE = 0xFF544347
TPM_ST_ATTEST_CERTIFY, TPM_ST_ATTEST_QUOTE = 0x8017, 0x8018
TPM_ALG_RSA, TPM_ALG_SHA1, TPM_ALG_SHA256, TPM_ALG_SHA384 = 0x0001, 0x0004, 0x000B, 0x000C
TPM_ALG_KEYEDHASH, TPM_ALG_NULL, TPM_ALG_ECC = 0x0008, 0x0010, 0x0023
TPM_ECC_CURVES = {1: 0x0003, 2: 0x0004, 3: 0x0005}  # COSE crv → TPM_ECC_CURVE
TPM_HASHES = {TPM_ALG_SHA1: hashes.SHA1, TPM_ALG_SHA256: hashes.SHA256, TPM_ALG_SHA384: hashes.SHA384}
#: TPMA_OBJECT of a TPM-resident signing key: fixedTPM, fixedParent, sensitiveDataOrigin, userWithAuth, noDA,
#: sign (0x00060472, what Windows Hello credential keys carry).
OBJECT_ATTRIBUTES = 0x00060472

OID_TPM_MANUFACTURER = x509.ObjectIdentifier("2.23.133.2.1")
OID_TPM_MODEL = x509.ObjectIdentifier("2.23.133.2.2")
OID_TPM_VERSION = x509.ObjectIdentifier("2.23.133.2.3")
OID_TCG_KP_AIK_CERTIFICATE = x509.ObjectIdentifier("2.23.133.8.3")
OID_FIDO_GEN_CE_AAGUID = x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4")
#: A TCG-registered vendor id (Nuvoton, "NTC"), so strict verifiers and peers with vendor lists accept the default.
DEFAULT_MANUFACTURER = "id:4E544300"
FIDO_TEST_MANUFACTURER = "id:FFFFF1D0"


@dataclass(frozen=True, slots=True)
class TpmShape:
    """Every property of a tpm statement a verifier checks; the defaults make a valid one."""

    #: The AIK's algorithm (keys.ALGS name): the statement's alg.
    aik_alg: str = "RS256"
    ver: Any = "2.0"
    # --- pubArea (TPMT_PUBLIC) ---
    name_alg: int = TPM_ALG_SHA256
    explicit_exponent: bool = False
    exponent: int | None = None
    key_type: int | None = None  # None: the described key's type
    curve: int | None = None
    #: Describe this (alg, seed) key instead of the credential key.
    described_key: tuple[str, str] | None = None
    pub_area_trailing: bytes = b""
    pub_area_truncate: int = 0
    # --- certInfo (TPMS_ATTEST) ---
    magic: int = TPM_GENERATED_VALUE
    attest_type: int = TPM_ST_ATTEST_CERTIFY
    #: extraData = H(attToBeSigned) with this hash; None: the hash of the AIK's alg.
    extra_data_hash: type[hashes.HashAlgorithm] | None = None
    #: Hash these bytes instead of attToBeSigned.
    extra_data_over: bytes | None = None
    name_prefix_alg: int | None = None  # the nameAlg the Name says; None: name_alg
    name_hash_alg: int | None = None  # the hash actually used; None: the prefix's
    name_of_other_key: bool = False
    cert_info_trailing: bytes = b""
    cert_info_truncate: int = 0
    # --- AIK certificate ---
    aik_version1: bool = False
    aik_subject_cn: str | None = None
    san: str = "one-rdn"  # one-rdn | three-rdns | absent | no-model | two-directory-names
    san_critical: bool = True
    manufacturer: str = DEFAULT_MANUFACTURER
    eku: str = "aik"  # aik | absent | server-auth
    basic_constraints: str = "ca-false"  # ca-false | absent | ca-true
    aaguid_ext: str = "absent"  # absent | match | mismatch
    # --- the statement around them ---
    sign_with: tuple[str, str] | None = None  # (alg, seed) of another signing key
    x5c_layout: str = "aik+intermediate"  # aik+intermediate | intermediate+aik | absent
    drop: tuple[str, ...] = ()
    set_fields: tuple[tuple[str, Any], ...] = ()


def tpm2b(data: bytes) -> bytes:
    """TPM2B_*: a UINT16 size, then the bytes (Part 2 §10.4)."""
    return len(data).to_bytes(2, "big") + data


def digest(hash_cls: type[hashes.HashAlgorithm], data: bytes) -> bytes:
    h = hashes.Hash(hash_cls())
    h.update(data)
    return h.finalize()


def pub_area(key: SigningKey, shape: TpmShape = TpmShape()) -> bytes:
    """TPMT_PUBLIC (Part 2 §12.2.4) describing `key`'s public key."""
    key_type = shape.key_type or (TPM_ALG_RSA if key.spec.kty == KTY_RSA else TPM_ALG_ECC)
    head = key_type.to_bytes(2, "big") + shape.name_alg.to_bytes(2, "big") + OBJECT_ATTRIBUTES.to_bytes(4, "big")
    head += tpm2b(b"")  # authPolicy
    null = TPM_ALG_NULL.to_bytes(2, "big")
    if key_type == TPM_ALG_RSA and key.spec.kty == KTY_RSA:
        numbers = key.public_key().public_numbers()
        modulus = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
        exponent = shape.exponent
        if exponent is None:
            exponent = numbers.e if shape.explicit_exponent else 0  # 0 is "the default of 2^16 + 1"
        # TPMS_RSA_PARMS: symmetric NULL, scheme NULL, keyBits, exponent; unique: TPM2B_PUBLIC_KEY_RSA.
        body = null + null + (len(modulus) * 8).to_bytes(2, "big") + exponent.to_bytes(4, "big") + tpm2b(modulus)
    elif key_type == TPM_ALG_ECC and key.spec.kty == KTY_EC2:
        numbers = key.public_key().public_numbers()
        size = (key.public_key().curve.key_size + 7) // 8
        curve = shape.curve or TPM_ECC_CURVES[key.spec.crv]
        # TPMS_ECC_PARMS: symmetric NULL, scheme NULL, curveID, kdf NULL; unique: TPMS_ECC_POINT.
        body = null + null + curve.to_bytes(2, "big") + null
        body += tpm2b(numbers.x.to_bytes(size, "big")) + tpm2b(numbers.y.to_bytes(size, "big"))
    else:
        # A type this key does not have (KEYEDHASH): RSA-shaped parameters; a verifier stops at the type.
        body = null + null + (2048).to_bytes(2, "big") + bytes(4) + tpm2b(bytes(256))
    data = head + body + shape.pub_area_trailing
    return data[: len(data) - shape.pub_area_truncate]


def tpm_name(public_area: bytes, name_alg: int, hash_alg: int | None = None) -> bytes:
    """Part 1 §16: Name = nameAlg (UINT16) || H_nameAlg(TPMT_PUBLIC)."""
    return name_alg.to_bytes(2, "big") + digest(TPM_HASHES[hash_alg or name_alg], public_area)


def cert_info(*, extra_data: bytes, name: bytes, shape: TpmShape = TpmShape()) -> bytes:
    """TPMS_ATTEST (Part 2 §10.12.12) as TPM2_Certify() returns it, attested = TPMS_CERTIFY_INFO."""
    data = shape.magic.to_bytes(4, "big") + shape.attest_type.to_bytes(2, "big")
    data += tpm2b(name)  # qualifiedSigner (WebAuthn verifiers ignore it)
    data += tpm2b(extra_data)
    # clockInfo (clock, resetCount, restartCount, safe) and firmwareVersion: ignored by WebAuthn verifiers.
    data += (1_000_000).to_bytes(8, "big") + (7).to_bytes(4, "big") + (1).to_bytes(4, "big") + b"\x01"
    data += (0x0001_0002_0003_0004).to_bytes(8, "big")
    data += tpm2b(name) + tpm2b(name)  # TPMS_CERTIFY_INFO: name, qualifiedName
    data += shape.cert_info_trailing
    return data[: len(data) - shape.cert_info_truncate]


def aik_certificate(
    aik: SigningKey, *, pki: TestPKI, aaguid: bytes, shape: TpmShape, serial: int
) -> x509.Certificate:
    """The AIK certificate (#sctn-tpm-cert-requirements) issued by the test PKI's intermediate."""
    issuer_cert, issuer_key = pki.issuer("intermediate")
    subject = [x509.NameAttribute(NameOID.COMMON_NAME, shape.aik_subject_cn)] if shape.aik_subject_cn else []
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(subject))
        .issuer_name(issuer_cert.subject)
        .public_key(aik.public_key())
        .serial_number(serial)
        .not_valid_before(LEAF_VALIDITY[0])
        .not_valid_after(LEAF_VALIDITY[1])
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()), critical=False)
    )
    san = _san(shape)
    if san is not None:
        builder = builder.add_extension(san, critical=shape.san_critical)
    if shape.eku != "absent":
        purpose = OID_TCG_KP_AIK_CERTIFICATE if shape.eku == "aik" else ExtendedKeyUsageOID.SERVER_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([purpose]), critical=False)
    if shape.basic_constraints != "absent":
        ca = shape.basic_constraints == "ca-true"
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    if shape.aaguid_ext != "absent":
        value = aaguid if shape.aaguid_ext == "match" else bytes(b ^ 0xFF for b in aaguid)
        extension = x509.UnrecognizedExtension(OID_FIDO_GEN_CE_AAGUID, der.tlv(der.OCTET_STRING, value))
        builder = builder.add_extension(extension, critical=False)
    cert = builder.sign(issuer_key, hashes.SHA256(), ecdsa_deterministic=True)
    if shape.aik_version1:
        raw = der.resign_certificate(
            cert.public_bytes(serialization.Encoding.DER), issuer_key=issuer_key, version1=True
        )
        cert = x509.load_der_x509_certificate(raw)
    return cert


def _san(shape: TpmShape) -> x509.SubjectAlternativeName | None:
    """TCG EK Credential Profile §3.2.9: a directoryName with TPMManufacturer, TPMModel, TPMVersion."""
    if shape.san == "absent":
        return None
    attributes = [x509.NameAttribute(OID_TPM_MANUFACTURER, shape.manufacturer)]
    if shape.san != "no-model":
        attributes.append(x509.NameAttribute(OID_TPM_MODEL, "fidoconf vTPM"))
    attributes.append(x509.NameAttribute(OID_TPM_VERSION, "id:00020000"))
    if shape.san == "three-rdns":
        name = x509.Name([x509.RelativeDistinguishedName([a]) for a in attributes])
    else:
        name = x509.Name([x509.RelativeDistinguishedName(attributes)])  # one multi-valued RDN, as Windows Hello
    names: list[x509.GeneralName] = [x509.DirectoryName(name)]
    if shape.san == "two-directory-names":
        names.append(x509.DirectoryName(name))
    return x509.SubjectAlternativeName(names)


def aik_key(alg: str) -> SigningKey:
    return derive_key(alg, f"fidoconf/tpm/{alg}/aik")


def statement(build: Build, given: StatementInput) -> dict[str, Any]:
    """The tpm attStmt for the build's credential key, shaped by `build.statement_options` (a TpmShape)."""
    shape = build.statement_options or TpmShape()
    pki = build.pki
    aik = aik_key(shape.aik_alg)
    described = derive_key(*shape.described_key) if shape.described_key else build.credential_key
    public_area = pub_area(described, shape)
    # #sctn-tpm-attestation signing procedure: "setting the extraData parameter to the digest of attToBeSigned
    # using the hash algorithm corresponding to the "alg" signature algorithm".
    att_to_be_signed = build.auth_data + given.client_data_hash
    hashed = shape.extra_data_over if shape.extra_data_over is not None else att_to_be_signed
    extra_data = digest(shape.extra_data_hash or aik.spec.hash, hashed)
    named = public_area
    if shape.name_of_other_key:
        named = pub_area(derive_key(build.alg_name, f"{build.seed}/other-key"), shape)
    name = tpm_name(named, shape.name_prefix_alg or shape.name_alg, shape.name_hash_alg)
    info = cert_info(extra_data=extra_data, name=name, shape=shape)
    aik_cert = aik_certificate(aik, pki=pki, aaguid=build.aaguid, shape=shape, serial=build.serial("aik"))
    intermediate, _ = pki.issuer("intermediate")
    chain = [aik_cert, intermediate] if shape.x5c_layout != "intermediate+aik" else [intermediate, aik_cert]
    build.x5c = [cert.public_bytes(serialization.Encoding.DER) for cert in chain]
    build.attestation_key = aik
    signer = derive_key(*shape.sign_with) if shape.sign_with else aik
    fields: dict[str, Any] = {
        "ver": shape.ver,
        "alg": aik.spec.alg,
        "x5c": build.x5c,
        "sig": signer.sign(info),
        "certInfo": info,
        "pubArea": public_area,
    }
    drop = shape.drop + (("x5c",) if shape.x5c_layout == "absent" else ())
    return edited_statement(fields, drop=drop, set_=shape.set_fields)
