"""Test MDS3 BLOBs: a throwaway signing PKI generated at call time, statements, entries and signed BLOBs.

For fidoconf's own tests and the suite's metadata cases (a target must refuse each defect). Nothing here is used
to verify anything; keys live only in memory. Every builder takes explicit dates so BLOBs are reproducible in
meaning (keys and signatures still differ per run).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from fidoconf.verifier.encoding import b64url_encode

from . import seeded

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def name(common_name: str, *, organizational_unit: str | None = None) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fidoconf test"),
    ]
    if organizational_unit:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, organizational_unit))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def make_certificate(
    *,
    subject: x509.Name,
    key: PrivateKey,
    issuer: x509.Certificate | None = None,
    issuer_key: PrivateKey | None = None,
    ca: bool,
    not_before: datetime,
    not_after: datetime,
    critical_basic_constraints: bool = True,
    extensions: Iterable[tuple[x509.ExtensionType, bool]] = (),
) -> x509.Certificate:
    """A v3 certificate; self-signed when `issuer` is None. SKI always, AKI when issued by another cert."""
    signer_key = issuer_key if issuer is not None else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer is not None else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=critical_basic_constraints)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()), critical=False
        )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signer_key, hashes.SHA256())


@dataclass(frozen=True)
class SigningPki:
    """root → CA → signer, the shape of the FIDO MDS3 PKI (MDS3 ROOT → MDS CA-1 → signer)."""

    root_key: PrivateKey
    root: x509.Certificate
    ca_key: PrivateKey
    ca: x509.Certificate
    signer_key: PrivateKey
    signer: x509.Certificate

    @classmethod
    def generate(cls, *, now: datetime, label: str = "fidoconf TEST MDS3", lifetime_days: int = 3650) -> SigningPki:
        start, end = now - timedelta(days=1), now + timedelta(days=lifetime_days)
        root_key, ca_key, signer_key = (seeded.ec_key() for _ in range(3))
        root = make_certificate(subject=name(f"{label} ROOT"), key=root_key, ca=True, not_before=start, not_after=end)
        ca = make_certificate(
            subject=name(f"{label} CA-1"),
            key=ca_key,
            issuer=root,
            issuer_key=root_key,
            ca=True,
            not_before=start,
            not_after=end,
        )
        signer = make_certificate(
            subject=name(f"{label} BLOB SIGNER"),
            key=signer_key,
            issuer=ca,
            issuer_key=ca_key,
            ca=False,
            not_before=start,
            not_after=end,
        )
        return cls(root_key, root, ca_key, ca, signer_key, signer)

    @property
    def x5c(self) -> tuple[x509.Certificate, ...]:
        return (self.signer, self.ca)

    def with_signer(self, *, not_before: datetime, not_after: datetime) -> SigningPki:
        """The same root and CA, a new signer with the given validity (e.g. one already expired)."""
        key = seeded.ec_key()
        signer = make_certificate(
            subject=name("fidoconf TEST MDS3 BLOB SIGNER (dated)"),
            key=key,
            issuer=self.ca,
            issuer_key=self.ca_key,
            ca=False,
            not_before=not_before,
            not_after=not_after,
        )
        return SigningPki(self.root_key, self.root, self.ca_key, self.ca, key, signer)

    def crl(
        self, *, issuer: str, revoked: Sequence[x509.Certificate] = (), now: datetime
    ) -> x509.CertificateRevocationList:
        """A CRL signed by `issuer` ("root" or "ca") listing `revoked`."""
        cert, key = (self.root, self.root_key) if issuer == "root" else (self.ca, self.ca_key)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(cert.subject)
            .last_update(now - timedelta(days=1))
            .next_update(now + timedelta(days=30))
        )
        for victim in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(victim.serial_number)
                .revocation_date(now - timedelta(hours=1))
                .build()
            )
        return builder.sign(key, hashes.SHA256())


def metadata_statement(
    *,
    description: str,
    aaguid: bytes | None = None,
    key_identifiers: Sequence[bytes] = (),
    attestation_types: Sequence[str] = ("basic_full",),
    algorithms: Sequence[str] = ("secp256r1_ecdsa_sha256_raw",),
    roots: Sequence[x509.Certificate] = (),
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An MDS3 metadataStatement (#metadata-keys) with every required member filled plausibly."""
    statement: dict[str, Any] = {
        "legalHeader": "fidoconf test statement",
        "description": description,
        "authenticatorVersion": 1,
        "protocolFamily": "fido2" if aaguid is not None else "u2f",
        "schema": 3,
        "upv": [{"major": 1, "minor": 1}],
        "authenticationAlgorithms": list(algorithms),
        "publicKeyAlgAndEncodings": ["cose"],
        "attestationTypes": list(attestation_types),
        "userVerificationDetails": [[{"userVerificationMethod": "presence_internal"}]],
        "keyProtection": ["hardware", "secure_element"],
        "matcherProtection": ["on_chip"],
        "attachmentHint": ["external"],
        "tcDisplay": [],
        "attestationRootCertificates": [base64.b64encode(c.public_bytes(Encoding.DER)).decode() for c in roots],
    }
    if aaguid is not None:
        statement["aaguid"] = _uuid(aaguid)
    if key_identifiers:
        statement["attestationCertificateKeyIdentifiers"] = [k.hex() for k in key_identifiers]
    statement.update(extra or {})
    return statement


