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
  3. cryptography.x509.verification builds and validates the path (attestation extension policies, below);
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
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.verification import Criticality, ExtensionPolicy, PolicyBuilder, Store, VerificationError

from . import certs
from .errors import Code
from .errors import VerificationError as CodedError
from .keys import public_key_problem

MAX_DEPTH = 8
#: Longest x5c assessed (attestation certificate included). Real attestation chains carry 1 to 4 certificates;
#: each further one costs signature checks an attacker chooses (issue 11).
MAX_X5C_LENGTH = MAX_DEPTH
#: Signature checks fidoconf itself makes per chain (self-signed tests and the explicit walk). A valid path of
#: MAX_X5C_LENGTH needs fewer than this; same-named candidate issuers are what would exceed it.
MAX_SIGNATURE_CHECKS = 3 * MAX_DEPTH

_SHA1_SIGNATURES = certs.SHA1_SIGNATURE_OIDS
_BROKEN_SIGNATURES = frozenset({"1.2.840.113549.1.1.2", "1.2.840.113549.1.1.4"})  # md2, md5: never acceptable
#: What cryptography's verifier accepts (RSA PKCS#1 v1.5 / PSS with SHA-2, ECDSA with SHA-2, Ed25519).
_WEBPKI_SIGNATURES = frozenset({"1.2.840.113549.1.1.10", "1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12"}) | frozenset(
    {"1.2.840.113549.1.1.13", "1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4", "1.3.101.112"}
)
_WEBPKI_CURVES = frozenset({"secp256r1", "secp384r1", "secp521r1"})
#: Critical extensions a path certificate may carry (TPM AIK certificates mark SAN and certificatePolicies critical).
_CRITICAL_ALLOWED = frozenset({"2.5.29.19", "2.5.29.15", "2.5.29.37", "2.5.29.17", "2.5.29.32"})
#: The walk does not evaluate name or policy constraints, so it refuses paths that carry them.
_CONSTRAINTS = frozenset({"2.5.29.30", "2.5.29.33", "2.5.29.36", "2.5.29.54"})


def _ca_basic_constraints(_policy: Any, _cert: x509.Certificate, value: x509.BasicConstraints) -> None:
    if not value.ca:
        raise ValueError("issuer basicConstraints has cA false")


def _ca_key_usage(_policy: Any, _cert: x509.Certificate, value: x509.KeyUsage | None) -> None:
    # RFC 5280 §4.2.1.3: with keyUsage present, keyCertSign must be set to verify certificate signatures.
    if value is not None and not value.key_cert_sign:
        raise ValueError("issuer keyUsage lacks keyCertSign")


def _ee_basic_constraints(_policy: Any, _cert: x509.Certificate, value: x509.BasicConstraints | None) -> None:
    if value is not None and value.ca:
        raise ValueError("attestation certificate has cA true")


def _attestation_policy(base: ExtensionPolicy) -> ExtensionPolicy:
    # No SAN, EKU or keyUsage requirement (attestation certificates are not TLS clients); any criticality
    # (FIDO Resp-5 P-4: a root with a critical basicConstraints is fine).
    agnostic = Criticality.AGNOSTIC
    for extension_type in (x509.ExtendedKeyUsage, x509.SubjectAlternativeName, x509.CertificatePolicies):
        base = base.may_be_present(extension_type, agnostic, None)
    return base


_CA_POLICY = _attestation_policy(
    ExtensionPolicy.permit_all()
    .require_present(x509.BasicConstraints, Criticality.AGNOSTIC, _ca_basic_constraints)
    .may_be_present(x509.KeyUsage, Criticality.AGNOSTIC, _ca_key_usage)
)
_EE_POLICY = _attestation_policy(
    ExtensionPolicy.permit_all()
    .may_be_present(x509.BasicConstraints, Criticality.AGNOSTIC, _ee_basic_constraints)
    .may_be_present(x509.KeyUsage, Criticality.AGNOSTIC, None)
)


@dataclass(frozen=True, slots=True)
class TrustVerdict:
    trusted: bool
    code: Code | None
    reason: str
    #: Leaf to anchor, inclusive, when trusted.
    path: tuple[x509.Certificate, ...] = ()


def _refuse(code: Code, reason: str) -> TrustVerdict:
    return TrustVerdict(False, code, reason)


