"""FUZZ: a small deterministic property-based run inside `fidoconf run` (the full tool is `fidoconf fuzz`).

One run per session (config `fuzz_examples`, default 60; `fuzz_seed`, default 0): each example is a fresh ceremony
whose credential carries a drawn set of catalogued and structural defects; the reference verifier under the
target's policy is the oracle. The cases are SHOULD: a reference code may be fidoconf's own STRICT hardening rather
than a MUST, and the per-defect MUST verdicts are the recipe cases' job.
"""

from __future__ import annotations

import pytest
from fidoconf.conformance.cases import Case, case
from fidoconf.conformance.fuzz.oracle import ROBUSTNESS, WRONG_ACCEPT
from fidoconf.conformance.fuzz.runner import Run, fuzz
from fidoconf.conformance.fuzz.session import oracle_for


@pytest.fixture(scope="module")
def fuzz_run(fidoconf_env) -> Run:
    extra = fidoconf_env.config.extra
    oracle = oracle_for(fidoconf_env, slow_s=float(extra.get("fuzz_slow_s", 5.0)))
    run = fuzz(oracle, examples_n=int(extra.get("fuzz_examples", 60)), seed=int(extra.get("fuzz_seed", 0)))
    fidoconf_env.target.take_exchanges()
    return run


def _describe(run: Run, kind: str) -> str:
    found = [(code, obs) for (k, code), obs in sorted(run.findings.items()) if k == kind]
    return "; ".join(f"{code} after {' + '.join(obs.example.names) or 'no defect'} on {obs.example.variant} "
                     f"(server: {obs.target.result} {obs.target.code or ''})" for code, obs in found)


@case(Case(
    id="FUZZ-ACCEPT-F01",
    title="property fuzzing: no credential the reference refuses is accepted",
    requirement="Registration steps of #sctn-registering-a-new-credential: a credential failing any verification "
    "step fails the ceremony. Judged per example by the reference verifier under the target's policy; run "
    "`fidoconf fuzz` for the full budget and the saved vectors.",
    anchor="#sctn-registering-a-new-credential",
    severity="SHOULD",
))
def test_fuzz_no_wrong_accept(fuzz_run):
    assert fuzz_run.examples > 0
    problems = _describe(fuzz_run, WRONG_ACCEPT)
    assert not problems, f"accepted although the reference refuses: {problems}"


@case(Case(
    id="FUZZ-ROBUST-F01",
    title="property fuzzing: malformed registrations get an answer, not a 5xx, timeout or dropped connection",
    requirement="A malformed credential is refused with an error answer; the server neither fails internally "
    "(5xx), times out, drops the connection nor takes longer than the slow threshold (fidoconf robustness check).",
    anchor="#sctn-registering-a-new-credential",
    severity="SHOULD",
))
def test_fuzz_robustness(fuzz_run):
    problems = _describe(fuzz_run, ROBUSTNESS)
    assert not problems, f"robustness: {problems}"
