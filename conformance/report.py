"""The case result (the one record every report renders) and the run's report directory.

A case result says what was required (level, requirement, source), what the suite did (the defect, in words and
as a decoded diff), what it expected and what the target answered, the HTTP exchanges and how to reproduce it.
The run directory holds index.json (run header, totals, one summary entry per case), cases/<ID>.json (the full
result), junit.xml (junit.py) and report.html (report_html.py); all are written from the same results.

Verdicts: PASS, FAIL (a MUST does not hold), WARN (a SHOULD or STRICT does not hold; FAIL under --strict), SKIP
(not applicable, with the reason), INFO (recorded, not judged) and ERROR (the suite or the transport broke: never
blamed on the target). Only ERROR carries a traceback.
"""

from __future__ import annotations

import json
import re
import shlex
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fidoconf.verifier import __version__

from .config import REFERENCE_CAPABILITIES, SuiteConfig
from .data import schemas_dir

VERDICTS = ("PASS", "FAIL", "WARN", "SKIP", "INFO", "ERROR")
#: Levels a case may carry; WARN comes from the ones fidoconf does not fail a target on by default.
WARN_LEVELS = ("SHOULD", "STRICT")
RESULT_PROPERTY = "fidoconf_result"
INDEX_SCHEMA = schemas_dir() / "report" / "index.schema.json"
CASE_SCHEMA = schemas_dir() / "report" / "case.schema.json"
SPEC_BASE = "https://www.w3.org/TR/webauthn-3/"
#: Index fields copied from each case result (the rest lives in cases/<ID>.json).
INDEX_FIELDS = (
    "id", "title", "area", "level", "verdict", "reason", "requirement", "source", "duration_s", "nodeid", "scope",
)
DETAILED = frozenset({"FAIL", "WARN", "ERROR"})


def level_of(case: dict[str, Any]) -> str:
    return case.get("level") or case.get("severity") or "MUST"


def verdict_for(*, level: str, when: str, outcome: str, suite_fault: bool, strict: bool) -> str:
    """pytest's outcome of one phase → the case's verdict. `suite_fault`: the exception was not a conformance
    finding (not an AssertionError / pytest.fail), i.e. the suite or the transport broke."""
    if outcome == "passed":
        return "INFO" if level == "INFO" else "PASS"
    if outcome == "skipped":
        return "SKIP"
    if when != "call" or suite_fault:
        return "ERROR"
    if level in WARN_LEVELS and not strict:
        return "WARN"
    return "FAIL"


def source_of(case: dict[str, Any]) -> dict[str, Any]:
    """Where the requirement is written: a spec anchor (with its URL), a quoted sentence, a FIDO test ID."""
    given = case.get("source") if isinstance(case.get("source"), dict) else {}
    anchor = given.get("anchor") or case.get("anchor") or ""
    url = given.get("url") or (SPEC_BASE + anchor if anchor.startswith("#") else anchor or None)
    return {
        "anchor": anchor,
        "url": url,
        "quote": given.get("quote") or given.get("sentence"),
        "fido": given.get("fido") or given.get("fido_id") or case.get("fido_ref"),
    }


def reproduction(config: SuiteConfig, case_id: str) -> dict[str, Any]:
    """A command that runs this one case again against the same target, the same way."""
    argv = ["fidoconf", "run", "--id", case_id, "-n", "0"]
    if not config.inprocess:
        argv += ["--target", config.target]
    argv += ["--profile", config.profile]
    config_file = config.extra.get("config_file")
    if config_file:
        argv += ["--config", str(config_file)]
    if config.extra.get("control"):
        argv += ["--control", config.extra["control"]]
    seed = getattr(config, "seed", None) or config.extra.get("seed")
    if seed:
        argv += ["--seed", str(seed)]
    if config.strict:
        argv.append("--strict")
    return {"argv": argv, "command": shlex.join(argv)}


def one_line_reason(result: dict[str, Any]) -> str:
    """What a console line or a collapsed report row says about a non-PASS case."""
    verdict = result["verdict"]
    if verdict == "SKIP":
        return result.get("skip_reason") or "skipped"
    if verdict == "ERROR":
        error = result.get("error") or {}
        return f"suite error (not the target's fault): {error.get('type', '')}: {_first_line(error.get('message'))}"
    if verdict == "INFO":
        actual = result.get("actual") or {}
        seen = actual.get("outcome") or ", ".join(f"{k}={json.dumps(v)}" for k, v in (result.get("recorded") or {}).items()
                                                  if k not in ("id", "level", "verdict", "requirement", "source"))
        return _first_line(f"recorded: {seen or 'nothing'}")
    if verdict == "PASS":
        return ""
    expected, actual = result.get("expected") or {}, result.get("actual") or {}
    text = f"expected {_outcome(expected)}, got {_outcome(actual)}"
    if actual.get("message") and actual.get("outcome") not in ("accept", "reject"):
        text = f"{text}: {_first_line(actual['message'])}"
    words = (result.get("defect") or {}).get("words")
    return f"{text} — {words}" if words and words != result.get("title") else text


