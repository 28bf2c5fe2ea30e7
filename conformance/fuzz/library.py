"""Library differential mode: the same examples, in-process, against a verifier library.

Adapter protocol (what `--library MODULE:FUNCTION` names): a factory called once per attestation format,
`factory(workload: fidoconf.conformance.bench.Workload) -> verify`, where `verify(case: bench.Sample)` returns on
accept and raises on reject. bench.py's py_webauthn and python-fido2 adapters are exactly such factories (shared,
not copied). The oracle is the reference verifier under the strict preset with this run's test root as trust.
A builtin programming error (TypeError, KeyError, ...) escaping the library is a robustness finding.
"""

from __future__ import annotations

import hashlib
import importlib
import secrets
from collections.abc import Callable
from typing import Any

from fidoconf.verifier import Policy, TrustStore, VerificationError, verify_registration

from ..authenticator.authenticator import FMT, make_credential
from ..authenticator.ca import TestPKI
from ..bench import IMPLEMENTATIONS, Sample, Workload
from .oracle import Observation, Unbuildable, Verdict
from .strategies import Example, combine

RP_ID, ORIGIN = "localhost", "http://localhost:8000"
#: Exceptions that are a library's bug rather than its refusal.
PROGRAMMING_ERRORS = (TypeError, KeyError, IndexError, AttributeError, RecursionError, UnboundLocalError, NameError)

Factory = Callable[[Workload], Callable[[Sample], object]]


def adapter(name: str) -> Factory:
    """`py_webauthn`, `python-fido2`, or `MODULE:FUNCTION` naming a factory."""
    if name in IMPLEMENTATIONS and name != "fidoconf":
        return IMPLEMENTATIONS[name]
    module, _, function = name.partition(":")
    if not function:
        raise ValueError(f"unknown library {name!r}: py_webauthn, python-fido2 or MODULE:FUNCTION")
    return getattr(importlib.import_module(module), function)


class LibraryOracle:
    def __init__(self, factory: Factory, *, pki: TestPKI | None = None, policy: Policy | None = None) -> None:
        self.pki = pki or TestPKI(seed=f"fidoconf-fuzz-{secrets.token_hex(4)}")
        self.trust = _trust_of(self.pki)
        self.policy = policy or Policy.preset("strict")
        self.factory = factory
        self.verifiers: dict[str, Callable[[Sample], object]] = {}
        self.count = 0

    def root_pem(self) -> str:
        return self.pki.root_pem()

    def verifier(self, fmt: str) -> Callable[[Sample], object]:
        if fmt not in self.verifiers:
            workload = Workload(label=fmt, cases=(), trust=self.trust, root_pem=self.root_pem().encode(), fmt=fmt)
            self.verifiers[fmt] = self.factory(workload)
        return self.verifiers[fmt]

    def observe(self, example: Example) -> Observation:
        self.count += 1
        seed = "fuzz-lib/" + hashlib.sha256(f"{self.count}/{secrets.token_hex(4)}".encode()).hexdigest()[:24]
        challenge = secrets.token_bytes(32)
        try:
            bundle = make_credential(rp_id=RP_ID, origin=ORIGIN, challenge=challenge, fmt=example.variant,
                                     alg=example.alg, seed=seed, mutation=combine(example.defects), pki=self.pki)
        except Exception as exc:  # defects that do not compose: not a credential
            raise Unbuildable(f"{type(exc).__name__}: {exc}") from None
        credential = bundle.credential
        try:
            verify_registration(credential, expected_challenge=challenge, expected_origin=ORIGIN,
                                expected_rp_id=RP_ID, policy=self.policy, trust=self.trust)
            reference = Verdict("accept")
        except VerificationError as exc:
            reference = Verdict("reject", exc.code.value, exc.message)
        case = Sample(credential=credential, challenge=challenge, origin=ORIGIN, rp_id=RP_ID)
        try:
            self.verifier(FMT[example.variant])(case)
            target = Verdict("accept")
        except PROGRAMMING_ERRORS as exc:
            target = Verdict("error", type(exc).__name__, str(exc)[:300])
        except Exception as exc:  # the library's refusal, whatever class it uses
            target = Verdict("reject", type(exc).__name__, str(exc)[:300])
        ceremony: dict[str, Any] = {"rp_id": RP_ID, "challenge": challenge, "options": {}}
        return Observation(example, reference, target, ceremony, credential, 0.0)


def _trust_of(pki: TestPKI) -> TrustStore:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "root.pem"
        path.write_text(pki.root_pem(), encoding="ascii")
        return TrustStore.from_pem_paths(str(path))

