"""The test PKI: a root, an intermediate and attestation leaf certificates, deterministic from a seed.

Every certificate has a fixed serial and validity window and is signed with RFC 6979 ECDSA, so the DER is
the same on every run. Leaves meet the packed requirements (#sctn-packed-attestation-cert-requirements):
version 3; Subject C, O, OU = "Authenticator Attestation", CN; Basic Constraints CA=false; and, when the
AAGUID is known, the non-critical id-fido-gen-ce-aaguid extension holding OCTET STRING(AAGUID). Defective
certificates come from `LeafProfile` / `ChainProfile` switches, each changing one property.

`export_trust(dir)` writes the root PEM and a FIDO metadata statement per test authenticator: what
`fidoconf trust export DIR` hands to an RP under test so it can trust the generated credentials.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from . import der
from .keys import ALGS, SigningKey, derive_key

#: id-fido-gen-ce-aaguid (FIDO Metadata Statement / WebAuthn #sctn-packed-attestation-cert-requirements).
OID_FIDO_GEN_CE_AAGUID = x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4")
#: The instant generated vectors are verified at: inside every valid certificate's window.
VERIFY_AT = "2026-06-01T00:00:00Z"
ROOT_VALIDITY = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2045, 1, 1, tzinfo=UTC))
INTERMEDIATE_VALIDITY = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2040, 1, 1, tzinfo=UTC))
LEAF_VALIDITY = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2035, 1, 1, tzinfo=UTC))
EXPIRED_VALIDITY = (datetime(2020, 1, 1, tzinfo=UTC), datetime(2021, 1, 1, tzinfo=UTC))
NOT_YET_VALID = (datetime(2030, 1, 1, tzinfo=UTC), datetime(2040, 1, 1, tzinfo=UTC))

_NAME_OIDS = {
    "C": NameOID.COUNTRY_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "CN": NameOID.COMMON_NAME,
}
PACKED_SUBJECT = (
    ("C", "US"),
    ("O", "fidoconf test authenticators"),
    ("OU", "Authenticator Attestation"),
    ("CN", "fidoconf virtual authenticator"),
)
U2F_SUBJECT = (("CN", "fidoconf U2F attestation"),)
_AAGUID_NAMESPACE = uuid.UUID("6f1d7d0e-2c1e-4f0b-9a53-1d0c0f1d0c0f")


def aaguid_for(variant: str, alg_name: str) -> bytes:
    """The AAGUID of a test authenticator: zero for none (what clients send) and fido-u2f (no AAGUID)."""
    if variant in ("none", "fido-u2f"):
        return bytes(16)
    return uuid.uuid5(_AAGUID_NAMESPACE, f"fidoconf/{variant}/{alg_name}").bytes


@dataclass(frozen=True, slots=True)
class LeafProfile:
    subject: tuple[tuple[str, str], ...] = PACKED_SUBJECT
    #: Basic Constraints CA value; None leaves the extension out.
    ca: bool | None = False
    #: match | absent | critical | mismatch | malformed
    aaguid_ext: str = "match"
    validity: tuple[datetime, datetime] = LEAF_VALIDITY
    hash_name: str = "sha256"
    version1: bool = False
    #: intermediate | intermediate_not_ca | intermediate_expired | other_root | attacker | root (fido-u2f: one cert)
    issuer: str = "intermediate"


@dataclass(frozen=True, slots=True)
class ChainProfile:
    #: leaf | leaf+intermediate | leaf+intermediate+root | leaf+attacker | intermediate+leaf
    layout: str = "leaf+intermediate"
    leaf: LeafProfile = field(default_factory=LeafProfile)


def _name(parts: tuple[tuple[str, str], ...]) -> x509.Name:
    return x509.Name([x509.NameAttribute(_NAME_OIDS[k], v) for k, v in parts])


def _sign(builder: x509.CertificateBuilder, key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    return builder.sign(key, hashes.SHA256(), ecdsa_deterministic=True)


class TestPKI:
    """Root → intermediate → leaves. One instance per seed; every certificate is a pure function of it."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, seed: str = "fidoconf-test-pki") -> None:
        self.seed = seed
        self.root_key = derive_key("ES256", f"{seed}/root").private
        self.root = self._ca_cert("fidoconf Test Root CA", self.root_key, None, None, serial=1, validity=ROOT_VALIDITY)
        self.intermediate_key = derive_key("ES256", f"{seed}/intermediate").private
        self._intermediates = {
            "intermediate": self._intermediate(serial=2, ca=True, validity=INTERMEDIATE_VALIDITY),
            "intermediate_not_ca": self._intermediate(serial=3, ca=False, validity=INTERMEDIATE_VALIDITY),
            "intermediate_expired": self._intermediate(serial=4, ca=True, validity=EXPIRED_VALIDITY),
        }
        # An unrelated, well-formed hierarchy: the RP has never been told about its root.
        self.other_root_key = derive_key("ES256", f"{seed}/other-root").private
        self.other_root = self._ca_cert(
            "fidoconf Unknown Root CA", self.other_root_key, None, None, serial=1, validity=ROOT_VALIDITY
        )
        self.other_intermediate_key = derive_key("ES256", f"{seed}/other-intermediate").private
        self._intermediates["other_root"] = self._ca_cert(
            "fidoconf Unknown Intermediate CA",
            self.other_intermediate_key,
            self.other_root,
            self.other_root_key,
            serial=2,
            validity=INTERMEDIATE_VALIDITY,
        )
        # A self-signed CA an attacker ships inside x5c (SimpleWebAuthn GHSA-6hxq-p678-4hr2).
        self.attacker_key = derive_key("ES256", f"{seed}/attacker").private
        self.attacker = self._ca_cert(
            "fidoconf Test Intermediate CA", self.attacker_key, None, None, serial=9, validity=ROOT_VALIDITY
        )

    def _ca_cert(self, cn, key, issuer_cert, issuer_key, *, serial, validity, ca=True, path_length=None):
        subject = _name((("C", "US"), ("O", "fidoconf"), ("OU", "Authenticator Attestation CA"), ("CN", cn)))
        issuer_name = issuer_cert.subject if issuer_cert is not None else subject
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(validity[0])
            .not_valid_after(validity[1])
            .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        )
        if issuer_cert is not None:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()), critical=False
            )
        return _sign(builder, issuer_key if issuer_key is not None else key)

    def _intermediate(self, *, serial: int, ca: bool, validity) -> x509.Certificate:
        return self._ca_cert(
            "fidoconf Test Intermediate CA",
            self.intermediate_key,
            self.root,
            self.root_key,
            serial=serial,
            validity=validity,
            ca=ca,
            path_length=0,
        )

    def issuer(self, name: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        if name == "attacker":
            return self.attacker, self.attacker_key
        if name == "root":
            return self.root, self.root_key
        if name == "other_root":
            return self._intermediates[name], self.other_intermediate_key
        return self._intermediates[name], self.intermediate_key

    def leaf(self, public_key: Any, *, aaguid: bytes, profile: LeafProfile, serial: int) -> x509.Certificate:
        issuer_cert, issuer_key = self.issuer(profile.issuer)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(profile.subject))
            .issuer_name(issuer_cert.subject)
            .public_key(public_key)
            .serial_number(serial)
            .not_valid_before(profile.validity[0])
            .not_valid_after(profile.validity[1])
        )
        if profile.ca is not None:
            builder = builder.add_extension(x509.BasicConstraints(ca=profile.ca, path_length=None), critical=True)
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()), critical=False
        )
        extension = _aaguid_extension(profile.aaguid_ext, aaguid)
        if extension is not None:
            builder = builder.add_extension(*extension)
        cert = _sign(builder, issuer_key)
        if profile.hash_name != "sha256" or profile.version1:
            raw = der.resign_certificate(
                cert.public_bytes(serialization.Encoding.DER),
                issuer_key=issuer_key,
                hash_name=profile.hash_name,
                version1=profile.version1,
            )
            cert = x509.load_der_x509_certificate(raw)
        return cert

    def chain(self, key: SigningKey, *, aaguid: bytes, profile: ChainProfile, serial: int) -> list[bytes]:
        """x5c as DER byte strings, attestation certificate first."""
        leaf = self.leaf(key.public_key(), aaguid=aaguid, profile=profile.leaf, serial=serial)
        issuer_cert, _ = self.issuer(profile.leaf.issuer)
        root = self.other_root if profile.leaf.issuer == "other_root" else self.root
        certs = {
            "leaf": [leaf],
            "leaf+intermediate": [leaf, issuer_cert],
            "leaf+intermediate+root": [leaf, issuer_cert, root],
            "leaf+attacker": [leaf, self.attacker],
            "intermediate+leaf": [issuer_cert, leaf],
        }[profile.layout]
        return [c.public_bytes(serialization.Encoding.DER) for c in certs]

    def root_pem(self) -> str:
        return self.root.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _aaguid_extension(mode: str, aaguid: bytes) -> tuple[x509.ExtensionType, bool] | None:
    # The extension value is the DER of OCTET STRING(AAGUID) (#sctn-packed-attestation-cert-requirements).
    wrapped = der.tlv(der.OCTET_STRING, aaguid)
    if mode == "absent":
        return None
    if mode == "match":
        return x509.UnrecognizedExtension(OID_FIDO_GEN_CE_AAGUID, wrapped), False
    if mode == "critical":
        return x509.UnrecognizedExtension(OID_FIDO_GEN_CE_AAGUID, wrapped), True
    if mode == "mismatch":
        other = bytes(b ^ 0xFF for b in aaguid)
        return x509.UnrecognizedExtension(OID_FIDO_GEN_CE_AAGUID, der.tlv(der.OCTET_STRING, other)), False
    if mode == "malformed":
        # The bare 16 bytes without the OCTET STRING header: what a sloppy encoder writes.
        return x509.UnrecognizedExtension(OID_FIDO_GEN_CE_AAGUID, aaguid), False
    raise ValueError(f"unknown aaguid extension mode {mode!r}")