def payload_entry(
    *,
    statement: Mapping[str, Any] | None,
    aaguid: bytes | None = None,
    key_identifiers: Sequence[bytes] = (),
    statuses: Sequence[str | Mapping[str, Any]] = ("FIDO_CERTIFIED",),
    first_status_date: date = date(2020, 1, 1),
) -> dict[str, Any]:
    """A BLOB entry. A status given by name gets effectiveDate first_status_date + its index, so the last is latest."""
    reports = [
        dict(s)
        if isinstance(s, Mapping)
        else {"status": s, "effectiveDate": (first_status_date + timedelta(i)).isoformat()}
        for i, s in enumerate(statuses)
    ]
    entry: dict[str, Any] = {
        "statusReports": reports,
        "timeOfLastStatusChange": (first_status_date + timedelta(max(len(reports) - 1, 0))).isoformat(),
    }
    if aaguid is not None:
        entry["aaguid"] = _uuid(aaguid)
    if key_identifiers:
        entry["attestationCertificateKeyIdentifiers"] = [k.hex() for k in key_identifiers]
    if statement is not None:
        entry["metadataStatement"] = dict(statement)
    return entry


def blob_payload(entries: Sequence[Mapping[str, Any]], *, next_update: date, no: int = 1) -> dict[str, Any]:
    return {
        "legalHeader": "fidoconf test metadata: not for production use",
        "no": no,
        "nextUpdate": next_update.isoformat(),
        "entries": [dict(e) for e in entries],
    }


def sign_blob(
    payload: Mapping[str, Any] | bytes,
    *,
    key: PrivateKey,
    x5c: Sequence[x509.Certificate] = (),
    header_extra: Mapping[str, Any] | None = None,
    der_ecdsa: bool = False,
) -> bytes:
    """A compact JWS: ES256 for an EC key (R||S per RFC 7518, or DER like the MDS3 spec example), RS256 for RSA."""
    alg = "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "RS256"
    header: dict[str, Any] = {"alg": alg, "typ": "JWT"}
    if x5c:
        header["x5c"] = [base64.b64encode(c.public_bytes(Encoding.DER)).decode() for c in x5c]
    header.update(header_extra or {})
    body = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
    signing_input = f"{b64url_encode(json.dumps(header).encode())}.{b64url_encode(body)}".encode()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        der = key.sign(signing_input, ec.ECDSA(hashes.SHA256()))
        if der_ecdsa:
            signature = der
        else:
            r, s = decode_dss_signature(der)
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return signing_input + b"." + b64url_encode(signature).encode()


def corrupt_signature(blob: bytes) -> bytes:
    """Flip one bit of the signature, leaving header and payload intact."""
    head, _, signature_b64 = blob.rpartition(b".")
    raw = bytearray(base64.urlsafe_b64decode(signature_b64 + b"=" * (-len(signature_b64) % 4)))
    raw[len(raw) // 2] ^= 0x01
    return head + b"." + b64url_encode(bytes(raw)).encode()


def _uuid(aaguid: bytes) -> str:
    h = aaguid.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
