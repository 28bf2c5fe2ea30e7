"""The pytest plugin, exercised with pytester: options, header, verdicts, capability skips, reports, exit codes."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from .conftest import ROOT

pytest_plugins = ["pytester"]

SUITE = '''
from fidoconf.conformance.cases import Case, case

@case(Case(id="DEMO-A-P01", title="must pass", requirement="r", anchor="#a"))
def test_pass(fidoconf):
    assert fidoconf.profile.start_registration().challenge

@case(Case(id="DEMO-A-F01", title="should-level finding", requirement="r", anchor="#a", severity="SHOULD"))
def test_should(fidoconf):
    assert False, "expected x, got y"

@case(Case(id="DEMO-A-F03", title="suite breaks", requirement="r", anchor="#a"))
def test_suite_breaks(fidoconf):
    raise RuntimeError("the suite's own bug")

@case(Case(id="DEMO-A-F02", title="needs a capability", requirement="r", anchor="#a", requires=("no-such-capability",)))
def test_capability(fidoconf):
    raise AssertionError("must not run")
'''


def _index(pytester) -> dict:
    found = list(pytester.path.glob("out/*/index.json"))
    assert len(found) == 1, found
    return json.loads(found[0].read_text())


def test_verdicts_reports_and_header(pytester):
    pytester.makepyfile(test_demo=SUITE)
    result = pytester.runpytest_subprocess("--fidoconf-report-dir", "out", "-p", "no:cacheprovider")
    # WARN passes in pytest's terms (it must not turn a CI gate red, nor read as "skipped" in JUnit).
    result.assert_outcomes(passed=2, skipped=1, failed=1)
    result.stdout.fnmatch_lines(["*fidoconf: target=inprocess profile=nevis-cloud strict=False*"])
    index = _index(pytester)
    verdicts = {k: v["verdict"] for k, v in index["cases"].items()}
    assert verdicts == {"DEMO-A-P01": "PASS", "DEMO-A-F01": "WARN", "DEMO-A-F02": "SKIP", "DEMO-A-F03": "ERROR"}
    schema = json.loads((ROOT / "schemas" / "report" / "index.schema.json").read_text())
    assert list(Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(index)) == []
    case_file = json.loads(next(pytester.path.glob("out/*/cases/DEMO-A-P01.json")).read_text())
    assert case_file["exchanges"][0]["path"] == "/api/v1/users/enroll"
    assert next(pytester.path.glob("out/*/junit.xml")).exists()
    assert next(pytester.path.glob("out/*/report.html")).exists()
    warn = json.loads(next(pytester.path.glob("out/*/cases/DEMO-A-F01.json")).read_text())
    assert (warn["verdict"], warn["level"], warn["actual"]["message"]) == ("WARN", "SHOULD", "expected x, got y")
    assert warn["error"] is None and "Traceback" not in json.dumps(warn)
    # A non-assertion exception is the suite's fault: ERROR (never FAIL) with its traceback.
    broke = json.loads(next(pytester.path.glob("out/*/cases/DEMO-A-F03.json")).read_text())
    assert (broke["verdict"], broke["error"]["type"]) == ("ERROR", "RuntimeError")
    assert "the suite's own bug" in broke["error"]["traceback"]
    skipped = json.loads(next(pytester.path.glob("out/*/cases/DEMO-A-F02.json")).read_text())
    assert skipped["skip_reason"] == "target does not declare capability no-such-capability"


def test_strict_turns_warn_into_fail(pytester):
    pytester.makepyfile(test_demo=SUITE)
    result = pytester.runpytest_subprocess("--fidoconf-report-dir", "out", "--fidoconf-strict", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=1, failed=2)
    assert _index(pytester)["cases"]["DEMO-A-F01"]["verdict"] == "FAIL"


def test_setup_error_is_error_not_fail(pytester):
    pytester.makepyfile(test_demo='''
import pytest
from fidoconf.conformance.cases import Case, case

@pytest.fixture
def broken():
    raise OSError("connection reset")

@case(Case(id="DEMO-B-F01", title="setup breaks", requirement="r", anchor="#a"))
def test_setup(fidoconf, broken):
    pass
''')
    pytester.runpytest_subprocess("--fidoconf-report-dir", "out", "-p", "no:cacheprovider")
    entry = _index(pytester)["cases"]["DEMO-B-F01"]
    assert (entry["verdict"], entry["reason"].split(":")[0]) == ("ERROR", "suite error (not the target's fault)")


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_unreachable_target_exits_2_once(pytester, workers):
    pytester.makepyfile(test_demo=SUITE)
    result = pytester.runpytest_subprocess(
        "--fidoconf-target", "http://127.0.0.1:9", "test_demo.py", "-p", "no:cacheprovider", *workers
    )
    assert result.ret == 2
    # pytest's own Exit report: one line on stdout (and its echo on stderr), no worker crash, no test run.
    assert result.stdout.str().count("target unreachable") == 1
    assert "crashed" not in result.stdout.str() + result.stderr.str()
    assert "passed" not in result.stdout.str()


def test_bad_options_are_usage_errors(pytester):
    pytester.makepyfile(test_demo=SUITE)
    assert pytester.runpytest_subprocess("--fidoconf-profile", "nope").ret == pytest.ExitCode.USAGE_ERROR
    assert pytester.runpytest_subprocess("--fidoconf-target", "ftp://x").ret == pytest.ExitCode.USAGE_ERROR


def test_inert_without_cases(pytester):
    pytester.makepyfile(test_plain="def test_x():\n    assert 1\n")
    result = pytester.runpytest_subprocess("--fidoconf-report-dir", "out")
    result.assert_outcomes(passed=1)
    assert not list(pytester.path.glob("out/*/index.json"))


def test_silent_in_an_unrelated_run_despite_stray_environment(pytester, monkeypatch):
    monkeypatch.setenv("FIDOCONF_PROFILE", "no-such-profile")
    monkeypatch.setenv("FIDOCONF_STRICT", "1")
    pytester.makepyfile(test_plain="def test_x():\n    assert 1\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    assert "fidoconf:" not in result.stdout.str()  # no header line (pytest's own plugin list names it)


def test_a_target_option_collects_the_suite_from_anywhere(pytester, monkeypatch):
    from fidoconf.conformance.cli_list import collect_cases

    monkeypatch.delenv("FIDOCONF_TARGET", raising=False)
    config = pytester.makefile(".json", target=json.dumps({"target": "inprocess", "profile": "nevis-cloud"}))
    pytester.makepyfile(test_unrelated="def test_x():\n    raise AssertionError('the project is not collected')\n")
    collected = pytester.runpytest_subprocess("--fidoconf-config", str(config), "--collect-only", "-q")
    assert collected.ret == 0
    assert collected.stdout.lines[-1].startswith(f"{len(collect_cases())} tests collected")
    run = pytester.runpytest_subprocess(
        "--fidoconf-target", "inprocess", "--fidoconf-config", str(config), "--fidoconf-id", "NEVIS-STATUS-P03",
        "-p", "no:cacheprovider",
    )  # fmt: skip
    run.assert_outcomes(passed=1)
    run.stdout.fnmatch_lines(["*fidoconf: target=inprocess profile=nevis-cloud strict=False*"])


def test_explicit_paths_are_kept(pytester):
    pytester.makepyfile(test_demo=SUITE)
    result = pytester.runpytest_subprocess("--fidoconf-target", "inprocess", "test_demo.py", "-p", "no:cacheprovider")
    # WARN is reported to pytest as passed (not "skipped"); the suite's own fault is an ERROR, a pytest failure.
    result.assert_outcomes(passed=2, skipped=1, failed=1)


def test_an_ini_target_activates_the_plugin(pytester):
    pytester.makefile(".json", target=json.dumps({"profile": "nevis-cloud"}))
    pytester.makeini("[pytest]\nfidoconf_target = inprocess\nfidoconf_config = target.json\n")
    result = pytester.runpytest_subprocess("--fidoconf-id", "NEVIS-STATUS-P03", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*fidoconf: target=inprocess profile=nevis-cloud strict=False*"])
