"""Worst-case verification cost: adversarial shapes that fit the RP's request-size limit, each timed per
verification, so the bound (every shape <= 50 ms here) is measured rather than assumed.

Each shape is a packed registration (or its clientDataJSON) an attacker can send without any private key the
verifier trusts, made by the virtual authenticator (`make_credential`) with the shape's own keys and stage hooks. Every shape is refused, and `expected_code` is the code it must be refused with: the CI smoke
test (tests/test_bench_worst.py) runs each once and asserts the code, `fidoconf bench --worst-case` times it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from fidoconf.verifier import Policy, TrustStore, VerificationError, verify_registration
from fidoconf.verifier.encoding import b64url_encode
from fidoconf.verifier.errors import Code

from .authenticator.authenticator import make_credential
from .authenticator.keys import ALGS, SigningKey
from .authenticator.model import Build, Hook

RP_ID, ORIGIN = "worst.example", "https://worst.example"
#: Certificates valid around this moment; the shapes are verified at it.
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Shape:
    label: str
    credential: dict[str, Any]
    challenge: bytes
    trust: TrustStore
    expected_code: Code


@dataclass(frozen=True, slots=True)
class WorstRow:
    label: str
    code: str
    ms_per_verification: float


def verify_shape(shape: Shape, *, policy: Policy) -> Code | None:
    """The code `shape` is refused with (None if it verifies)."""
    try:
        verify_registration(
            shape.credential,
            expected_challenge=shape.challenge,
            expected_origin=ORIGIN,
            expected_rp_id=RP_ID,
            policy=policy,
            trust=shape.trust,
            clock=lambda: NOW,
        )
    except VerificationError as exc:
        return exc.code
    return None


def measure_worst(shapes: Sequence[Shape], *, repeat: int = 5, policy: Policy | None = None) -> list[WorstRow]:
    """Best of `repeat` single verifications per shape (noisy shared machines: the minimum is the cost)."""
    policy = policy or Policy.preset("strict")
    rows = []
    for shape in shapes:
        code, best = None, float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            code = verify_shape(shape, policy=policy)
            best = min(best, time.perf_counter() - start)
        rows.append(WorstRow(shape.label, str(code), best * 1000))
    return rows


def worst_table(rows: Sequence[WorstRow], *, bound_ms: float = 50.0) -> str:
    lines = ["| adversarial shape | refused with | ms / verification | <= bound |", "|---|---|---|---|"]
    for row in rows:
        ok = "yes" if row.ms_per_verification <= bound_ms else "NO"
        lines.append(f"| {row.label} | {row.code} | {row.ms_per_verification:.2f} | {ok} |")
    return "\n".join(lines)


# --- the shapes --------------------------------------------------------------------------------------------------


def build_shapes(*, seed: str = "worst") -> list[Shape]:
    pki = WorstPki(seed)
    trust = TrustStore.from_certificates(anchors=[pki.root_cert])
    return [
        _x5c_shape(
            "x5c: 7 same-named CAs with 3072-bit RSA exponents",
            pki, trust, [pki.same_named_ca(i, big_exponent=True) for i in range(7)],
            Code.TRUST_CHAIN_INVALID,
        ),
        _x5c_shape(
            "x5c: 7 same-named CAs, none chaining",
            pki, trust, [pki.same_named_ca(i, big_exponent=False) for i in range(7)],
            Code.TRUST_CHAIN_INVALID,
        ),
        _x5c_shape("x5c: valid chain of 30 intermediates", pki, trust, pki.long_chain(30), Code.TRUST_CHAIN_TOO_LONG),
        _x5c_shape("x5c: 100 copies of one intermediate", pki, trust, pki.long_chain(1) * 100,
                   Code.TRUST_CHAIN_TOO_LONG),
        _client_data_shape("clientDataJSON: 20,000 members, one duplicate", pki, trust),
        _rsa_credential_shape("credential key: RSA with a 4096-bit exponent", pki, trust),
    ]


class WorstPki:
    def __init__(self, seed: str) -> None:
        self.seed = seed
        self.root_key = ec_key(f"{seed}/root")
        self.root_cert = cert("Worst Root", "Worst Root", self.root_key.public_key(), self.root_key, ca=True, serial=1)
        self._rsa: dict[int, rsa.RSAPrivateKey] = {}

    def rsa_key(self, index: int) -> rsa.RSAPrivateKey:
        # Made once per process: RSA key generation is the slow part of building the shapes, not of verifying.
        if index not in self._rsa:
            self._rsa[index] = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        return self._rsa[index]

    def same_named_ca(self, index: int, *, big_exponent: bool) -> x509.Certificate:
        """Subject and issuer "Same Name CA", signed by the other of two keys: every one is a candidate issuer of
        every other, none verifies (not even as self-signed), and all of them cost a signature check to rule out."""
        key, signer = self.rsa_key(index % 2), self.rsa_key(1 - index % 2)
        public = _big_exponent_public_key(key) if big_exponent else key.public_key()
        return cert("Same Name CA", "Same Name CA", public, signer, ca=True, serial=100 + index)

    def long_chain(self, length: int) -> list[x509.Certificate]:
        """A valid chain: root -> CA 1 -> ... -> CA `length`; returned issuer-last (x5c order, leaf excluded)."""
        chain, issuer_name, issuer_key = [], "Worst Root", self.root_key
        for index in range(1, length + 1):
            key = ec_key(f"{self.seed}/ca{index}")
            chain.append(cert(f"Chain CA {index}", issuer_name, key.public_key(), issuer_key, ca=True, serial=index + 1))
            issuer_name, issuer_key = f"Chain CA {index}", key
        return list(reversed(chain))

    def chain_key(self, cn: str) -> ec.EllipticCurvePrivateKey:
        return ec_key(f"{self.seed}/ca{cn.rsplit(' ', 1)[1]}")


def ec_key(label: str) -> ec.EllipticCurvePrivateKey:
    # Deterministic: a P-256 scalar from the label, so every run builds the same certificates.
    scalar = int.from_bytes(hashlib.sha256(label.encode()).digest(), "big") % (2**255) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def _big_exponent_public_key(key: rsa.RSAPrivateKey) -> rsa.RSAPublicKey:
    """Same modulus, an odd exponent as long as the modulus: verifying with it costs a private-key operation."""
    n = key.public_key().public_numbers().n
    e = (n >> 1) | 1
    return rsa.RSAPublicNumbers(e, n).public_key()


def cert(subject: str, issuer: str, public_key: Any, signing_key: Any, *, ca: bool, serial: int) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(NOW - timedelta(days=30))
        .not_valid_after(NOW + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(signing_key, hashes.SHA256())


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "AA"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fidoconf worst case"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Authenticator Attestation"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


@dataclass(frozen=True, slots=True)
class ShapeEdits:
    """The virtual authenticator's stage hooks that turn its packed credential into one adversarial shape (a
    `model.MutationLike`: a bench shape is not a catalogued defect, so it has no requirement or code of its own)."""

    hooks: Mapping[str, Hook]


def packed_shape(
    label: str, *, challenge: bytes, credential_key: SigningKey, variant: str = "packed-self", hooks: Mapping[str, Hook]
) -> dict[str, Any]:
    """A packed credential for RP_ID/ORIGIN made by the virtual authenticator (`make_credential`) with
    `credential_key`, edited at its stages by `hooks`; what a hook edits before signing is signed over."""
    bundle = make_credential(
        rp_id=RP_ID,
        origin=ORIGIN,
        challenge=challenge,
        fmt=variant,
        alg=credential_key.spec.name,
        seed=f"fidoconf worst/{label}",
        credential_id=hashlib.sha256(label.encode()).digest(),
        credential_key=credential_key,
        mutation=ShapeEdits(hooks),
    )
    return bundle.credential


def _signed_by_credential_key(x5c: list[x509.Certificate]) -> Hook:
    """At the x5c stage, the last one before signing: the attestation certificates are `x5c` and the credential key
    is the attestation key (a leaf for the credential's own key, which the attacker holds)."""

    def hook(_x5c: list[bytes], build: Build) -> list[bytes]:
        build.attestation_key = build.credential_key
        return [c.public_bytes(serialization.Encoding.DER) for c in x5c]

    return hook


def _x5c_shape(
    label: str, pki: WorstPki, trust: TrustStore, intermediates: list[x509.Certificate], code: Code
) -> Shape:
    leaf_key = ec_key(f"{pki.seed}/{label}/leaf")
    issuer_cn = intermediates[0].subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    # A leaf of a long (valid) chain is signed by its last CA; a same-named CA's leaf is signed by the root key,
    # so no candidate issuer verifies it and every candidate is worth trying to the verifier.
    signer = pki.chain_key(issuer_cn) if issuer_cn.startswith("Chain CA") else pki.root_key
    leaf = cert(f"{label} leaf", issuer_cn, leaf_key.public_key(), signer, ca=False, serial=7)
    challenge = hashlib.sha256(label.encode()).digest()
    credential = packed_shape(
        label, challenge=challenge, credential_key=SigningKey(ALGS["ES256"], leaf_key, label), variant="packed-x5c",
        hooks={"x5c": _signed_by_credential_key([leaf, *intermediates])},
    )
    return Shape(label, credential, challenge, trust, code)


def _client_data_shape(label: str, pki: WorstPki, trust: TrustStore) -> Shape:
    challenge = hashlib.sha256(label.encode()).digest()
    members = "".join(f',"m{i}":0' for i in range(20_000))
    client_data = (
        f'{{"type":"webauthn.create","challenge":"{b64url_encode(challenge)}","origin":"{ORIGIN}"{members},"m7":1}}'
    ).encode()
    key = SigningKey(ALGS["ES256"], ec_key(f"{pki.seed}/{label}"), label)
    credential = packed_shape(
        label, challenge=challenge, credential_key=key, hooks={"client_data_json": lambda _json, _build: client_data}
    )
    return Shape(label, credential, challenge, trust, Code.CLIENT_DATA_JSON_DUPLICATE_KEY)


def _rsa_credential_shape(label: str, pki: WorstPki, trust: TrustStore) -> Shape:
    exponent = ((1 << 4095) | 1).to_bytes(512, "big")
    challenge = hashlib.sha256(label.encode()).digest()
    credential = packed_shape(
        label, challenge=challenge, credential_key=SigningKey(ALGS["RS256"], pki.rsa_key(0), label),
        hooks={"cose_key": lambda cose, _build: {**cose, -2: exponent}},
    )
    return Shape(label, credential, challenge, trust, Code.COSE_KEY_E_INVALID)
