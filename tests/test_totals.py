"""Honest totals: index.json counts the target's cases apart from the reference verifier's self-checks."""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator, FormatChecker

from .conftest import ROOT

pytest_plugins = ["pytester"]

SUITE = '''
from fidoconf.conformance.cases import Case, case

@case(Case(id="DEMO-T-P01", title="talks to the target", requirement="r", anchor="#a"))
def test_target(fidoconf):
    assert fidoconf.profile.start_registration().challenge

@case(Case(id="VECR-DEMO-P01", title="a vector through the reference verifier", requirement="r", anchor="#a"))
def test_vector_self_check():
    assert True

@case(Case(id="VECR-DEMO-P02", title="another", requirement="r", anchor="#a"))
def test_vector_self_check_2():
    assert True
'''


def test_reference_self_checks_are_counted_apart(pytester):
    pytester.makepyfile(test_demo=SUITE)
    pytester.runpytest_subprocess("--fidoconf-report-dir", "out", "-p", "no:cacheprovider").assert_outcomes(passed=3)
    index = json.loads(next(pytester.path.glob("out/*/index.json")).read_text())
    assert {k: v["scope"] for k, v in index["cases"].items()} == {
        "DEMO-T-P01": "target", "VECR-DEMO-P01": "reference", "VECR-DEMO-P02": "reference",
    }  # fmt: skip
    assert index["summary"]["totals"]["PASS"] == 1
    assert index["summary"]["reference"]["PASS"] == 2
    schema = json.loads((ROOT / "schemas" / "report" / "index.schema.json").read_text())
    assert list(Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(index)) == []