class _BudgetExhausted(Exception):
    pass


class _SignatureBudget:
    """Counts the signature checks of one validate_chain call and stops it at MAX_SIGNATURE_CHECKS."""

    def __init__(self, limit: int = MAX_SIGNATURE_CHECKS) -> None:
        self.left = limit

    def signed_by(self, child: x509.Certificate, issuer: x509.Certificate) -> bool:
        if self.left <= 0:
            raise _BudgetExhausted
        self.left -= 1
        return certs.is_signed_by(child, issuer)

    def self_signed(self, cert: x509.Certificate) -> bool:
        return cert.issuer == cert.subject and self.signed_by(cert, cert)


@dataclass(frozen=True, slots=True)
class _AnchorSet:
    certs: tuple[x509.Certificate, ...]
    store: Store | None
    ders: frozenset[bytes]
    by_subject: Mapping[x509.Name, tuple[x509.Certificate, ...]]

    @classmethod
    def of(cls, anchors: tuple[x509.Certificate, ...]) -> _AnchorSet:
        by_subject: dict[x509.Name, tuple[x509.Certificate, ...]] = {}
        for anchor in anchors:
            by_subject[anchor.subject] = (*by_subject.get(anchor.subject, ()), anchor)
        return cls(anchors, Store(list(anchors)) if anchors else None, frozenset(map(_der, anchors)), by_subject)


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
    # One cryptography Store per anchor set, built on first use: the verification hot path reuses it.
    _sets: dict[bytes | None, _AnchorSet] = field(default_factory=dict, init=False, repr=False, compare=False)

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

    def _anchor_set(self, aaguid: bytes | None) -> _AnchorSet:
        key = bytes(aaguid) if aaguid is not None and self.anchors_by_aaguid.get(bytes(aaguid)) else None
        found = self._sets.get(key)
        if found is None:
            found = self._sets[key] = _AnchorSet.of(self.anchors if key is None else self.anchors_by_aaguid[key])
        return found


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
    never from x5c.
    """
    chain = tuple(chain)
    if not chain:
        return _refuse(Code.TRUST_CHAIN_INVALID, "empty certificate chain")
    too_long = _chain_length_limit(chain)
    if too_long:
        return too_long
    anchors = trust._anchor_set(aaguid)
    if not anchors.certs:
        scope = f" for AAGUID {bytes(aaguid).hex()}" if aaguid else ""
        return _refuse(Code.TRUST_ANCHOR_MISSING, f"no trust anchor configured{scope}; the chain was not assessed")
    if allow_root_in_x5c is None:
        allow_root_in_x5c = bool(getattr(policy, "allow_root_in_x5c", False))
    now = clock()
    allow_sha1 = bool(getattr(policy, "allow_sha1", False))
    min_rsa_bits = int(getattr(policy, "min_rsa_bits", 2048))
    budget = _SignatureBudget()
    try:
        weak = _key_bounds(chain, min_rsa_bits)
        if weak:
            return weak
        if allow_root_in_x5c and len(chain) > 1 and budget.self_signed(chain[-1]):
            chain = chain[:-1]
        return _validate(chain, trust, anchors, now, allow_sha1, min_rsa_bits, budget)
    except _BudgetExhausted:
        return _refuse(
            Code.TRUST_CHAIN_TOO_COSTLY, f"more than {MAX_SIGNATURE_CHECKS} signature checks to assess this chain"
        )
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        # cryptography parses some fields (keys, names of certificates it was not handed by load_x5c) lazily.
        return _refuse(Code.TRUST_CHAIN_INVALID, f"a certificate on the path cannot be parsed: {exc}")


def _chain_length_limit(chain: tuple[x509.Certificate, ...]) -> TrustVerdict | None:
    # Before anything else: the work of every later step grows with the length an attacker chose.
    if len(chain) > MAX_X5C_LENGTH:
        return _refuse(
            Code.TRUST_CHAIN_TOO_LONG, f"x5c has {len(chain)} certificates; at most {MAX_X5C_LENGTH} are assessed"
        )
    return None


def _key_bounds(chain: tuple[x509.Certificate, ...], min_rsa_bits: int) -> TrustVerdict | None:
    """Every x5c key is a key (RSA: odd modulus, odd exponent >= 3) of bounded verification cost, checked before
    any signature is; the attestation key meets the policy's RSA floor like every other key the verifier trusts."""
    for index, cert in enumerate(chain):
        key = cert.public_key()
        problem = public_key_problem(key)
        if problem:
            return _refuse(Code.TRUST_CHAIN_INVALID, f"x5c[{index}] public key: {problem}")
    leaf_key = chain[0].public_key()
    if isinstance(leaf_key, rsa.RSAPublicKey) and leaf_key.key_size < min_rsa_bits:
        return _refuse(
            Code.TRUST_CHAIN_WEAK_KEY, f"x5c[0] has a {leaf_key.key_size}-bit RSA key (policy floor {min_rsa_bits})"
        )
    return None


