"""Shared fixtures for fidoconf's own tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "vectors"

# The default profile is deterministic, so the README's test command gives the same verdict on every run and
# every fresh clone: each property tests the same examples (derandomized: the seed is a hash of the test), no
# example database carries failures from one run into the next, and no deadline turns a busy machine into a
# failure. `FIDOCONF_HYPOTHESIS_PROFILE=explore` searches at random and keeps what it finds in
# .hypothesis/ (replayed on the next explore run); `FIDOCONF_FUZZ_EXAMPLES=100000` is the long campaign
# (README, "Fuzzing"). A failure found exploring becomes an explicit test, never a flaky property.
_EXAMPLES = int(os.environ.get("FIDOCONF_FUZZ_EXAMPLES", "2000"))
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile(
    "fidoconf",
    max_examples=_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=_QUIET,
)
settings.register_profile(
    "explore",
    max_examples=_EXAMPLES,
    deadline=None,
    derandomize=False,
    database=DirectoryBasedExampleDatabase(ROOT / ".hypothesis" / "examples"),
    suppress_health_check=_QUIET,
)
settings.load_profile(os.environ.get("FIDOCONF_HYPOTHESIS_PROFILE", "fidoconf"))


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
