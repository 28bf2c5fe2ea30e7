"""Verification throughput: fidoconf against py_webauthn and python-fido2, same vectors, same run.

Machines here are shared and noisy, so only ratios within one run mean anything, and a pass is timed in CPU time
of this process (a preempted pass is not charged for the other processes' work). Each round times one pass
of every implementation over the same distinct credentials (own key, challenge and credential id each: nothing
can be cached by input), in a rotating order; an implementation's rate is its best round. The raw
`cryptography` ECDSA P-256 verify over the same (key, signature, data) triples is the physical bound: every
verifier has to do at least that much.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fidoconf.verifier import Policy, TrustStore, verify_registration
from fidoconf.verifier.encoding import b64url_decode


@dataclass(frozen=True, slots=True)
class Sample:
    credential: dict[str, Any]
    challenge: bytes
    origin: str
    rp_id: str
    #: (public key object, signature, signed data) of the attestation signature, for the raw bound.
    raw: tuple[Any, bytes, bytes] | None = None


@dataclass(frozen=True, slots=True)
class Workload:
    label: str
    cases: Sequence[Sample]
    trust: TrustStore
    root_pem: bytes | None
    fmt: str


@dataclass
class Row:
    label: str
    rates: dict[str, float] = field(default_factory=dict)  # implementation -> verifications per second
    errors: dict[str, str] = field(default_factory=dict)

    def ratio(self, a: str, b: str) -> float | None:
        if self.rates.get(a) and self.rates.get(b):
            return self.rates[a] / self.rates[b]
        return None


Verify = Callable[[Sample], object]


def verify_sample(case: Sample, *, policy: Policy, trust: Any) -> object:
    """One whole fidoconf verification of a sample: what the throughput table and the stage table both time."""
    return verify_registration(
        case.credential,
        expected_challenge=case.challenge,
        expected_origin=case.origin,
        expected_rp_id=case.rp_id,
        policy=policy,
        trust=trust,
    )


def fidoconf_impl(workload: Workload) -> Verify:
    policy = Policy.preset("permissive")

    def run(case: Sample) -> object:
        return verify_sample(case, policy=policy, trust=workload.trust)

    return run


def py_webauthn_impl(workload: Workload) -> Verify:
    import webauthn
    from webauthn.helpers.structs import AttestationFormat

    roots = {}
    if workload.root_pem:
        roots = {AttestationFormat(workload.fmt): [workload.root_pem]}

    def run(case: Sample) -> object:
        return webauthn.verify_registration_response(
            credential=case.credential,
            expected_challenge=case.challenge,
            expected_origin=case.origin,
            expected_rp_id=case.rp_id,
            pem_root_certs_bytes_by_fmt=roots or None,
        )

    return run


def python_fido2_impl(workload: Workload) -> Verify:
    from fido2.attestation import Attestation
    from fido2.server import Fido2Server
    from fido2.webauthn import PublicKeyCredentialRpEntity

    def verify_attestation(attestation_object, client_data_hash):
        # The library's own statement verification for the fmt, turned on (its server ignores attestation
        # by default); chain-to-root checking is left to the caller in python-fido2, as here.
        Attestation.for_type(attestation_object.fmt)().verify(
            attestation_object.att_stmt, attestation_object.auth_data, client_data_hash
        )

    servers: dict[str, Fido2Server] = {}

    def run(case: Sample) -> object:
        server = servers.get(case.rp_id)
        if server is None:
            server = servers[case.rp_id] = Fido2Server(
                PublicKeyCredentialRpEntity(id=case.rp_id, name="bench"),
                attestation="direct",
                verify_origin=lambda origin: origin == case.origin,
                verify_attestation=verify_attestation,
            )
        state = {"challenge": _b64(case.challenge), "user_verification": "discouraged"}
        return server.register_complete(state, case.credential)

    return run


def raw_ecdsa_impl(_workload: Workload) -> Verify:
    """ECDSA P-256 verify with the key object already loaded: the bound no verifier can beat."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    algorithm = ec.ECDSA(hashes.SHA256())

    def run(case: Sample) -> object:
        key, signature, data = case.raw
        key.verify(signature, data, algorithm)
        return None

    return run