def _validate(
    chain: tuple[x509.Certificate, ...],
    trust: TrustStore,
    anchors: _AnchorSet,
    now: datetime,
    allow_sha1: bool,
    min_rsa_bits: int,
    budget: _SignatureBudget,
) -> TrustVerdict:
    verdict = _check_x5c(chain, anchors, now=now, allow_sha1=allow_sha1, min_rsa_bits=min_rsa_bits, budget=budget)
    if verdict is not None:
        return verdict
    builder = PolicyBuilder().store(anchors.store).time(now).max_chain_depth(MAX_DEPTH)
    verifier = builder.extension_policies(ca_policy=_CA_POLICY, ee_policy=_EE_POLICY).build_client_verifier()
    try:
        path = tuple(verifier.verify(chain[0], [*chain[1:], *trust.intermediates]).chain)
    except VerificationError as exc:
        return _walk(
            chain, anchors, trust.intermediates, now, allow_sha1, min_rsa_bits, budget=budget, library_error=str(exc)
        )
    weak = _weak_issuer_key(path, min_rsa_bits)
    if weak:
        return _refuse(Code.TRUST_CHAIN_WEAK_SIGNATURE, weak)
    return TrustVerdict(True, None, f"chains to {path[-1].subject.rfc4514_string()}", path)


def _check_x5c(
    chain: tuple[x509.Certificate, ...],
    anchors: _AnchorSet,
    *,
    now: datetime,
    allow_sha1: bool,
    min_rsa_bits: int,
    budget: _SignatureBudget,
) -> TrustVerdict | None:
    """The x5c on its own, so each defect gets its precise code before any path is built."""
    for index, cert in enumerate(chain):
        verdict = _validity(cert, now, f"x5c[{index}]")
        if verdict:
            return verdict
    # FIDO Resp-5 P-3: "a trust anchor may be the attestation certificate itself" — nothing left to chain.
    if _der(chain[0]) in anchors.ders:
        return TrustVerdict(True, None, "the attestation certificate is itself a trust anchor", (chain[0],))
    for index, cert in enumerate(chain[1:], start=1):
        # FIDO Resp-5 F-10: x5c must not carry a root; the anchor comes from the trust store, never from x5c.
        if budget.self_signed(cert):
            return _refuse(Code.TRUST_CHAIN_ROOT_INCLUDED, f"x5c[{index}] is a self-signed root")
    for index in range(len(chain) - 1):
        # #sctn-packed-attestation: x5c is "attestnCert followed by its certificate chain": each one named as the
        # issuer of the one before. Names only here; the signatures are the library's (or the walk's) job.
        if chain[index].issuer != chain[index + 1].subject:
            return _refuse(Code.TRUST_CHAIN_INVALID, f"x5c[{index + 1}] is not the issuer of x5c[{index}]")
    for index, cert in enumerate(chain):
        try:
            constraints = certs.basic_constraints(cert, index=index)
        except CodedError as exc:
            return _refuse(Code.TRUST_CHAIN_INVALID, f"x5c[{index}]: {exc.message}")
        is_ca = constraints is not None and constraints.ca
        if index == 0 and is_ca:
            return _refuse(
                Code.TRUST_CHAIN_INVALID, "x5c[0], the attestation certificate, has basicConstraints cA true"
            )
        if index > 0 and not is_ca:
            return _refuse(Code.TRUST_CHAIN_INVALID, f"x5c[{index}] issues x5c[{index - 1}] but is not a CA")
    for index in range(len(chain)):
        issuer = chain[index + 1] if index + 1 < len(chain) else None
        weak = _weak_signature(chain[index], issuer, f"x5c[{index}]", allow_sha1, min_rsa_bits)
        if weak:
            return _refuse(Code.TRUST_CHAIN_WEAK_SIGNATURE, weak)
    return None