# --- trust export (backs `fidoconf trust export DIR`) ---

#: FIDO Registry of Predefined Values §3.6.2 algorithm names, per test authenticator algorithm.
_FIDO_ALG_NAMES = {
    "ES256": "secp256r1_ecdsa_sha256_raw",
    "ESP256": "secp256r1_ecdsa_sha256_raw",
    "ES384": "secp384r1_ecdsa_sha384_raw",
    "ESP384": "secp384r1_ecdsa_sha384_raw",
    "ES512": "secp521r1_ecdsa_sha512_raw",
    "ESP512": "secp521r1_ecdsa_sha512_raw",
    "ES256K": "secp256k1_ecdsa_sha256_raw",
    "EdDSA-Ed25519": "ed25519_eddsa_sha512_raw",
    "Ed25519": "ed25519_eddsa_sha512_raw",
    "EdDSA-Ed448": "ed448_eddsa_sha512_raw",
    "Ed448": "ed448_eddsa_sha512_raw",
    "RS256": "rsassa_pkcsv15_sha256_raw",
    "RS384": "rsassa_pkcsv15_sha384_raw",
    "RS512": "rsassa_pkcsv15_sha512_raw",
    "RS1": "rsassa_pkcsv15_sha1_raw",
    "PS256": "rsassa_pss_sha256_raw",
    "PS384": "rsassa_pss_sha384_raw",
    "PS512": "rsassa_pss_sha512_raw",
    "ML-DSA-44": "ml_dsa_44",
    "ML-DSA-65": "ml_dsa_65",
    "ML-DSA-87": "ml_dsa_87",
}
_ATTESTATION_TYPES = {
    "packed-x5c": ["basic_full"],
    "packed-self": ["basic_surrogate"],
    "fido-u2f": ["basic_full"],
    "tpm": ["attca"],
    "android-key": ["basic_full"],
    "android-safetynet": ["basic_full"],
    "apple": ["anonca"],
    "compound": ["basic_full", "anonca"],
}


