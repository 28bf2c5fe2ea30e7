"""Verdicts and the run's reports: index.json (ID → verdict, severity, refs, duration) and one JSON per case
with its requirement, the failure text (expected / actual) and every HTTP exchange."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fidoconf.verifier import __version__

from .cases import Case
from .config import SuiteConfig
from .data import schemas_dir

VERDICTS = ("PASS", "FAIL", "WARN", "SKIP", "INFO")
#: target: the case exercised the target; reference: a self-check of the reference verifier (plugin.case_scope).
SCOPES = ("target", "reference")
EXCHANGES_SECTION = "fidoconf HTTP exchanges"
INDEX_SCHEMA = schemas_dir() / "report" / "index.schema.json"
CASE_SCHEMA = schemas_dir() / "report" / "case.schema.json"


def verdict_for(found: Case, report: pytest.TestReport, *, strict: bool) -> str:
    if report.passed:
        return "INFO" if found.severity == "INFO" else "PASS"
    if report.skipped:
        return "SKIP"
    if found.severity in ("SHOULD", "STRICT") and not strict and report.when == "call":
        return "WARN"
    return "FAIL"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text.replace("://", "-")).strip("-").lower() or "target"


class ReportWriter:
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
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        if "fidoconf_verdict" in props:
            self.record(report, props)

    def record(self, report: pytest.TestReport, props: dict[str, Any]) -> None:
        found = json.loads(props["fidoconf_case"])
        verdict = props["fidoconf_verdict"]
        failure = report.longreprtext if report.failed or verdict == "WARN" else ""
        if report.skipped and verdict == "SKIP" and isinstance(report.longrepr, tuple):
            failure = str(report.longrepr[2])
        entry = {
            "id": found["id"],
            "title": found["title"],
            "verdict": verdict,
            "severity": found["severity"],
            "refs": {"fido": found.get("fido_ref"), "spec": found.get("anchor")},
            "duration_s": round(report.duration, 4),
            "nodeid": report.nodeid,
            "scope": props.get("fidoconf_scope", "target"),
        }
        self.cases[found["id"]] = entry
        detail = {
            **entry,
            "requirement": found["requirement"],
            "detail": failure[-8000:],
            # A refusal's reason as the suite judged it (conformance/reasons.py), with the server's words.
            **({"reason": props["reason"]} if "reason" in props else {}),
            "exchanges": next((json.loads(text) for name, text in report.sections if name == EXCHANGES_SECTION), []),
        }
        (self.directory / "cases" / f"{found['id']}.json").write_text(json.dumps(detail, indent=2) + "\n")

    def summary(self) -> dict[str, Any]:
        """`totals` counts the target's cases only; `reference` the reference verifier's self-checks on vectors
        (hundreds of PASSes that say nothing about the target)."""
        totals = {scope: {v: 0 for v in VERDICTS} for scope in SCOPES}
        by_area: dict[str, dict[str, int]] = {}
        for entry in self.cases.values():
            totals[entry["scope"]][entry["verdict"]] += 1
            area = by_area.setdefault(entry["id"].split("-", 1)[0], {v: 0 for v in VERDICTS})
            area[entry["verdict"]] += 1
        return {"totals": totals["target"], "reference": totals["reference"], "by_area": dict(sorted(by_area.items()))}

    def index(self) -> dict[str, Any]:
        return {
            "fidoconf": __version__,
            "run": {
                "target": self.config.target,
                "profile": self.config.profile,
                "strict": self.config.strict,
                "seed": self.config.seed,
                "started": self.started.isoformat(),
                "duration_s": round(time.perf_counter() - self.clock_start, 3),
            },
            "summary": self.summary(),
            "cases": dict(sorted(self.cases.items())),
        }

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.cases:
            self.finish()

    def finish(self) -> Path:
        path = self.directory / "index.json"
        path.write_text(json.dumps(self.index(), indent=2) + "\n")
        return path