def _validity(cert: x509.Certificate, now: datetime, where: str) -> TrustVerdict | None:
    if now < cert.not_valid_before_utc:
        return _refuse(
            Code.TRUST_CHAIN_NOT_YET_VALID, f"{where} is valid from {cert.not_valid_before_utc:%Y-%m-%dT%H:%M:%SZ}"
        )
    if now > cert.not_valid_after_utc:
        return _refuse(Code.TRUST_CHAIN_EXPIRED, f"{where} expired {cert.not_valid_after_utc:%Y-%m-%dT%H:%M:%SZ}")
    return None


def _weak_signature(
    cert: x509.Certificate, issuer: x509.Certificate | None, where: str, allow_sha1: bool, min_rsa_bits: int
) -> str | None:
    oid = cert.signature_algorithm_oid.dotted_string
    if oid in _BROKEN_SIGNATURES or (oid in _SHA1_SIGNATURES and not allow_sha1):
        algorithm = "SHA-1" if oid in _SHA1_SIGNATURES else "MD2/MD5"
        return f"{where} is signed with {algorithm} ({oid}); policy allow_sha1={allow_sha1}"
    return _weak_issuer_key((cert, issuer), min_rsa_bits) if issuer is not None else None


def _weak_issuer_key(path: Sequence[x509.Certificate], min_rsa_bits: int) -> str | None:
    for issuer in path[1:]:
        key = issuer.public_key()
        if isinstance(key, rsa.RSAPublicKey) and key.key_size < min_rsa_bits:
            return f"{issuer.subject.rfc4514_string()} signs with a {key.key_size}-bit RSA key (< {min_rsa_bits})"
    return None


# --- the explicit walk (only after the library refused) ---------------------------------------------------------


def _walk(
    chain: tuple[x509.Certificate, ...],
    anchors: _AnchorSet,
    intermediates: tuple[x509.Certificate, ...],
    now: datetime,
    allow_sha1: bool,
    min_rsa_bits: int,
    *,
    budget: _SignatureBudget,
    library_error: str,
) -> TrustVerdict:
    path = list(chain[:1])
    extra = list(chain[1:])
    while _der(path[-1]) not in anchors.ders:
        last = path[-1]
        named_anchors = anchors.by_subject.get(last.issuer, ())
        issued = [a for a in named_anchors if budget.signed_by(last, a)]
        if issued:
            # Several anchors may share subject and key (Google's RSA attestation roots): prefer one valid now.
            path.append(next((a for a in issued if _validity(a, now, "") is None), issued[0]))
            break
        named = [c for c in (*extra, *intermediates) if c not in path and c.subject == last.issuer]
        helpers = [c for c in named if budget.signed_by(last, c)]
        if helpers and len(path) < MAX_DEPTH:
            path.append(helpers[0])
            continue
        issuer = last.issuer.rfc4514_string()
        if named_anchors or named:
            return _refuse(Code.TRUST_CHAIN_INVALID, f"no certificate named {issuer} verifies the signature on it")
        return _refuse(Code.TRUST_CHAIN_UNTRUSTED, f"no configured anchor issues {issuer}")
    tolerated: list[str] = []
    for position in range(len(path)):
        problem = _walk_check(path, position, now, allow_sha1, min_rsa_bits, tolerated)
        if problem:
            return problem
    if not tolerated:
        # The walk found nothing the library would object to, so its refusal has a reason the walk does not model.
        return _refuse(Code.TRUST_CHAIN_INVALID, f"cryptography refused the path: {library_error}")
    anchor = path[-1].subject.rfc4514_string()
    reason = f"chains to {anchor} by explicit walk ({'; '.join(tolerated)}); cryptography: {library_error}"
    return TrustVerdict(True, None, reason, tuple(path))


