"""The run's reports, read as a server developer and a CI would, from one run against a negative control
(`no-signature-check`: every FAIL vectors/controls.json lists for it): case files, console, reproduction, junit.xml, report.html in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fidoconf.conformance.controls import expected_failures
from fidoconf.conformance.decode import credential_diff, diagnostic

from .conftest import ROOT
from .report_support import invalid_case_files, run_dir

FIDOCONF = [sys.executable, "-m", "fidoconf.conformance.cli"]
CONTROL = "no-signature-check"
#: The control's findings are all MUST-level signature cases, so every one is a FAIL.
EXPECTED_FAILS = len(expected_failures()[CONTROL]["ids"])
JUNIT_XSD = Path(__file__).parent / "junit" / "junit-10.xsd"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def fidoconf(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*FIDOCONF, *args], capture_output=True, text=True, timeout=900, cwd=ROOT)


@pytest.fixture(scope="module")
def control_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    base = tmp_path_factory.mktemp("control")
    done = fidoconf("run", "--control", CONTROL, "-n", "2", "--report-dir", str(base), "-k", "not test_vector")
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    return run_dir(base), done


def _index(directory: Path) -> dict:
    return json.loads((directory / "index.json").read_text())


def _case(directory: Path, case_id: str) -> dict:
    return json.loads((directory / "cases" / f"{case_id}.json").read_text())


# --- the case result ---------------------------------------------------------------------------------------------


def test_case_files_validate_and_findings_are_structured(control_run):
    directory, _ = control_run
    assert invalid_case_files(directory) == {}
    case = _case(directory, "SIG-SIG-F01")
    assert case["verdict"] == "FAIL" and case["level"] == "MUST"
    assert case["expected"] == {"outcome": "reject", "code": "att_stmt.sig.invalid"}
    assert (case["actual"]["outcome"], case["actual"]["http_status"]) == ("accept", 200)
    assert case["error"] is None and "Traceback" not in json.dumps(case)
    assert case["source"]["url"].startswith("https://www.w3.org/TR/webauthn-3/#")
    assert case["reproduction"]["argv"][:4] == ["fidoconf", "run", "--id", "SIG-SIG-F01"]
    # The submission is shown decoded: client data as JSON, the attestation object's authData as fields.
    decoded = [x["decoded_credential"] for x in case["exchanges"] if "decoded_credential" in x]
    assert decoded and decoded[-1]["response"]["clientDataJSON"]["type"] == "webauthn.create"
    assert decoded[-1]["response"]["attestationObject"]["fmt"] == '"packed"'


def test_defect_diff_names_the_changed_field(control_run):
    directory, _ = control_run
    empty_sig = _case(directory, "ATTOBJ-FIELD-F13")["defect"]
    assert [c["path"] for c in empty_sig["diff"]] == ["response.attestationObject.attStmt.sig"]
    assert empty_sig["diff"][0]["sent"] == "h''"
    chain = _case(directory, "PACKED-FULL-F01")["defect"]  # x5c left out: one change, not one per certificate field
    assert [(c["path"], c["sent"]) for c in chain["diff"]] == [("response.attestationObject.attStmt.x5c", "(absent)")]


def test_diagnostic_notation_and_diff_units():
    assert diagnostic({1: 2, 3: -7, -2: b"\x01\x02", "t": [1.5, None, True]}) == (
        "{1: 2, 3: -7, -2: h'0102', \"t\": [1.5, null, true]}"
    )
    assert diagnostic(b"\x00" * 100).endswith("(100 bytes)")
    base = {"response": {"clientDataJSON": "eyJhIjoxfQ"}}  # {"a":1}
    sent = {"response": {"clientDataJSON": "eyJhIjoyfQ"}}  # {"a":2}
    assert credential_diff(base, sent) == [{"path": "response.clientDataJSON.a", "base": 1, "sent": 2}]


def test_reproduction_command_recreates_the_fail(control_run, tmp_path):
    directory, _ = control_run
    argv = _case(directory, "SIG-SIG-F01")["reproduction"]["argv"]
    assert argv[0] == "fidoconf"
    done = fidoconf(*argv[1:], "--report-dir", str(tmp_path), "-v")
    again = _index(run_dir(tmp_path))
    assert {k: v["verdict"] for k, v in again["cases"].items()} == {"SIG-SIG-F01": "FAIL"}
    assert done.returncode == 1
    # -v adds the exchanges of the finding to the console.
    assert "reproduce: fidoconf run --id SIG-SIG-F01" in done.stdout
    assert re.search(r"POST \S+ → 200", done.stdout)


# --- console -----------------------------------------------------------------------------------------------------


def test_console_prints_findings_summary_and_report_path_last(control_run):
    directory, done = control_run
    lines = done.stdout.rstrip("\n").splitlines()
    index = _index(directory)
    not_pass = [k for k, v in index["cases"].items() if v["verdict"] != "PASS"]
    assert index["summary"]["totals"]["FAIL"] == EXPECTED_FAILS
    assert len(lines) < 200, len(lines)
    for case_id in not_pass:  # one line each, with its verdict
        found = [line for line in lines if line.startswith(case_id + " ")]
        assert len(found) == 1 and index["cases"][case_id]["verdict"] in found[0], (case_id, found)
    assert "Traceback" not in done.stdout and "assert " not in done.stdout
    assert "POST " not in done.stdout  # exchanges only with -v
    assert lines[-1] == f"report: {directory / 'report.html'}"
    assert any(line.startswith("target ") for line in lines[-4:])  # the target's totals, reference apart


# --- junit.xml ---------------------------------------------------------------------------------------------------


def test_junit_names_properties_and_warn_mapping(control_run):
    junitparser = pytest.importorskip("junitparser")
    directory, _ = control_run
    index = _index(directory)
    xml = junitparser.JUnitXml.fromfile(str(directory / "junit.xml"))
    seen = {}
    for suite in xml:
        for case in suite:
            props = {p.name: p.value for group in case.iterchildren(junitparser.Properties)
                     for p in group.iterchildren(junitparser.Property)}
            seen[case.name] = (case.classname, props, [type(r).__name__ for r in case.result])
    assert set(seen) == set(index["cases"])
    classname, props, results = seen["SIG-SIG-F01"]
    assert classname == "SIG" and results == ["Failure"]
    assert props["id"] == "SIG-SIG-F01" and props["verdict"] == "FAIL" and props["level"] == "MUST"
    assert props["requirement"] and props["source"].startswith("https://")
    skipped = [k for k, v in index["cases"].items() if v["verdict"] == "SKIP"]
    assert skipped and all(seen[k][2] == ["Skipped"] for k in skipped)
    warns = [k for k, v in index["cases"].items() if v["verdict"] == "WARN"]
    assert all(seen[k][2] == [] and seen[k][1]["verdict"] == "WARN" for k in warns)  # passes, never skipped


def _xsd(with_testcase_properties: bool):
    etree = pytest.importorskip("lxml.etree")
    text = JUNIT_XSD.read_text()
    if with_testcase_properties:  # the one documented addition (tests/junit/README.md)
        anchor = '<xs:choice minOccurs="0" maxOccurs="unbounded">\n                    <xs:element ref="skipped"/>'
        assert anchor in text
        text = text.replace(anchor, anchor.replace('<xs:element ref="skipped"/>',
                                                   '<xs:element ref="properties"/>\n<xs:element ref="skipped"/>'))
    return etree, etree.XMLSchema(etree.fromstring(text.encode()))


def test_junit_validates_against_the_jenkins_xsd(control_run):
    directory, _ = control_run
    etree, extended = _xsd(with_testcase_properties=True)
    document = etree.parse(str(directory / "junit.xml"))
    assert extended.validate(document), extended.error_log
    _, original = _xsd(with_testcase_properties=False)
    for node in document.findall(".//testcase/properties"):
        node.getparent().remove(node)
    assert original.validate(document), original.error_log


def test_pytest_own_junitxml_carries_the_same_properties(tmp_path):
    """`pytest --fidoconf-...` with pytest's --junitxml: each case's testcase has id/level/verdict/requirement/source."""
    etree = pytest.importorskip("lxml.etree")
    out = tmp_path / "pytest-junit.xml"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "conformance" / "suites"), "-p", "no:cacheprovider", "-q",
         "--fidoconf-control", CONTROL, "--fidoconf-id", "SIG-SIG-F01", "--fidoconf-id", "OPT-PARAMS-I01",
         f"--junitxml={out}", "-o", "junit_family=xunit1"],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    assert done.returncode == 1, done.stdout[-2000:]
    cases = etree.parse(str(out)).findall(".//testcase")
    props = {c.get("name"): {p.get("name"): p.get("value") for p in c.findall("properties/property")} for c in cases}
    assert {p["id"]: p["verdict"] for p in props.values()} == {"SIG-SIG-F01": "FAIL", "OPT-PARAMS-I01": "INFO"}
    assert all({"id", "level", "verdict", "requirement", "source"} <= set(p) for p in props.values())


# --- report.html -------------------------------------------------------------------------------------------------


def test_report_html_is_self_contained_and_small(control_run):
    directory, _ = control_run
    html = (directory / "report.html").read_text()
    assert len(html.encode()) < 1_500_000
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?:", html)  # no network assets
    assert "inprocess" in html and "nevis-cloud" in html and CONTROL in html
    assert html.count('data-verdict="FAIL"') == EXPECTED_FAILS
    # PASS exchanges are not in the page.
    assert html.count("<details><summary class=\"mono\">#") < EXPECTED_FAILS * 6


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")
def test_report_html_in_headless_chromium(control_run):
    sync_api = pytest.importorskip("playwright.sync_api")
    directory, _ = control_run
    errors: list[str] = []
    with sync_api.sync_playwright() as play:
        browser = play.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto((directory / "report.html").as_uri())
        # No horizontal scroll at 1280 px, and the verdict column is on screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        verdict_header = page.locator("#cases thead th").first
        box = verdict_header.bounding_box()
        assert verdict_header.inner_text() == "Verdict" and box and box["x"] + box["width"] <= 1280
        # A FAIL expands to requirement, expected vs actual and the reproduction.
        row = page.locator("#case-SIG-SIG-F01")
        assert row.is_visible()
        expected = row.locator("h4", has_text="Expected")
        assert not expected.is_visible()
        row.locator("summary").first.click()
        assert expected.is_visible() and row.locator("h4", has_text="Actual").is_visible()
        assert row.get_by_text("att_stmt.sig.invalid").first.is_visible()
        assert page.locator("#cases > tbody > tr").count() == len(_index(directory)["cases"])
        # The decoded defect of an empty signature: its diff row is shown.
        empty_sig = page.locator("#case-ATTOBJ-FIELD-F13")
        empty_sig.locator("summary").first.click()
        assert empty_sig.locator(".diff td", has_text="response.attestationObject.attStmt.sig").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        # Filters: only SKIP rows left visible when SKIP alone is checked.
        for box_ in page.locator("input[name=verdict]").all():
            box_.set_checked(box_.get_attribute("value") == "SKIP")
        visible = page.locator("#cases > tbody > tr:not(.hidden)")
        assert visible.count() > 0 and set(visible.evaluate_all("rs => rs.map(r => r.dataset.verdict)")) == {"SKIP"}
        browser.close()
    assert errors == []
