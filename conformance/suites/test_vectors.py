"""VECR / VECG: every recorded and generated vector through the reference verifier, in-process.

Recorded vectors fix their challenge, so they test a verifier, never a live target (DESIGN.md: replaying a
stale vector at a server would make every negative case pass for the wrong reason). Each vector's case checks
its expectation under every policy preset it names.
"""

from __future__ import annotations

from functools import lru_cache

import pytest
from fidoconf.conformance import vectors
from fidoconf.conformance.cases import Case, load_ledger, params
from fidoconf.conformance.data import vectors_dir
from fidoconf.verifier import TrustStore


def _vector_cases() -> list[Case]:
    found = []
    for case_id, entry in sorted(load_ledger().items()):
        if "vector" not in entry or entry.get("retired"):
            continue
        found.append(
            Case(
                id=case_id,
                title=entry["title"],
                requirement="The reference verifier gives this vector its expected verdict and code under each "
                "policy preset the vector names.",
                anchor="#sctn-registering-a-new-credential",
                params={"path": entry["vector"]},
            )
        )
    return found


@lru_cache(maxsize=1)
def _trust() -> TrustStore:
    return TrustStore.from_pem_paths(vectors_dir() / "trust", vectors_dir() / "generated" / "trust")


@pytest.mark.parametrize("vector_case", params(_vector_cases()))
def test_vector(vector_case):
    path = vectors_dir() / vector_case.params["path"]
    vector = vectors.load(path)
    problems = []
    for expectation in vectors.expectations(vector):
        outcome = vectors.run(vector, policy=expectation.policy, trust=_trust())
        if not outcome.matches(expectation):
            problems.append(
                f"[{expectation.policy_name}] expected {expectation.expect} {expectation.expected_code or ''}, "
                f"got {outcome.result} {outcome.code or ''} ({outcome.message})"
            )
    assert not problems, f"{vector_case.params['path']}: " + "; ".join(problems)
