"""An anchor set prepared once per trust store for verifier/trust.py: the anchors' readings, the cryptography Store
and extension policies, and a ClientVerifier per second.

The library runs without validator callbacks (a call back into Python for every certificate of every
verification): what they would check is checked once per trust store here (`can_issue`) and for the x5c by
trust._check_x5c before the library runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import MappingProxyType

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.verification import ClientVerifier, Criticality, ExtensionPolicy, PolicyBuilder, Store

from . import certs
from .cert_der import ParsedCertificate, parse_certificate
from .errors import VerificationError as CodedError
from .trust_walk import MAX_DEPTH, Anchors


def _attestation_policy(base: ExtensionPolicy) -> ExtensionPolicy:
    # No SAN, EKU or keyUsage requirement (attestation certificates are not TLS clients); any criticality
    # (FIDO Resp-5 P-4: a root with a critical basicConstraints is fine).
    agnostic = Criticality.AGNOSTIC
    for extension_type in (x509.ExtendedKeyUsage, x509.SubjectAlternativeName, x509.CertificatePolicies):
        base = base.may_be_present(extension_type, agnostic, None)
    return base


# No validator callbacks: what they would check (an issuer is a CA whose keyUsage, if any, allows keyCertSign; the
# attestation certificate is not a CA) is checked without calling back into Python for every certificate of every
# verification: for anchors and helper intermediates once per trust store (`can_issue`: only those that can issue
# are handed to the library), for the x5c in trust._check_x5c before the library runs.
CA_POLICY = _attestation_policy(
    ExtensionPolicy.permit_all()
    .require_present(x509.BasicConstraints, Criticality.AGNOSTIC, None)
    .may_be_present(x509.KeyUsage, Criticality.AGNOSTIC, None)
)
EE_POLICY = _attestation_policy(
    ExtensionPolicy.permit_all()
    .may_be_present(x509.BasicConstraints, Criticality.AGNOSTIC, None)
    .may_be_present(x509.KeyUsage, Criticality.AGNOSTIC, None)
)


def can_issue(reading: ParsedCertificate) -> bool:
    """RFC 5280 §4.2.1.9 and §4.2.1.3: basicConstraints cA true, and keyCertSign if keyUsage is present. A
    certificate without basicConstraints is left to the library (the CA policy requires the extension) and then
    to the explicit walk (v1 anchors)."""
    try:
        constraints = certs.basic_constraints(reading)
        return (constraints is None or constraints.ca) and certs.key_usage_allows_cert_sign(reading) is not False
    except CodedError:
        return False


def _rsa_bits(cert: x509.Certificate) -> int:
    key = cert.public_key()
    return key.key_size if isinstance(key, rsa.RSAPublicKey) else 0


_ONE_SECOND = timedelta(seconds=1)


class AnchorSet:
    """An anchor set prepared once per trust store: readings, a cryptography Store, and a verifier per instant.

    The extension policies and the Store are fixed by the trust configuration; only the validation time changes
    between verifications, so a ClientVerifier is built from the prepared parts once per second (`verifier`)."""

    def __init__(self, anchors: tuple[x509.Certificate, ...], helpers: tuple[ParsedCertificate, ...]) -> None:
        readings = tuple(parse_certificate(a) for a in anchors)
        by_subject: dict[x509.Name, tuple[ParsedCertificate, ...]] = {}
        for reading in readings:
            by_subject[reading.subject] = (*by_subject.get(reading.subject, ()), reading)
        self.certs = anchors
        self.table = Anchors(readings, frozenset(r.der for r in readings), MappingProxyType(by_subject))
        # The library is handed only the anchors and helper intermediates that can issue (`can_issue`); the
        # others stay in `table` and the helpers' readings, where the explicit walk names why they cannot.
        issuers = [r.cert for r in readings if can_issue(r)]
        self.store = Store(issuers) if issuers else None
        self.helpers = [r.cert for r in helpers if can_issue(r)]
        # What the library adds to a path (an anchor, a helper) is checked against the policy's RSA floor: the
        # key sizes are read here, once (0 for a key that is not RSA).
        self.rsa_bits = {id(c): _rsa_bits(c) for c in (*anchors, *(r.cert for r in helpers))}
        # cryptography hands back the very anchor object it was given: its name is written once, here.
        self.names = {id(r.cert): r.subject.rfc4514_string() for r in readings}
        self._verifier: tuple[datetime, datetime, ClientVerifier] | None = None

    def verifier(self, now: datetime) -> ClientVerifier:
        # cryptography reads the validation time to the whole second (X.509 times have no finer resolution), so
        # the verifier built for one second serves every verification in that second: one entry, replaced whole.
        # The entry keeps its second's bounds, so finding it takes two comparisons and builds no datetime.
        built = self._verifier
        if built is not None and built[0] <= now < built[1]:
            return built[2]
        second = now.replace(microsecond=0)
        builder = PolicyBuilder().store(self.store).time(second).max_chain_depth(MAX_DEPTH)
        verifier = builder.extension_policies(ca_policy=CA_POLICY, ee_policy=EE_POLICY).build_client_verifier()
        self._verifier = (second, second + _ONE_SECOND, verifier)
        return verifier

    def name_of(self, anchor: x509.Certificate) -> str:
        return self.names.get(id(anchor)) or anchor.subject.rfc4514_string()