def metadata_statement(variant: str, alg_name: str, *, pki: TestPKI) -> dict[str, Any]:
    """A FIDO Metadata Statement (MDS3 schema 3) describing one test authenticator."""
    statement: dict[str, Any] = {
        "legalHeader": "fidoconf test authenticator: test keys and certificates only, never trust in production.",
        "description": f"fidoconf virtual authenticator ({variant}, {alg_name})",
        "authenticatorVersion": 1,
        "schema": 3,
        "upv": [{"major": 1, "minor": 0}] if variant == "fido-u2f" else [{"major": 1, "minor": 1}],
        "authenticationAlgorithms": [_FIDO_ALG_NAMES[alg_name]],
        "publicKeyAlgAndEncodings": ["ecc_x962_raw"] if variant == "fido-u2f" else ["cose"],
        "attestationTypes": _ATTESTATION_TYPES[variant],
        "userVerificationDetails": [[{"userVerificationMethod": "presence_internal"}]],
        "keyProtection": ["software"],
        "matcherProtection": ["software"],
        "attachmentHint": ["internal"],
        "tcDisplay": [],
        "attestationRootCertificates": [] if variant == "packed-self" else [_b64_der(pki.root)],
    }
    if variant == "fido-u2f":
        statement["protocolFamily"] = "u2f"
        key = derive_key("ES256", "fidoconf/fido-u2f/ES256/attestation").public_key()
        spki_bits = key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        statement["attestationCertificateKeyIdentifiers"] = [hashlib.sha1(spki_bits).hexdigest()]
    else:
        statement["protocolFamily"] = "fido2"
        statement["aaguid"] = str(uuid.UUID(bytes=aaguid_for(variant, alg_name)))
        statement["authenticatorGetInfo"] = {
            "versions": ["FIDO_2_0", "FIDO_2_1"],
            "aaguid": aaguid_for(variant, alg_name).hex(),
            "algorithms": [{"type": "public-key", "alg": ALGS[alg_name].alg}],
        }
    return statement


def _b64_der(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


def export_trust(directory: str | Path, *, pki: TestPKI, authenticators: list[tuple[str, str]]) -> list[Path]:
    """Write root.pem and metadata-<variant>-<alg>.json for each (variant, alg) test authenticator."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "root.pem"]
    written[0].write_text(pki.root_pem(), encoding="ascii")
    for variant, alg_name in authenticators:
        path = out / f"metadata-{variant}-{alg_name.lower()}.json"
        text = json.dumps(metadata_statement(variant, alg_name, pki=pki), indent=2, sort_keys=True) + "\n"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
