"""What the three formats' builders share: their parts of the build, leaf certificates, cases, edits."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ..ca import LEAF_VALIDITY, VERIFY_AT, TestPKI
from ..keys import SigningKey
from ..model import Build, StatementInput
from ..mutations import PRESETS, Mutation, outcome_of

RP_ID = "fidoconf.example"
ORIGIN = "https://fidoconf.example"

#: An edit takes the value a stage produced and the credential's parts, and returns the value to use instead.
Edit = Callable[[Any, "Parts"], Any]


@dataclass(frozen=True, slots=True)
class Parts:
    """What every statement of one credential is computed from."""

    pki: TestPKI
    seed: str
    credential_key: SigningKey
    auth_data: bytes
    client_data_hash: bytes
    #: When the statement is made (SafetyNet's timestampMs is relative to it).
    now: datetime

    @property
    def nonce(self) -> bytes:
        """SHA-256(authenticatorData || clientDataHash): SafetyNet's attToBeSigned, Apple's nonce."""
        return hashlib.sha256(self.auth_data + self.client_data_hash).digest()


_SYNTAX = "Verify that attStmt is valid CBOR conforming to the syntax defined above and perform CBOR decoding on it"
#: The verification step each safetynet / apple / compound defect breaks, by format (the live format cases quote it;
#: tpm and android-key cases quote their own).
_STEPS: dict[str, tuple[str, str]] = {
    "android-safetynet": (
        "#sctn-android-safetynet-attestation",
        "Verify that response is a valid SafetyNet response of version ver by following the steps indicated by the "
        "SafetyNet online documentation.",
    ),
    "apple": (
        "#sctn-apple-anonymous-attestation",
        "Verify that nonce equals the value of the extension with OID 1.2.840.113635.100.8.2 in credCert.",
    ),
    "compound": ("#sctn-compound-attestation", _SYNTAX + " (attStmt: [2* nonCompoundAttStmt])."),
}
#: A more specific step, by the code a defect is refused with under the strict preset.
_CODE_STEPS: dict[str, str] = {
    "safetynet_response.nonce.mismatch": "Verify that the nonce attribute in the payload of response is identical to "
    "the Base64 encoding of the SHA-256 hash of the concatenation of authenticatorData and clientDataHash.",
    "safetynet_response.nonce.missing": "Verify that the nonce attribute in the payload of response is identical to "
    "the Base64 encoding of the SHA-256 hash of the concatenation of authenticatorData and clientDataHash.",
    "att_cert.hostname.mismatch": "Verify that the SafetyNet response actually came from the SafetyNet service by "
    "following the steps in the SafetyNet online documentation (the leaf is issued to attest.android.com).",
    "safetynet.ver.missing": _SYNTAX + " (ver: text, response: bytes).",
    "safetynet.ver.invalid": _SYNTAX + " (ver: text); FIDO Resp-B F-1: a server must refuse an empty ver.",
    "safetynet.response.missing": _SYNTAX + " (ver: text, response: bytes).",
    "safetynet.response.type_invalid": _SYNTAX + " (ver: text, response: bytes).",
    "att_cert.public_key.mismatch": "Verify that the credential public key equals the Subject Public Key of credCert.",
    "att_stmt.x5c.missing": _SYNTAX + " (x5c: [ credCert: bytes, * (caCert: bytes) ]).",
    "att_stmt.x5c.empty": _SYNTAX + " (x5c: [ credCert: bytes, * (caCert: bytes) ]).",
    "att_stmt.sig.invalid": "For each element: verify it with the verification procedure of its own format "
    "(#sctn-packed-attestation: verify that sig is a valid signature over authenticatorData || clientDataHash).",
    "attestation.fmt.unsupported": "Determine the attestation statement format by performing a USASCII "
    "case-sensitive match on fmt against the set of supported WebAuthn Attestation Statement Format Identifier "
    "values.",
}


def requirement_of(fmt: str, outcomes: dict[str, str | None]) -> tuple[str, str]:
    """(anchor, quoted step) a defect of `fmt` refused with `outcomes["strict"]` breaks."""
    anchor, step = _STEPS[fmt]
    return anchor, _CODE_STEPS.get(outcomes.get("strict") or "", step)


def case_maker(fmt: str, prefix: str) -> Callable[..., Mutation]:
    """`make(name, defect, edits, outcome, note)`: a defect record (no hooks; the edits are the builder's
    statement_options). outcome is a code (or None) for every preset, or a dict preset → code."""

    def make(name: str, defect: str | None, edits: dict[str, Any], outcome: Any, note: str = "") -> Mutation:
        codes = outcome if isinstance(outcome, dict) else dict.fromkeys(PRESETS, outcome)
        anchor, requirement = requirement_of(fmt, codes)
        return Mutation(
            name=f"{prefix}-{name}", group=fmt, description=defect, requirement=requirement, anchor=anchor,
            expected_code=codes["strict"], base=(fmt, "ES256"), formats=(fmt,),
            outcomes={preset: outcome_of(code) for preset, code in codes.items()},
            options={"statement_options": edits}, level="MUST", note=note,
        )

    return make


def policy_dependent(code: str, *, accepted_by: tuple[str, ...] = ("permissive",)) -> dict[str, str | None]:
    return {preset: None if preset in accepted_by else code for preset in PRESETS}


# --- from the virtual authenticator's build ---------------------------------------------------------------


def parts_of(build: Build, given: StatementInput) -> Parts:
    """The parts these builders sign over, from the one virtual authenticator's build (`model.Build`)."""
    now = build.now or datetime.fromisoformat(VERIFY_AT)
    return Parts(build.pki, build.seed, build.credential_key, build.auth_data, given.client_data_hash, now)


