"""Trust anchors and attestation chain validation (#sctn-registering-a-new-credential, step "Assess the attestation
trustworthiness": "use the X.509 certificates returned as the attestation trust path from the verification
procedure to verify that the attestation public key either correctly chains up to an acceptable root
certificate, or is itself an acceptable certificate").

`validate_chain` never raises for a chain problem: it returns a `TrustVerdict` whose `code` says which.
Order of the checks, and why:
  1. no anchor for this AAGUID → trust.anchor.missing (nothing is "verified" without an anchor);
  2. the x5c on its own: validity at clock() of every certificate, the leaf being an anchor itself (FIDO
     Resp-5 P-3), a root inside x5c (Resp-5 F-10), order and signatures, CA flags, SHA-1 — checked first so
     the code is precise rather than the library's "candidates exhausted";
  3. cryptography.x509.verification builds and validates the path (attestation extension policies and the
     prepared anchor set: verifier/trust_anchors.py);
  4. only if the library refuses: an explicit path walk. Attestation PKI is not web PKI: FIDO test roots are v1
     certificates, SHA-1 signatures are allowed by policy in conformance mode, a Feitian leaf writes GeneralizedTime
     before 2050, the FIDO tool's TPM CAs have negative serials. The walk re-checks signatures, validity, CA flags,
     pathLen, keyUsage and critical extensions, records each web-PKI rule it knowingly does not apply, and trusts
     the path only if at least one such recorded difference explains the library's refusal; otherwise the
     library's verdict stands as trust.chain.invalid.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.verification import VerificationError

from . import certs
from .cert_der import ParsedCertificate, parse_certificate
from .cert_names import SimpleName
from .errors import Code
from .errors import VerificationError as CodedError
from .keys import public_key_problem
from .trust_anchors import AnchorSet
from .trust_walk import (
    MAX_DEPTH,
    MAX_SIGNATURE_CHECKS,
    BudgetExhausted,
    SignatureBudget,
    TrustVerdict,
    refuse,
    validity,
    walk,
    weak_signature,
)

__all__ = ["MAX_DEPTH", "MAX_SIGNATURE_CHECKS", "MAX_X5C_LENGTH", "TrustStore", "TrustVerdict", "validate_chain"]

#: Longest x5c assessed (attestation certificate included). Real attestation chains carry 1 to 4 certificates;
#: each further one costs signature checks an attacker chooses (issue 11).
MAX_X5C_LENGTH = MAX_DEPTH


@dataclass(frozen=True)
class TrustStore:
    """Trust anchors, untrusted helper intermediates, and per-AAGUID anchors (from FIDO metadata).

    When `anchors_by_aaguid` has entries for an AAGUID, only those anchors are used for it: a metadata statement
    names the roots of one authenticator model, and another vendor's root must not vouch for it.
    """

    anchors: tuple[x509.Certificate, ...] = ()
    #: Helpers for path building only (a vector whose x5c omits an intermediate); never trusted on their own.
    intermediates: tuple[x509.Certificate, ...] = ()
    anchors_by_aaguid: Mapping[bytes, tuple[x509.Certificate, ...]] = field(default_factory=dict)
    # One prepared anchor set per AAGUID scope and the helper intermediates' readings, built on first use: the
    # verification hot path reuses them (they depend on the configuration only, never on a verification's input).
    _sets: dict[bytes | None, AnchorSet] = field(default_factory=dict, init=False, repr=False, compare=False)
    _helpers: list[tuple[ParsedCertificate, ...]] = field(default_factory=list, init=False, repr=False, compare=False)
    _names: list[Mapping[bytes, SimpleName | None]] = field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "anchors", _unique(self.anchors))
        object.__setattr__(self, "intermediates", _unique(self.intermediates))
        by_aaguid = {bytes(k): _unique(v) for k, v in self.anchors_by_aaguid.items()}
        object.__setattr__(self, "anchors_by_aaguid", MappingProxyType(by_aaguid))

    @classmethod
    def empty(cls) -> TrustStore:
        return cls()

    @classmethod
    def from_certificates(
        cls,
        anchors: Iterable[x509.Certificate] = (),
        *,
        intermediates: Iterable[x509.Certificate] = (),
        anchors_by_aaguid: Mapping[bytes, Iterable[x509.Certificate]] | None = None,
    ) -> TrustStore:
        by_aaguid = {k: tuple(v) for k, v in (anchors_by_aaguid or {}).items()}
        return cls(tuple(anchors), tuple(intermediates), by_aaguid)

    @classmethod
    def from_pem_paths(cls, *paths: str | Path) -> TrustStore:
        """PEM files, or directories searched recursively for *.pem. A file in or under a directory named
        `intermediates` (the given one included) is a helper intermediate; every other certificate is an anchor.
        Operator configuration: a bad file raises ValueError naming it."""
        anchors: list[x509.Certificate] = []
        intermediates: list[x509.Certificate] = []
        for path in map(Path, paths):
            if path.is_dir():
                for file in sorted(path.rglob("*.pem")):
                    helper = "intermediates" in file.relative_to(path.parent).parts[:-1]
                    (intermediates if helper else anchors).extend(_read_pem(file))
            elif path.is_file():
                (intermediates if path.parent.name == "intermediates" else anchors).extend(_read_pem(path))
            else:
                raise ValueError(f"trust path {str(path)!r} is neither a file nor a directory")
        return cls(tuple(anchors), tuple(intermediates))

    def with_anchors(self, *anchors: x509.Certificate) -> TrustStore:
        return replace(self, anchors=(*self.anchors, *anchors))

    def with_intermediates(self, *intermediates: x509.Certificate) -> TrustStore:
        return replace(self, intermediates=(*self.intermediates, *intermediates))

    def with_aaguid_anchors(self, aaguid: bytes, anchors: Iterable[x509.Certificate]) -> TrustStore:
        by_aaguid = dict(self.anchors_by_aaguid)
        by_aaguid[bytes(aaguid)] = (*by_aaguid.get(bytes(aaguid), ()), *anchors)
        return replace(self, anchors_by_aaguid=by_aaguid)

    def anchors_for(self, aaguid: bytes | None) -> tuple[x509.Certificate, ...]:
        return self._anchor_set(aaguid).certs

    def _anchor_set(self, aaguid: bytes | None) -> AnchorSet:
        key = bytes(aaguid) if aaguid is not None and self.anchors_by_aaguid.get(bytes(aaguid)) else None
        found = self._sets.get(key)
        if found is None:
            anchors = self.anchors if key is None else self.anchors_by_aaguid[key]
            found = self._sets[key] = AnchorSet(anchors, self._intermediate_readings())
        return found

    def name_readings(self) -> Mapping[bytes, SimpleName | None]:
        """The subject Name readings (cert_names.simple_name) of every anchor and helper intermediate, by the Name's
        DER, read once per trust store: an attestation chain's top certificate names one of them as its issuer, so
        certs.load_x5c starts from these instead of reading that Name again for every verification."""
        if not self._names:
            certificates = {*self.anchors, *self.intermediates}
            for scoped in self.anchors_by_aaguid.values():
                certificates.update(scoped)
            readings = {}
            for cert in certificates:
                try:
                    reading = parse_certificate(cert)
                except ValueError:  # an anchor the DER walk refuses seeds nothing; the chain check meets it as before
                    continue
                readings[reading.subject_der] = reading.subject_key
            self._names.append(MappingProxyType(readings))
        return self._names[0]

    def _intermediate_readings(self) -> tuple[ParsedCertificate, ...]:
        if not self._helpers:
            self._helpers.append(tuple(parse_certificate(c) for c in self.intermediates))
        return self._helpers[0]


def _read_pem(path: Path) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(path.read_bytes())
    except Exception as exc:  # configuration: name the file, whatever the parser said
        raise ValueError(f"{path}: not PEM certificates: {exc}") from None


def _unique(items: Iterable[x509.Certificate]) -> tuple[x509.Certificate, ...]:
    seen: dict[bytes, x509.Certificate] = {}
    for cert in items:
        seen.setdefault(_der(cert), cert)
    return tuple(seen.values())


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


# --- validate_chain ---------------------------------------------------------------------------------------------


def validate_chain(
    chain: Sequence[x509.Certificate],
    *,
    trust: TrustStore,
    aaguid: bytes | None,
    clock: Callable[[], datetime],
    policy: Any,
    allow_root_in_x5c: bool | None = None,
) -> TrustVerdict:
    """Does `chain` (x5c order: attestation certificate first) chain to an anchor of `trust` at clock()?

    A root inside x5c is trust.chain.root_included (FIDO Resp-5 F-10) unless `allow_root_in_x5c` (default:
    the policy's `allow_root_in_x5c`, else False) is true. Real authenticators do send their root (Feitian
    BioPass packed x5c; every Android Keystore chain), and WebAuthn does not forbid it, so this is policy, not
    a MUST. When allowed, a trailing self-signed certificate is dropped: the anchor always comes from `trust`,
    never from x5c. A chain from certs.load_x5c brings its certificates' readings; any other is read here.
    """
    if not chain:
        return refuse(Code.TRUST_CHAIN_INVALID, "empty certificate chain")
    too_long = _chain_length_limit(chain)
    if too_long:
        return too_long
    anchors = trust._anchor_set(aaguid)
    if not anchors.certs:
        scope = f" for AAGUID {bytes(aaguid).hex()}" if aaguid else ""
        return refuse(Code.TRUST_ANCHOR_MISSING, f"no trust anchor configured{scope}; the chain was not assessed")
    if allow_root_in_x5c is None:
        allow_root_in_x5c = bool(getattr(policy, "allow_root_in_x5c", False))
    now = clock()
    allow_sha1 = bool(getattr(policy, "allow_sha1", False))
    min_rsa_bits = int(getattr(policy, "min_rsa_bits", 2048))
    budget = SignatureBudget()
    try:
        readings = certs.parsed_chain(chain)
        # load_x5c has already refused an unusable x5c[0] key (att_cert.public_key.invalid): not read twice.
        weak = _key_bounds(readings, min_rsa_bits, leaf_key=chain.leaf_key if isinstance(chain, certs.X5c) else None)
        if weak:
            return weak
        if allow_root_in_x5c and len(readings) > 1 and budget.self_signed(readings[-1]):
            readings = readings[:-1]
        return _validate(readings, trust, anchors, now, allow_sha1, min_rsa_bits, budget)
    except BudgetExhausted:
        return refuse(
            Code.TRUST_CHAIN_TOO_COSTLY, f"more than {MAX_SIGNATURE_CHECKS} signature checks to assess this chain"
        )
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        # cryptography parses some fields (keys, names of certificates it was not handed by load_x5c) lazily.
        return refuse(Code.TRUST_CHAIN_INVALID, f"a certificate on the path cannot be parsed: {exc}")


def _chain_length_limit(chain: Sequence[x509.Certificate]) -> TrustVerdict | None:
    # Before anything else: the work of every later step grows with the length an attacker chose.
    if len(chain) > MAX_X5C_LENGTH:
        return refuse(
            Code.TRUST_CHAIN_TOO_LONG, f"x5c has {len(chain)} certificates; at most {MAX_X5C_LENGTH} are assessed"
        )
    return None


def _key_bounds(
    chain: tuple[ParsedCertificate, ...], min_rsa_bits: int, *, leaf_key: object | None
) -> TrustVerdict | None:
    """Every x5c key is a key (RSA: odd modulus, odd exponent >= 3) of bounded verification cost, checked before
    any signature is; the attestation key meets the policy's RSA floor like every other key the verifier trusts.
    Only RSA keys have anything to check here, so no other key is loaded for it. `leaf_key` is the attestation
    key load_x5c already loaded and checked (X5c.leaf_key), or None for a chain from elsewhere."""
    checked = 0 if leaf_key is None else 1
    for index, reading in enumerate(chain[checked:], start=checked):
        problem = public_key_problem(reading.cert.public_key()) if reading.has_rsa_key() else None
        if problem:
            return refuse(Code.TRUST_CHAIN_INVALID, f"x5c[{index}] public key: {problem}")
    if leaf_key is None and chain[0].has_rsa_key():
        leaf_key = chain[0].cert.public_key()
    if isinstance(leaf_key, rsa.RSAPublicKey) and leaf_key.key_size < min_rsa_bits:
        return refuse(
            Code.TRUST_CHAIN_WEAK_KEY, f"x5c[0] has a {leaf_key.key_size}-bit RSA key (policy floor {min_rsa_bits})"
        )
    return None


def _validate(
    chain: tuple[ParsedCertificate, ...],
    trust: TrustStore,
    anchors: AnchorSet,
    now: datetime,
    allow_sha1: bool,
    min_rsa_bits: int,
    budget: SignatureBudget,
) -> TrustVerdict:
    verdict = _check_x5c(chain, anchors, now=now, allow_sha1=allow_sha1, min_rsa_bits=min_rsa_bits, budget=budget)
    if verdict is not None:
        return verdict
    try:
        if anchors.store is None:
            raise VerificationError("no configured anchor can issue certificates (cA false or no keyCertSign)")
        issuers = [reading.cert for reading in chain[1:]]
        issuers += anchors.helpers
        path = tuple(anchors.verifier(now).verify(chain[0].cert, issuers).chain)
    except VerificationError as exc:
        helpers = trust._intermediate_readings()
        return walk(
            chain, anchors.table, helpers, now, allow_sha1, min_rsa_bits, budget=budget, library_error=str(exc)
        )
    # The x5c's own issuers were checked before (_check_x5c); what the library added (helper intermediates, the
    # anchor) is checked here, with the key sizes read once per trust store.
    weak = _weak_added_issuer(path, anchors.rsa_bits, min_rsa_bits)
    if weak:
        return refuse(Code.TRUST_CHAIN_WEAK_SIGNATURE, weak)
    return TrustVerdict(True, None, f"chains to {anchors.name_of(path[-1])}", path)


def _weak_added_issuer(path: tuple[x509.Certificate, ...], rsa_bits: dict[int, int], min_rsa_bits: int) -> str | None:
    # The library's path holds the very objects it was handed (ClientVerifier.verify returns them): the x5c's own
    # certificates, checked by _check_x5c, and the anchors and helpers whose key sizes rsa_bits has.
    for cert in path[1:]:
        bits = rsa_bits.get(id(cert))
        if bits is not None and 0 < bits < min_rsa_bits:
            return f"{cert.subject.rfc4514_string()} signs with a {bits}-bit RSA key (< {min_rsa_bits})"
    return None


def _check_x5c(
    chain: tuple[ParsedCertificate, ...],
    anchors: AnchorSet,
    *,
    now: datetime,
    allow_sha1: bool,
    min_rsa_bits: int,
    budget: SignatureBudget,
) -> TrustVerdict | None:
    """The x5c on its own, so each defect gets its precise code before any path is built. (Runs on every
    verification of every x5c format: messages are only formatted for a defect.)"""
    for index, reading in enumerate(chain):
        if not reading.not_before <= now <= reading.not_after:
            return validity(reading, now, f"x5c[{index}]")
    # FIDO Resp-5 P-3: "a trust anchor may be the attestation certificate itself" — nothing left to chain.
    if chain[0].der in anchors.table.ders:
        return TrustVerdict(True, None, "the attestation certificate is itself a trust anchor", (chain[0].cert,))
    for index in range(1, len(chain)):
        # FIDO Resp-5 F-10: x5c must not carry a root; the anchor comes from the trust store, never from x5c.
        if budget.self_signed(chain[index]):
            return refuse(Code.TRUST_CHAIN_ROOT_INCLUDED, f"x5c[{index}] is a self-signed root")
    for index in range(1, len(chain)):
        # #sctn-packed-attestation: x5c is "attestnCert followed by its certificate chain": each one named as the
        # issuer of the one before. Names only here; the signatures are the library's (or the walk's) job.
        if not chain[index - 1].issued_by_name(chain[index]):
            return refuse(Code.TRUST_CHAIN_INVALID, f"x5c[{index}] is not the issuer of x5c[{index - 1}]")
    for index, reading in enumerate(chain):
        problem = _ca_flags_problem(reading, index)
        if problem:
            return refuse(Code.TRUST_CHAIN_INVALID, problem)
    for index, reading in enumerate(chain):
        issuer = chain[index + 1] if index + 1 < len(chain) else None
        weak = weak_signature(reading, issuer, f"x5c[{index}]", allow_sha1, min_rsa_bits)
        if weak:
            return refuse(Code.TRUST_CHAIN_WEAK_SIGNATURE, weak)
    return None


def _ca_flags_problem(reading: ParsedCertificate, index: int) -> str | None:
    """RFC 5280 §4.2.1.9 and §4.2.1.3: an issuer is a CA and, with keyUsage present, asserts keyCertSign; the
    attestation certificate is not a CA. (The library is configured without these checks: see trust_anchors.CA_POLICY.)"""
    try:
        constraints = certs.basic_constraints(reading, index=index)
        cert_sign = certs.key_usage_allows_cert_sign(reading, index=index) if index else None
    except CodedError as exc:
        return f"x5c[{index}]: {exc.message}"
    is_ca = constraints is not None and constraints.ca
    if index == 0 and is_ca:
        return "x5c[0], the attestation certificate, has basicConstraints cA true"
    if index > 0 and not is_ca:
        return f"x5c[{index}] issues x5c[{index - 1}] but is not a CA"
    if cert_sign is False:
        return f"x5c[{index}] keyUsage lacks keyCertSign"
    return None
