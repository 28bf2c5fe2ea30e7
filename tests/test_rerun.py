"""Rerunnable runs: fresh user names, credential ids and keys per run from a printed run seed.

Two consecutive runs against ONE long-lived `fidoconf serve` (one SQLite file) give identical verdicts; the same
seed makes the same credentials, another seed others.
"""

from __future__ import annotations

import json
import os
import secrets

import httpx
import pytest
from fidoconf.conformance.config import SuiteConfig
from fidoconf.conformance.environment import Environment
from fidoconf.conformance.seeds import RunSeed

from .test_suite_selftest import TARGET_ONLY, run_suite, serving, verdicts


def test_run_seed_derives_per_case_not_per_order():
    one, other = RunSeed("s1"), RunSeed("s1")
    one.begin("CASE-A-P01")
    first = [one.username(), one.credential_seed(), one.credential_seed()]
    other.begin("CASE-B-P01")
    other.username()  # another case ran first on this worker: CASE-A's values must not move
    other.begin("CASE-A-P01")
    assert [other.username(), other.credential_seed(), other.credential_seed()] == first
    assert first[1] != first[2]
    fresh = RunSeed("s2")
    fresh.begin("CASE-A-P01")
    assert fresh.credential_seed() != first[1]
    with one.scoped("base"):
        assert one.credential_seed() not in first  # a control the case triggers has values of its own
    assert one.credential_seed() not in first


def _credential_id(seed: str) -> str:
    env = Environment.create(SuiteConfig(seed=seed))
    try:
        env.seeds.begin("DEMO-SEED-P01")
        _, bundle, submission = env.register(variant="none")
        assert submission.accepted, submission.message
        return bundle.credential["id"]
    finally:
        env.close()


def test_same_seed_same_credential_other_seed_other():
    assert _credential_id("repeat-me") == _credential_id("repeat-me")
    assert _credential_id("repeat-me") != _credential_id("another")


@pytest.fixture(scope="module")
def long_lived_server(tmp_path_factory):
    workdir, key = tmp_path_factory.mktemp("rerun"), secrets.token_urlsafe(24)
    ping = lambda url: httpx.get(f"{url}/ping", headers={"Authorization": f"Bearer {key}"})  # noqa: E731
    with serving(workdir, "--access-key", key, ready=ping) as (url, origin, seed):
        config = workdir / "target.json"
        config.write_text(json.dumps({"target": url, "profile": "nevis-cloud", "rp_id": "localhost",
                                      "origin": origin, "access_key": key, "pki_seed": seed}))
        yield config


def test_two_runs_against_one_server_give_identical_verdicts(long_lived_server, tmp_path):
    """Every target case twice against one server and one database: AUTHDATA-AD-P01's 1023-byte credential id,
    the duplicate-id and limit cases and every registering case get the same verdict the second time."""
    first_code, first, first_out = run_suite(tmp_path / "first", "--config", str(long_lived_server), *TARGET_ONLY)
    second_code, second, second_out = run_suite(tmp_path / "second", "--config", str(long_lived_server), *TARGET_ONLY)
    assert first["run"]["seed"] != second["run"]["seed"]
    assert f"run seed {second['run']['seed']}" in second_out
    assert verdicts(first)["AUTHDATA-AD-P01"] == "PASS"
    assert {"NEVIS-REPLAY-F03", "NEVIS-LIMIT-F01", "NEVIS-USER-P01"} <= set(verdicts(first))
    changed = {k: (v, verdicts(second).get(k)) for k, v in verdicts(first).items() if verdicts(second).get(k) != v}
    assert changed == {}, second_out[-3000:]
    assert (first_code, second_code) == (0, 0), first_out[-2000:]


if os.environ.get("FIDOCONF_SKIP_SELFTEST"):
    pytestmark = pytest.mark.skip(reason="FIDOCONF_SKIP_SELFTEST is set")


pytest_plugins = ["pytester"]

SEED_SUITE = '''
from pathlib import Path
from fidoconf.conformance.cases import Case, case

@case(Case(id="DEMO-SEED-P01", title="a", requirement="r", anchor="#a"))
def test_one(fidoconf):
    Path("seed-one.txt").write_text(fidoconf.seeds.seed)

@case(Case(id="DEMO-SEED-P02", title="b", requirement="r", anchor="#a"))
def test_two(fidoconf):
    Path("seed-two.txt").write_text(fidoconf.seeds.seed)
'''


def _run_seed_suite(pytester, *args: str, out: str) -> tuple[str, str, str]:
    pytester.makepyfile(test_demo=SEED_SUITE)
    # Each run its own report directory: two runs under one would leave the glob to pick either index.
    result = pytester.runpytest_subprocess("--fidoconf-report-dir", out, "-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=2)
    (found,) = pytester.path.glob(f"{out}/*/index.json")
    index = json.loads(found.read_text())
    return index["run"]["seed"], (pytester.path / "seed-one.txt").read_text(), (pytester.path / "seed-two.txt").read_text()


def test_plugin_seed_is_given_or_fresh_and_shared_by_xdist_workers(pytester):
    assert _run_seed_suite(pytester, "--fidoconf-seed", "given-seed", out="given") == ("given-seed",) * 3
    seed, one, two = _run_seed_suite(pytester, "-n", "2", out="fresh")
    assert seed and seed != "given-seed" and one == two == seed
