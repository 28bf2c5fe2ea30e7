"""Shared fixtures for fidoconf's own tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "vectors"

# CI runs a fixed, reproducible sample; `FIDOCONF_FUZZ_EXAMPLES=100000 pytest tests/test_fuzz_no_crash.py` is the
# long campaign (README, "Fuzzing").
settings.register_profile(
    "fidoconf",
    max_examples=int(os.environ.get("FIDOCONF_FUZZ_EXAMPLES", "2000")),
    deadline=None,
    derandomize=os.environ.get("CI") == "true",
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("fidoconf")


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    return VECTORS


@pytest.fixture(scope="session")
def pki():
    """The suite's deterministic test PKI (the one the generated vectors are signed under)."""
    from .format_support import pki as shared_pki

    return shared_pki()


@pytest.fixture(scope="session")
def pki_trust(pki):
    """A trust store holding only the test PKI's root."""
    from fidoconf.verifier import TrustStore

    return TrustStore.from_certificates(anchors=[pki.root])


def assert_verdict(vector: dict, expectation, *, trust) -> None:
    """The vector gets exactly the verdict (and, for a reject, the code) it names for this policy."""
    from fidoconf.conformance import vectors

    outcome = vectors.run(vector, policy=expectation.policy, trust=trust)
    want = (expectation.expect, expectation.expected_code if expectation.expect == "reject" else None)
    assert (outcome.result, outcome.code) == want, f"[{expectation.policy_name}] {outcome.message}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`slow` tests (every flavour x preset over the whole suite, long fuzz campaigns) run only when asked for with
    `-m slow`; the default run stays CI-sized."""
    if "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
