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