def _walk_check(
    path: list[x509.Certificate],
    position: int,
    now: datetime,
    allow_sha1: bool,
    min_rsa_bits: int,
    tolerated: list[str],
) -> TrustVerdict | None:
    cert = path[position]
    is_anchor = position == len(path) - 1
    where = "the anchor" if is_anchor else f"path[{position}]"
    name = cert.subject.rfc4514_string()
    verdict = _validity(cert, now, f"{where} ({name})")
    if verdict:
        return verdict
    try:
        extensions = certs.raw_extensions(cert, index=position)
        constraints = certs.basic_constraints(cert, index=position)
        cert_sign = certs.key_usage_allows_cert_sign(cert, index=position)
    except CodedError as exc:
        return _refuse(Code.TRUST_CHAIN_INVALID, f"{where}: {exc.message}")
    if any(e.oid in _CONSTRAINTS for e in extensions):
        return _refuse(
            Code.TRUST_CHAIN_INVALID, f"{where} carries name/policy constraints the explicit walk cannot apply"
        )
    if position > 0:
        # An issuer: RFC 5280 §4.2.1.9 (cA, pathLenConstraint) and §4.2.1.3 (keyCertSign).
        if constraints is None and is_anchor and cert.version is not x509.Version.v3:
            tolerated.append(f"v1 trust anchor {name} without basicConstraints")
        elif constraints is None or not constraints.ca:
            return _refuse(Code.TRUST_CHAIN_INVALID, f"{where} ({name}) issues a certificate but is not a CA")
        elif constraints.path_length is not None and position - 1 > constraints.path_length:
            return _refuse(
                Code.TRUST_CHAIN_INVALID, f"{where} ({name}) pathLenConstraint {constraints.path_length} exceeded"
            )
        if cert_sign is False:
            return _refuse(Code.TRUST_CHAIN_INVALID, f"{where} ({name}) keyUsage lacks keyCertSign")
    if is_anchor:
        return None
    weak = _weak_signature(cert, path[position + 1], where, allow_sha1, min_rsa_bits)
    if weak:
        return _refuse(Code.TRUST_CHAIN_WEAK_SIGNATURE, weak)
    return _walk_tolerances(cert, path[position + 1], where, extensions, tolerated)


def _walk_tolerances(
    cert: x509.Certificate,
    issuer: x509.Certificate,
    where: str,
    extensions: tuple[certs.RawExtension, ...],
    tolerated: list[str],
) -> TrustVerdict | None:
    """Record each web-PKI rule this non-anchor certificate breaks and the walk deliberately does not apply."""
    try:
        cert.extensions  # noqa: B018 - only whether cryptography can parse them matters here
        handled = _CRITICAL_ALLOWED
    except ValueError:
        # cryptography cannot parse them; the walk reads basicConstraints and keyUsage itself and nothing else.
        handled = frozenset({certs.OID_BASIC_CONSTRAINTS, certs.OID_KEY_USAGE})
        tolerated.append(f"{where} has extensions cryptography cannot parse")
    unhandled = [e.oid for e in extensions if e.critical and e.oid not in handled]
    if unhandled:
        # RFC 5280 §4.2: a critical extension that cannot be processed makes the certificate unusable.
        return _refuse(
            Code.TRUST_CHAIN_INVALID, f"{where} has critical extension(s) {unhandled} that cannot be processed"
        )
    oid = cert.signature_algorithm_oid.dotted_string
    if oid in _SHA1_SIGNATURES:
        tolerated.append(f"{where} SHA-1 signature allowed by policy")
    elif oid not in _WEBPKI_SIGNATURES:
        tolerated.append(f"{where} signature algorithm {oid} is outside the web PKI set")
    key = issuer.public_key()
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
        tolerated.append(f"{where} signed by a {key.key_size}-bit RSA key")
    elif isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name not in _WEBPKI_CURVES:
        tolerated.append(f"{where} signed by a {key.curve.name} key")
    if cert.version is not x509.Version.v3:
        tolerated.append(f"{where} is an X.509 {cert.version.name} certificate")
    if certs.validity_uses_generalized_time_before_2050(cert):
        tolerated.append(f"{where} encodes a pre-2050 date as GeneralizedTime")
    # RFC 5280 §4.1.2.2: "Certificate users SHOULD be prepared to gracefully handle such certificates."
    if cert.serial_number <= 0 or cert.serial_number.bit_length() > 159:
        tolerated.append(f"{where} has a serial number outside RFC 5280's positive 20-octet range")
    return None