def raw_ecdsa_from_wire_impl(_workload: Workload) -> Verify:
    """Load the credential's point (with the on-curve check) and verify once: what verifying a credential that
    was never seen before costs at the least, since its key arrives as bytes."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    algorithm, curve = ec.ECDSA(hashes.SHA256()), ec.SECP256R1()
    points = {}

    def run(case: Sample) -> object:
        key, signature, data = case.raw
        point = points.get(id(key))
        if point is None:
            point = points[id(key)] = key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        ec.EllipticCurvePublicKey.from_encoded_point(curve, point).verify(signature, data, algorithm)
        return None

    return run


def bare_pipeline_impl(_workload: Workload) -> Verify:
    """The least a Python verifier of a packed self ES256 credential can do: base64url-decode the three fields,
    parse clientDataJSON, the attestation object and the key with the standard parsers, load the point, hash,
    verify once, compare challenge, origin, rpIdHash and credential id. None of the strict checks. Not a
    verifier: it measures how close to the raw verify any Python verifier can get on this machine."""
    import base64
    import hashlib
    import json

    import cbor2
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    algorithm, curve = ec.ECDSA(hashes.SHA256()), ec.SECP256R1()

    def decode(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    def run(case: Sample) -> object:
        credential = case.credential
        response = credential["response"]
        client_data_json = decode(response["clientDataJSON"])
        client_data = json.loads(client_data_json)
        if decode(client_data["challenge"]) != case.challenge or client_data["origin"] != case.origin:
            raise ValueError("client data mismatch")
        obj = cbor2.loads(decode(response["attestationObject"]))
        auth_data = obj["authData"]
        id_length = int.from_bytes(auth_data[53:55], "big")
        if auth_data[:32] != hashlib.sha256(case.rp_id.encode()).digest():
            raise ValueError("rpIdHash mismatch")
        if auth_data[55 : 55 + id_length] != decode(credential["rawId"]):
            raise ValueError("credential id mismatch")
        key = cbor2.loads(auth_data[55 + id_length :])
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(curve, b"\x04" + key[-2] + key[-3])
        signed = auth_data + hashlib.sha256(client_data_json).digest()
        public_key.verify(obj["attStmt"]["sig"], signed, algorithm)
        return None

    return run


def _b64(data: bytes) -> str:
    from fidoconf.verifier.encoding import b64url_encode

    return b64url_encode(data)


IMPLEMENTATIONS: dict[str, Callable[[Workload], Verify]] = {
    "fidoconf": fidoconf_impl,
    "py_webauthn": py_webauthn_impl,
    "python-fido2": python_fido2_impl,
}


def measure(workloads: Sequence[Workload], *, rounds: int = 7, raw_for: Sequence[str] = ()) -> list[Row]:
    rows = []
    for workload in workloads:
        row = Row(workload.label)
        impls = {name: make(workload) for name, make in IMPLEMENTATIONS.items()}
        if workload.label in raw_for and all(c.raw for c in workload.cases):
            impls["raw ECDSA verify"] = raw_ecdsa_impl(workload)
            impls["raw load+verify"] = raw_ecdsa_from_wire_impl(workload)
            impls["bare pipeline"] = bare_pipeline_impl(workload)
        for name, impl in list(impls.items()):
            try:  # an implementation that cannot verify this workload at all is reported, not timed
                for case in workload.cases[:3]:
                    impl(case)
            except Exception as exc:  # noqa: BLE001 - peers raise their own exception types
                row.errors[name] = f"{type(exc).__name__}: {str(exc)[:80]}"
                del impls[name]
        best = {name: float("inf") for name in impls}
        names = list(impls)
        for round_index in range(rounds):
            order = names[round_index % len(names) :] + names[: round_index % len(names)]
            for name in order:
                best[name] = min(best[name], time_pass(impls[name], workload.cases))
        row.rates = {name: len(workload.cases) / seconds for name, seconds in best.items()}
        rows.append(row)
    return rows


def time_pass(impl: Verify, cases: Sequence[Sample]) -> float:
    """CPU seconds this process spent on one pass. Every implementation verifies on one thread, so CPU time is
    its cost; wall time would also count the time a loaded machine gave the CPU to other processes."""
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        for case in cases:
            impl(case)
        return time.process_time() - start
    finally:
        gc.enable()


def check_cases(workload: Workload) -> None:
    """Every case must verify under fidoconf before it is timed: a rejected case would time an error path."""
    impl = fidoconf_impl(workload)
    for case in workload.cases:
        impl(case)
        b64url_decode(case.credential["rawId"], field="rawId")


def _rate(row: Row, name: str) -> str:
    if name in row.errors:
        return "n/a"
    return f"{row.rates[name]:,.0f}" if name in row.rates else "-"


def _ratio(row: Row, other: str) -> str:
    value = row.ratio("fidoconf", other)
    return f"{value:.2f}×" if value else "-"


def table(rows: Sequence[Row]) -> str:
    header = (
        "| workload | fidoconf /s | py_webauthn /s | python-fido2 /s | raw verify /s | raw load+verify /s "
        "| vs py_webauthn | vs python-fido2 | vs raw verify | vs raw load+verify |"
    )
    lines = [header, "|" + "---|" * 10]
    peers = ("py_webauthn", "python-fido2", "raw ECDSA verify", "raw load+verify")
    for row in rows:
        cells = [_rate(row, n) for n in ("fidoconf", *peers)]
        cells += [_ratio(row, n) for n in peers]
        lines.append(f"| {row.label} | " + " | ".join(cells) + " |")
    notes = [f"- {row.label}: {name} could not verify: {err}" for row in rows for name, err in row.errors.items()]
    notes += [
        f"- {row.label}: bare pipeline (decode, parse, load, verify; no strict checks) {row.rates['bare pipeline']:,.0f}/s"
        f" = {row.ratio('bare pipeline', 'raw ECDSA verify'):.2f}× raw verify; fidoconf = "
        f"{row.ratio('fidoconf', 'bare pipeline'):.2f}× bare pipeline"
        for row in rows
        if row.ratio("bare pipeline", "raw ECDSA verify") and row.ratio("fidoconf", "bare pipeline")
    ]
    return "\n".join(lines + ([""] + notes if notes else []))


def build_workloads(n: int, *, seed: str = "bench", include_platform: bool = True) -> list[Workload]:
    """Distinct ES256 credentials per format (own key, challenge and credential id each), from the virtual
    authenticator, under one test PKI whose root the verifiers are given; tpm and android-key too unless
    `include_platform` is false (their RSA key generation is what makes a small run slow)."""
    import hashlib

    from .authenticator.authenticator import make_credential
    from .authenticator.ca import TestPKI

    pki = TestPKI(seed=f"{seed}-pki")
    trust = TrustStore.from_certificates(anchors=[pki.root])
    rp_id, origin = "bench.example", "https://bench.example"
    workloads = []
    for variant, label in (
        ("none", "none ES256"),
        ("packed-self", "packed self ES256"),
        ("packed-x5c", "packed x5c ES256"),
        ("fido-u2f", "fido-u2f ES256"),
    ):
        cases = []
        for i in range(n):
            challenge = hashlib.sha256(f"{seed}/{variant}/{i}/challenge".encode()).digest()
            bundle = make_credential(
                rp_id=rp_id, origin=origin, challenge=challenge, fmt=variant, alg="ES256", seed=f"{seed}/{variant}/{i}",
                pki=pki,
            )
            raw = None
            if variant == "packed-self":
                signed = bundle.auth_data + hashlib.sha256(bundle.client_data_json).digest()
                raw = (bundle.credential_key.public_key(), bundle.att_stmt["sig"], signed)
            cases.append(Sample(bundle.credential, challenge, origin, rp_id, raw))
        fmt = "packed" if variant.startswith("packed") else variant
        root_pem = pki.root_pem().encode() if variant in ("packed-x5c", "fido-u2f") else None
        workloads.append(Workload(label, cases, trust, root_pem, fmt))
    if include_platform:
        workloads.extend(_platform_workloads(n, pki, trust))
    return workloads


def _platform_workloads(n: int, pki: Any, trust: TrustStore) -> list[Workload]:
    """tpm RS256 and android-key ES256, from the tpm/android virtual authenticator (fewer: RSA keygen is slow)."""
    from .authenticator.formats_tpm_android.vectors import ORIGIN, RP_ID, bench_credentials

    out = []
    for fmt, label in (("tpm", "tpm RS256"), ("android-key", "android-key ES256")):
        pairs = bench_credentials(fmt, max(20, n // 3), pki=pki)
        cases = [Sample(credential, challenge, ORIGIN, RP_ID) for credential, challenge in pairs]
        out.append(Workload(label, cases, trust, pki.root_pem().encode(), fmt))
    return out
