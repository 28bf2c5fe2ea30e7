"""The pieces of chain validation shared by verifier/trust.py's checks and its explicit path walk, and the walk.

The walk runs only after cryptography.x509.verification refused a path (verifier/trust.py says when and why). It
re-checks signatures, validity, CA flags, pathLen, keyUsage and critical extensions, records each web-PKI rule it
knowingly does not apply, and trusts the path only if at least one such recorded difference explains the library's
refusal. Every certificate is a `ParsedCertificate` (read once per verification, or once per trust store for
anchors and helper intermediates); every signature check is counted against one budget.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from . import certs
from .cert_der import ParsedCertificate, RawExtension
from .errors import Code
from .errors import VerificationError as CodedError

MAX_DEPTH = 8
#: Signature checks fidoconf itself makes per chain (self-signed tests and the explicit walk). A valid path of
#: MAX_DEPTH certificates needs fewer than this; same-named candidate issuers are what would exceed it.
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


class TrustVerdict(NamedTuple):
    trusted: bool
    code: Code | None
    reason: str
    #: Leaf to anchor, inclusive, when trusted.
    path: tuple[x509.Certificate, ...] = ()


def refuse(code: Code, reason: str) -> TrustVerdict:
    return TrustVerdict(False, code, reason)


class BudgetExhausted(Exception):
    pass


class SignatureBudget:
    """Counts the signature checks of one validate_chain call and stops it at MAX_SIGNATURE_CHECKS."""

    def __init__(self, limit: int = MAX_SIGNATURE_CHECKS) -> None:
        self.left = limit

    def signed_by(self, child: ParsedCertificate, issuer: ParsedCertificate) -> bool:
        if self.left <= 0:
            raise BudgetExhausted
        self.left -= 1
        return certs.is_signed_by(child.cert, issuer.cert)

    def self_signed(self, cert: ParsedCertificate) -> bool:
        return cert.is_self_issued() and self.signed_by(cert, cert)


@dataclass(frozen=True, slots=True)
class Anchors:
    """One set of trust anchors, read once per trust store: what the hot path and the walk look up."""

    readings: tuple[ParsedCertificate, ...]
    ders: frozenset[bytes]
    by_subject: Mapping[x509.Name, tuple[ParsedCertificate, ...]]


def validity(cert: ParsedCertificate, now: datetime, where: str) -> TrustVerdict | None:
    if now < cert.not_before:
        return refuse(Code.TRUST_CHAIN_NOT_YET_VALID, f"{where} is valid from {cert.not_before:%Y-%m-%dT%H:%M:%SZ}")
    if now > cert.not_after:
        return refuse(Code.TRUST_CHAIN_EXPIRED, f"{where} expired {cert.not_after:%Y-%m-%dT%H:%M:%SZ}")
    return None


def weak_signature(
    reading: ParsedCertificate, issuer: ParsedCertificate | None, where: str, allow_sha1: bool, min_rsa_bits: int
) -> str | None:
    oid = reading.signature_oid
    if oid in _BROKEN_SIGNATURES or (oid in _SHA1_SIGNATURES and not allow_sha1):
        algorithm = "SHA-1" if oid in _SHA1_SIGNATURES else "MD2/MD5"
        return f"{where} is signed with {algorithm} ({oid}); policy allow_sha1={allow_sha1}"
    if issuer is None or not issuer.has_rsa_key():  # only an RSA issuer key has a size floor to miss
        return None
    return weak_issuer_key((reading.cert, issuer.cert), min_rsa_bits)


def weak_issuer_key(path: Sequence[x509.Certificate], min_rsa_bits: int) -> str | None:
    for issuer in path[1:]:
        key = issuer.public_key()
        if isinstance(key, rsa.RSAPublicKey) and key.key_size < min_rsa_bits:
            return f"{issuer.subject.rfc4514_string()} signs with a {key.key_size}-bit RSA key (< {min_rsa_bits})"
    return None


# --- the explicit walk (only after the library refused) ---------------------------------------------------------


def walk(
    chain: tuple[ParsedCertificate, ...],
    anchors: Anchors,
    intermediates: tuple[ParsedCertificate, ...],
    now: datetime,
    allow_sha1: bool,
    min_rsa_bits: int,
    *,
    budget: SignatureBudget,
    library_error: str,
) -> TrustVerdict:
    path = list(chain[:1])
    extra = list(chain[1:])
    while path[-1].der not in anchors.ders:
        last = path[-1]
        named_anchors = anchors.by_subject.get(last.issuer, ())
        issued = [a for a in named_anchors if budget.signed_by(last, a)]
        if issued:
            # Several anchors may share subject and key (Google's RSA attestation roots): prefer one valid now.
            path.append(next((a for a in issued if validity(a, now, "") is None), issued[0]))
            break
        on_path = {c.der for c in path}
        named = [c for c in (*extra, *intermediates) if c.der not in on_path and c.subject == last.issuer]
        helpers = [c for c in named if budget.signed_by(last, c)]
        if helpers and len(path) < MAX_DEPTH:
            path.append(helpers[0])
            continue
        issuer = last.issuer.rfc4514_string()
        if named_anchors or named:
            return refuse(Code.TRUST_CHAIN_INVALID, f"no certificate named {issuer} verifies the signature on it")
        return refuse(Code.TRUST_CHAIN_UNTRUSTED, f"no configured anchor issues {issuer}")
    tolerated: list[str] = []
    for position in range(len(path)):
        problem = _walk_check(path, position, now, allow_sha1, min_rsa_bits, tolerated)
        if problem:
            return problem
    if not tolerated:
        # The walk found nothing the library would object to, so its refusal has a reason the walk does not model.
        return refuse(Code.TRUST_CHAIN_INVALID, f"cryptography refused the path: {library_error}")
    anchor = path[-1].subject.rfc4514_string()
    reason = f"chains to {anchor} by explicit walk ({'; '.join(tolerated)}); cryptography: {library_error}"
    return TrustVerdict(True, None, reason, tuple(c.cert for c in path))


def _walk_check(
    path: list[ParsedCertificate],
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
    verdict = validity(cert, now, f"{where} ({name})")
    if verdict:
        return verdict
    try:
        extensions = certs.raw_extensions(cert, index=position)
        constraints = certs.basic_constraints(cert, index=position)
        cert_sign = certs.key_usage_allows_cert_sign(cert, index=position)
    except CodedError as exc:
        return refuse(Code.TRUST_CHAIN_INVALID, f"{where}: {exc.message}")
    if any(e.oid in _CONSTRAINTS for e in extensions):
        return refuse(Code.TRUST_CHAIN_INVALID, f"{where} carries name/policy constraints the explicit walk cannot apply")
    if position > 0:
        # An issuer: RFC 5280 §4.2.1.9 (cA, pathLenConstraint) and §4.2.1.3 (keyCertSign).
        if constraints is None and is_anchor and cert.cert.version is not x509.Version.v3:
            tolerated.append(f"v1 trust anchor {name} without basicConstraints")
        elif constraints is None or not constraints.ca:
            return refuse(Code.TRUST_CHAIN_INVALID, f"{where} ({name}) issues a certificate but is not a CA")
        elif constraints.path_length is not None and position - 1 > constraints.path_length:
            return refuse(
                Code.TRUST_CHAIN_INVALID, f"{where} ({name}) pathLenConstraint {constraints.path_length} exceeded"
            )
        if cert_sign is False:
            return refuse(Code.TRUST_CHAIN_INVALID, f"{where} ({name}) keyUsage lacks keyCertSign")
    if is_anchor:
        return None
    weak = weak_signature(cert, path[position + 1], where, allow_sha1, min_rsa_bits)
    if weak:
        return refuse(Code.TRUST_CHAIN_WEAK_SIGNATURE, weak)
    return _walk_tolerances(cert, path[position + 1].cert, where, extensions, tolerated)


def _walk_tolerances(
    reading: ParsedCertificate,
    issuer: x509.Certificate,
    where: str,
    extensions: tuple[RawExtension, ...],
    tolerated: list[str],
) -> TrustVerdict | None:
    """Record each web-PKI rule this non-anchor certificate breaks and the walk deliberately does not apply."""
    cert = reading.cert
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
        return refuse(Code.TRUST_CHAIN_INVALID, f"{where} has critical extension(s) {unhandled} that cannot be processed")
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
    if certs.validity_uses_generalized_time_before_2050(reading):
        tolerated.append(f"{where} encodes a pre-2050 date as GeneralizedTime")
    # RFC 5280 §4.1.2.2: "Certificate users SHOULD be prepared to gracefully handle such certificates."
    if cert.serial_number <= 0 or cert.serial_number.bit_length() > 159:
        tolerated.append(f"{where} has a serial number outside RFC 5280's positive 20-octet range")
    return None