def builder(statement: Callable[[Parts, dict[str, Any]], Any]) -> Callable[[Build, StatementInput], Any]:
    """A `formats.FormatBuilder` statement: `statement(parts, edits)` with the build's statement_options as edits."""
    return lambda build, given: statement(parts_of(build, given), build.statement_options or {})


# --- leaf certificates under the test PKI -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeafSpec:
    """One leaf certificate: subject CN (plus other RDNs), SAN dNSNames (None: no SAN), extensions, issuer."""

    cn: str
    san: tuple[str, ...] | None = None
    extensions: tuple[tuple[x509.ExtensionType, bool], ...] = ()
    subject_extra: tuple[tuple[x509.ObjectIdentifier, str], ...] = ()
    #: "intermediate" (the test PKI's) or "self" (signed with the leaf's own key).
    issuer: str = "intermediate"


def serial(label: str) -> int:
    return int.from_bytes(hashlib.sha256(label.encode()).digest()[:8], "big") >> 1


def to_der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def issue_leaf(parts: Parts, signing_key: SigningKey | None, public_key: Any, spec: LeafSpec) -> x509.Certificate:
    """A v3 end-entity certificate (CA false) for `public_key`; `signing_key` signs it when spec.issuer is self."""
    rdns = [x509.NameAttribute(oid, value) for oid, value in spec.subject_extra]
    subject = x509.Name([*rdns, x509.NameAttribute(NameOID.COMMON_NAME, spec.cn)])
    if spec.issuer == "self":
        issuer_name, signer = subject, signing_key.private
    else:
        issuer_cert, signer = parts.pki.issuer(spec.issuer)
        issuer_name = issuer_cert.subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(serial(f"{parts.seed}/leaf"))
        .not_valid_before(LEAF_VALIDITY[0])
        .not_valid_after(LEAF_VALIDITY[1])
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    )
    if spec.san is not None:
        names = [x509.DNSName(name) for name in spec.san]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    for extension, critical in spec.extensions:
        builder = builder.add_extension(extension, critical=critical)
    if isinstance(signer, ec.EllipticCurvePrivateKey):
        return builder.sign(signer, hashes.SHA256(), ecdsa_deterministic=True)
    return builder.sign(signer, hashes.SHA256())  # RSA PKCS#1 v1.5 is deterministic


def intermediate_der(parts: Parts) -> bytes:
    return to_der(parts.pki.issuer("intermediate")[0])


# --- edits ----------------------------------------------------------------------------------------------------

#: The value of a member to remove, in `changed(...)`.
DROP = object()


def changed(**changes: Any) -> Edit:
    """An edit of a dict (JWS header or payload, attStmt): set members, or remove those given as DROP."""

    def edit(value: dict, _parts: Parts) -> dict:
        merged = {**value, **changes}
        return {k: v for k, v in merged.items() if v is not DROP}

    return edit


def leaf_changed(**changes: Any) -> Edit:
    """An edit of a LeafSpec."""
    names = {f.name for f in fields(LeafSpec)}
    assert set(changes) <= names, set(changes) - names
    return lambda spec, _parts: replace(spec, **changes)


def apply(edits: dict[str, Any], stage: str, value: Any, parts: Parts) -> Any:
    edit = edits.get(stage)
    return value if edit is None else edit(value, parts)
