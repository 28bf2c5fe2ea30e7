"""FIDO MDS3 metadata: a verified BLOB becomes per-authenticator trust anchors, listed types and refusals.

`MetadataStore.load` verifies a BLOB (see `metadata_blob`: fido2.mds3 for the JWS, cryptography for the chain at
the injected clock, supplied CRLs for revocation) and indexes its entries by AAGUID and by
attestationCertificateKeyIdentifiers. `apply_metadata` runs during registration, after the attestation statement
verified and before its trust is assessed (#sctn-registering-a-new-credential step 24: "obtain a list of
acceptable trust anchors ... from a trusted source or from policy ... The FIDO Metadata Service provides one way
to obtain such information"). It refuses what the entry says must not register, and returns the trust store in
which the entry's attestationRootCertificates are that authenticator's anchors.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding
from fido2.mds3 import AuthenticatorStatus, MetadataBlobPayload, MetadataBlobPayloadEntry, StatusReport

from .attestation import StatementResult
from .cose import CRV_ED448, CRV_ED25519, CoseKey
from .errors import Code, fail
from .metadata_blob import verify_blob
from .policy import Policy
from .trust import TrustStore

ZERO_AAGUID = bytes(16)

#: FIDO Registry of Predefined Values #authentication-algorithms → the COSE algorithms (with, for the curve-agnostic
#: EdDSA -8, the curve) a credential key may use. `_der` names a signature encoding, not another key type;
#: sm2_sm3_raw has no COSE identifier, so no credential key matches it.
AUTHENTICATION_ALGORITHMS: Mapping[str, tuple[tuple[int, int | None], ...]] = {
    "secp256r1_ecdsa_sha256_raw": ((-7, None), (-9, None)),
    "secp256r1_ecdsa_sha256_der": ((-7, None), (-9, None)),
    "rsassa_pss_sha256_raw": ((-37, None),),
    "rsassa_pss_sha256_der": ((-37, None),),
    "secp256k1_ecdsa_sha256_raw": ((-47, None),),
    "secp256k1_ecdsa_sha256_der": ((-47, None),),
    "sm2_sm3_raw": (),
    "rsa_emsa_pkcs1_sha256_raw": ((-257, None),),
    "rsa_emsa_pkcs1_sha256_der": ((-257, None),),
    "rsassa_pss_sha384_raw": ((-38, None),),
    "rsassa_pss_sha512_raw": ((-39, None),),
    "rsassa_pkcsv15_sha256_raw": ((-257, None),),
    "rsassa_pkcsv15_sha384_raw": ((-258, None),),
    "rsassa_pkcsv15_sha512_raw": ((-259, None),),
    "rsassa_pkcsv15_sha1_raw": ((-65535, None),),
    "secp384r1_ecdsa_sha384_raw": ((-35, None), (-51, None)),
    "secp521r1_ecdsa_sha512_raw": ((-36, None), (-52, None)),
    "ed25519_eddsa_sha512_raw": ((-8, CRV_ED25519), (-19, None)),
    "ed448_eddsa_sha512_raw": ((-8, CRV_ED448), (-53, None)),
}

#: Metadata attestationTypes (FIDO Registry #authenticator-attestation-types) → WebAuthn attestation types.
#: basic_surrogate is the registry's name for self attestation; ecdaa left WebAuthn in Level 2.
ATTESTATION_TYPES: Mapping[str, str] = {
    "basic_full": "basic",
    "basic_surrogate": "self",
    "attca": "attca",
    "anonca": "anonca",
    "none": "none",
}

#: MDS3 #authenticatorstatus-enum security notifications that refuse a registration when they are the latest report.
COMPROMISED: Mapping[AuthenticatorStatus, Code] = {
    AuthenticatorStatus.REVOKED: Code.METADATA_STATUS_REVOKED,
    AuthenticatorStatus.ATTESTATION_KEY_COMPROMISE: Code.METADATA_STATUS_ATTESTATION_KEY_COMPROMISE,
    AuthenticatorStatus.USER_VERIFICATION_BYPASS: Code.METADATA_STATUS_USER_VERIFICATION_BYPASS,
    AuthenticatorStatus.USER_KEY_REMOTE_COMPROMISE: Code.METADATA_STATUS_USER_KEY_REMOTE_COMPROMISE,
    AuthenticatorStatus.USER_KEY_PHYSICAL_COMPROMISE: Code.METADATA_STATUS_USER_KEY_PHYSICAL_COMPROMISE,
}


@dataclass(frozen=True, slots=True)
class MetadataEntry:
    """One BLOB entry with what registration reads decoded and type-checked at load time: a bad value fails the
    BLOB once, with a metadata.blob code, instead of failing every user of that authenticator later."""

    entry: MetadataBlobPayloadEntry
    description: str
    anchors: tuple[x509.Certificate, ...]
    #: attestationTypes as WebAuthn types; None when the entry has no metadata statement.
    attestation_types: frozenset[str] | None
    #: authenticationAlgorithms as they are listed; None when the entry does not say.
    algorithm_names: tuple[str, ...] | None
    status_reports: tuple[StatusReport, ...]

    @classmethod
    def of(cls, entry: MetadataBlobPayloadEntry, index: int) -> MetadataEntry:
        statement = entry.metadata_statement
        where = f"entries[{index}]"
        if statement is None:
            return cls(entry, "(entry without a metadata statement)", (), None, None, _reports(entry, where))
        # An entry filed under one AAGUID whose statement describes another would lend it the other's roots.
        if statement.aaguid is not None and entry.aaguid != statement.aaguid:
            raise fail(Code.METADATA_BLOB_MALFORMED, f"{where} aaguid differs from its statement's aaguid")
        types = _strings(statement.attestation_types, f"{where} attestationTypes")
        algorithms = statement.authentication_algorithms
        return cls(
            entry,
            statement.description if isinstance(statement.description, str) else f"{where}",
            _anchors(statement.attestation_root_certificates, where),
            frozenset(ATTESTATION_TYPES[t] for t in types if t in ATTESTATION_TYPES),
            None if algorithms is None else _strings(algorithms, f"{where} authenticationAlgorithms"),
            _reports(entry, where),
        )


@dataclass(frozen=True, slots=True)
class MetadataStore:
    payload: MetadataBlobPayload
    by_aaguid: Mapping[bytes, MetadataEntry]
    #: attestationCertificateKeyIdentifiers (a U2F authenticator has no AAGUID) → entry.
    by_key_identifier: Mapping[bytes, MetadataEntry]
    #: The BLOB signer's validated chain, signer first, trust root last (empty when built from a payload).
    signer_chain: tuple[x509.Certificate, ...] = ()
    #: False when some certificate of the signer chain had no CRL: offline, its revocation was not checkable.
    revocation_checked: bool = False

    @property
    def serial(self) -> int:
        return self.payload.no

    @property
    def next_update(self) -> date:
        return self.payload.next_update

    @classmethod
    def load(
        cls,
        blob: bytes | str | Path,
        *,
        trust_root: x509.Certificate | Path | bytes,
        clock: Callable[[], datetime],
        policy: Policy,
        crls: Iterable[x509.CertificateRevocationList | Path | bytes] = (),
    ) -> MetadataStore:
        """Verify and index a BLOB: the compact JWS as bytes or text, or a Path to a file holding it.

        `trust_root`: the MDS root (certificate, PEM/DER bytes or a Path). `crls`: the revocation lists that go with
        it; offline, "revoked signer" means listed in one of them by the listed certificate's issuer.
        """
        verified = verify_blob(blob, trust_root=trust_root, crls=tuple(crls), policy=policy, at=clock())
        return cls.from_payload(
            verified.payload, signer_chain=verified.signer_chain, revocation_checked=verified.revocation_checked
        )

    @classmethod
    def from_payload(
        cls,
        payload: MetadataBlobPayload,
        *,
        signer_chain: tuple[x509.Certificate, ...] = (),
        revocation_checked: bool = False,
    ) -> MetadataStore:
        """Index a payload that is already trusted (load() is the way in for a BLOB from outside)."""
        by_aaguid: dict[bytes, MetadataEntry] = {}
        by_key_identifier: dict[bytes, MetadataEntry] = {}
        for index, raw in enumerate(payload.entries):
            item = MetadataEntry.of(raw, index)
            if raw.aaguid is not None:
                # Two entries for one AAGUID would make the verdict depend on BLOB order: refuse the BLOB.
                if bytes(raw.aaguid) in by_aaguid:
                    raise fail(Code.METADATA_BLOB_MALFORMED, f"AAGUID {raw.aaguid} has more than one entry")
                by_aaguid[bytes(raw.aaguid)] = item
            for key_id in raw.attestation_certificate_key_identifiers or ():
                if key_id in by_key_identifier:
                    raise fail(Code.METADATA_BLOB_MALFORMED, f"key identifier {key_id.hex()} has more than one entry")
                by_key_identifier[key_id] = item
        return cls(payload, by_aaguid, by_key_identifier, signer_chain, revocation_checked)

    def entry_for(self, *, aaguid: bytes, trust_path: Sequence[x509.Certificate] = ()) -> MetadataEntry | None:
        """FIDO2 authenticators are found by AAGUID; U2F ones (all-zero AAGUID) by the subjectKeyIdentifier of a
        certificate in their path (#dom-metadatablobpayloadentry-attestationcertificatekeyidentifiers)."""
        if aaguid != ZERO_AAGUID:
            return self.by_aaguid.get(bytes(aaguid))
        for cert in trust_path:
            for key_id in _key_identifiers(cert):
                if key_id in self.by_key_identifier:
                    return self.by_key_identifier[key_id]
        return None


@dataclass(frozen=True, slots=True)
class MetadataDecision:
    #: The statement, its attestation type made precise by the entry and its info carrying the entry's facts.
    statement: StatementResult
    #: The trust store to assess the statement's path with.
    trust: TrustStore
    entry: MetadataEntry | None


def apply_metadata(
    statement: StatementResult,
    *,
    aaguid: bytes,
    credential_key: CoseKey,
    metadata: MetadataStore,
    policy: Policy,
    trust: TrustStore,
    clock: Callable[[], datetime],
) -> MetadataDecision:
    """Refuse what the authenticator's entry forbids; otherwise make its roots the anchors for its path."""
    # "none" attests nothing, so there is no claim for metadata to confirm (the FIDO tool registers none with an
    # all-zero AAGUID even where unknown AAGUIDs are refused).
    if statement.attestation_type == "none":
        return MetadataDecision(statement, trust, None)
    found = metadata.entry_for(aaguid=aaguid, trust_path=statement.trust_path)
    if found is None:
        if policy.metadata_unknown_aaguid == "allow":
            return MetadataDecision(statement, trust, None)
        raise fail(Code.METADATA_ENTRY_UNKNOWN_AAGUID, f"no metadata entry for AAGUID {aaguid.hex()}", aaguid=aaguid)
    check_status(found, trust_path=statement.trust_path, today=clock().date())
    attestation_type = check_attestation_type(found, statement.attestation_type)
    check_algorithm(found, credential_key)
    info = {**statement.info, "metadata": {"description": found.description, "anchors": len(found.anchors)}}
    statement = statement._replace(attestation_type=attestation_type, info=info)
    if not found.anchors:
        return MetadataDecision(statement, trust, found)
    # trust.py: "When anchors_by_aaguid has entries for an AAGUID, only those anchors are used for it". A U2F
    # entry goes under the all-zero AAGUID, which is fine: this store lives for one registration.
    return MetadataDecision(statement, trust.with_aaguid_anchors(aaguid, found.anchors), found)


def latest_status_report(entry: MetadataEntry, *, today: date) -> StatusReport | None:
    """The report in force today: latest effectiveDate not after today; undated reports count by their position."""
    reports = [
        (r.effective_date or date.min, i, r)
        for i, r in enumerate(entry.status_reports)
        if r.effective_date is None or r.effective_date <= today
    ]
    return max(reports, key=lambda t: (t[0], t[1]))[2] if reports else None


def check_status(entry: MetadataEntry, *, trust_path: Sequence[x509.Certificate], today: date) -> None:
    report = latest_status_report(entry, today=today)
    if report is None or report.status not in COMPROMISED:
        return
    # ATTESTATION_KEY_COMPROMISE: "The relying party SHOULD check the certificate field and use it to identify the
    # compromised authenticator batch. If the certificate field is not set, the relying party should reject all new
    # registrations of the compromised authenticator."
    if (
        report.status == AuthenticatorStatus.ATTESTATION_KEY_COMPROMISE
        and report.certificate
        and not _batch_matches(report.certificate, trust_path)
    ):
        return
    # REVOKED: "Relying parties SHOULD reject any future registration of this authenticator model."; the other
    # statuses say the authenticator's keys or user verification cannot be relied on.
    raise fail(
        COMPROMISED[report.status],
        f"{entry.description}: latest status report is {report.status.value}",
        effective_date=report.effective_date.isoformat() if report.effective_date else None,
    )


def check_attestation_type(entry: MetadataEntry, attestation_type: str) -> str:
    """The statement's type must be one the entry lists; returns the type, made precise by the entry."""
    listed = entry.attestation_types
    if listed is None or attestation_type in listed:
        return attestation_type
    # #sctn-packed-attestation and #sctn-fido-u2f-attestation return "Basic, AttCA or uncertainty": an x5c alone
    # cannot tell them apart, so the entry decides which one this authenticator uses.
    if attestation_type == "basic" and "attca" in listed:
        return "attca"
    raise fail(
        Code.METADATA_ATTESTATION_TYPE_NOT_LISTED,
        f"{entry.description} lists attestation types {sorted(listed)}, not {attestation_type}",
    )


def check_algorithm(entry: MetadataEntry, key: CoseKey) -> None:
    if entry.algorithm_names is None:
        return
    for listed in entry.algorithm_names:
        for alg, crv in AUTHENTICATION_ALGORITHMS.get(listed, ()):
            if alg == key.alg.alg and (crv is None or crv == key.crv):
                return
    raise fail(
        Code.METADATA_ALGORITHM_NOT_LISTED,
        f"{entry.description} lists {list(entry.algorithm_names)}, not {key.alg.name}",
    )


def _batch_matches(compromised_der: bytes, trust_path: Sequence[x509.Certificate]) -> bool:
    """The compromised certificate is in the path, or issued a certificate of it."""
    try:
        compromised = x509.load_der_x509_certificate(compromised_der)
    except ValueError:
        return True  # an unreadable certificate field identifies nothing narrower than the whole model
    for cert in trust_path:
        if cert.public_bytes(Encoding.DER) == compromised_der:
            return True
        try:
            cert.verify_directly_issued_by(compromised)
            return True
        except (ValueError, TypeError, InvalidSignature):
            continue
    return False


def _anchors(roots: object, where: str) -> tuple[x509.Certificate, ...]:
    anchors = []
    for i, der in enumerate(_sequence(roots, f"{where} attestationRootCertificates")):
        try:
            anchors.append(x509.load_der_x509_certificate(der))
        except (TypeError, ValueError) as exc:
            raise fail(Code.METADATA_BLOB_MALFORMED, f"{where} attestationRootCertificates[{i}] is not DER") from exc
    return tuple(anchors)


def _reports(entry: MetadataBlobPayloadEntry, where: str) -> tuple[StatusReport, ...]:
    reports = _sequence(entry.status_reports, f"{where} statusReports")
    for i, report in enumerate(reports):
        if not isinstance(report, StatusReport):
            raise fail(Code.METADATA_BLOB_MALFORMED, f"{where} statusReports[{i}] is not an object")
        # fido2 leaves a status it does not know as None (a status newer than the library): not compromised.
        if report.effective_date is not None and not isinstance(report.effective_date, date):
            raise fail(Code.METADATA_BLOB_MALFORMED, f"{where} statusReports[{i}] effectiveDate is not a date")
        if report.certificate is not None and not isinstance(report.certificate, bytes):
            raise fail(Code.METADATA_BLOB_MALFORMED, f"{where} statusReports[{i}] certificate is not base64")
    return reports


def _strings(value: object, what: str) -> tuple[str, ...]:
    items = _sequence(value, what)
    if not all(isinstance(item, str) for item in items):
        raise fail(Code.METADATA_BLOB_MALFORMED, f"{what} is not a list of strings")
    return items


def _sequence(value: object, what: str) -> tuple:
    # fido2 types these members but does not check them: a string would otherwise iterate as characters.
    if not isinstance(value, (list, tuple)):
        raise fail(Code.METADATA_BLOB_MALFORMED, f"{what} is not a list")
    return tuple(value)


def _key_identifiers(cert: x509.Certificate) -> set[bytes]:
    """RFC 5280 #section-4.2.1.2 method 1 (SHA-1 of subjectPublicKey), plus the certificate's own SKI if it has one."""
    ids = {x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest}
    with contextlib.suppress(x509.ExtensionNotFound):
        ids.add(cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest)
    return ids
