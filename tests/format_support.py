"""What the apple, safetynet and compound format tests share: the test PKI, a trust store holding the recorded
roots plus the test root, and verification of a vector file's credential at its own moment."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path

import pytest
from fidoconf.conformance import vectors
from fidoconf.conformance.authenticator import ca
from fidoconf.verifier import Policy, RegistrationResult, TrustStore, VerificationError, verify_registration
from fidoconf.verifier.clock import fixed_clock
from fidoconf.verifier.encoding import b64url_decode

ROOT = Path(__file__).resolve().parent.parent


@cache
def pki() -> ca.TestPKI:
    return ca.TestPKI()


@cache
def anchored_trust() -> TrustStore:
    return TrustStore.from_pem_paths(ROOT / "vectors" / "trust").with_anchors(pki().root)


def verify_vector(vector: dict, *, policy: Policy, trust: TrustStore | None = None, clock=None) -> RegistrationResult:
    return verify_registration(
        vector["credential"],
        expected_challenge=b64url_decode(vector["challenge_b64url"], field="challenge"),
        expected_origin=vector["origin"],
        expected_rp_id=vector["rp_id"],
        policy=policy,
        trust=trust or anchored_trust(),
        clock=clock or fixed_clock(_moment(vector)),
    )


def code_of(vector: dict, *, policy: Policy, trust: TrustStore | None = None, clock=None) -> str | None:
    """The code the vector is refused with, or None when it is accepted."""
    try:
        verify_vector(vector, policy=policy, trust=trust, clock=clock)
    except VerificationError as exc:
        return exc.code.value
    return None


def recorded_params(folder: str) -> list:
    """One param per (recorded vector of vectors/real/<folder>, policy preset it names)."""
    return [
        pytest.param(path, expectation, id=f"{path.stem}[{expectation.policy_name}]")
        for path in sorted((ROOT / "vectors" / "real" / folder).glob("*.json"))
        for expectation in vectors.expectations(vectors.load(path))
    ]


def _moment(vector: dict) -> str | datetime:
    return vector.get("verify_at") or ca.VERIFY_AT