def _outcome(part: dict[str, Any]) -> str:
    text = part.get("outcome") or "?"
    if part.get("code"):
        text += f" ({part['code']})"
    if part.get("http_status") is not None:
        text += f" [HTTP {part['http_status']}]"
    return text


def _first_line(text: Any, width: int = 160) -> str:
    line = str(text or "").strip().splitlines()[0] if str(text or "").strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text.replace("://", "-")).strip("-").lower() or "target"


def run_header(config: SuiteConfig) -> dict[str, Any]:
    declared = config.capabilities if config.capabilities is not None else REFERENCE_CAPABILITIES[config.profile]
    rp = config.extra.get("rp") if isinstance(config.extra.get("rp"), dict) else {}
    return {
        "target": config.target,
        "profile": config.profile,
        "strict": config.strict,
        "capabilities": sorted(declared),
        "policy": config.extra.get("policy") or rp.get("policy") or ("reference RP default" if config.inprocess
                                                                    else "declared by the target"),
        "seed": str(getattr(config, "seed", None) or config.extra.get("seed") or "") or None,
        "control": config.extra.get("control"),
    }


def summarize(cases: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`totals` counts the target's cases only; `reference` the reference verifier's self-checks on vectors
    (hundreds of PASSes that say nothing about the target)."""
    by_area: dict[str, dict[str, int]] = {}
    by_scope: dict[str, dict[str, int]] = {scope: {v: 0 for v in VERDICTS} for scope in ("target", "reference")}
    for entry in cases.values():
        by_area.setdefault(entry["area"], {v: 0 for v in VERDICTS})[entry["verdict"]] += 1
        by_scope[entry.get("scope") or "target"][entry["verdict"]] += 1
    return {"totals": by_scope["target"], "reference": by_scope["reference"], "by_area": dict(sorted(by_area.items())),
            "by_scope": by_scope}


class ReportWriter:
    """Hears every case result on the pytest controller (also under xdist) and writes the run directory."""

    def __init__(self, directory: Path, config: SuiteConfig) -> None:
        self.directory = directory
        self.config = config
        self.started = datetime.now(UTC)
        self.clock_start = time.perf_counter()
        self.cases: dict[str, dict[str, Any]] = {}

    @classmethod
    def create(cls, base: str | Path, config: SuiteConfig) -> ReportWriter:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        directory = Path(base) / f"{_slug(config.target)}-{config.profile}-{stamp}"
        (directory / "cases").mkdir(parents=True, exist_ok=True)
        return cls(directory, config)

    # pytest hook, registered as a plugin object: runs on the controller for every phase's report.
    def pytest_runtest_logreport(self, report: Any) -> None:
        for name, value in report.user_properties:
            if name == RESULT_PROPERTY:
                self.record(json.loads(value))

    def record(self, result: dict[str, Any]) -> None:
        self.cases[result["id"]] = {k: result[k] for k in INDEX_FIELDS if k in result}
        path = self.directory / "cases" / f"{result['id']}.json"
        path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    def index(self) -> dict[str, Any]:
        return {
            "fidoconf": __version__,
            "run": {
                **run_header(self.config),
                "started": self.started.isoformat(),
                "duration_s": round(time.perf_counter() - self.clock_start, 3),
            },
            "summary": summarize(self.cases),
            "cases": dict(sorted(self.cases.items())),
        }

    def pytest_sessionfinish(self, session: Any, exitstatus: int) -> None:
        if self.cases:
            self.finish()

    def finish(self) -> Path:
        from .junit import write_junit
        from .report_html import write_html

        index = self.index()
        path = self.directory / "index.json"
        path.write_text(json.dumps(index, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        details = load_details(self.directory, index)
        write_junit(self.directory / "junit.xml", index=index, details=details)
        write_html(self.directory / "report.html", index=index, details=details)
        return path


def load_details(directory: Path, index: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The full results of the cases the reports detail (not PASS: their exchanges stay in cases/*.json)."""
    return {
        case_id: json.loads((directory / "cases" / f"{case_id}.json").read_text(encoding="utf-8"))
        for case_id, entry in index["cases"].items()
        if entry["verdict"] != "PASS"
    }
