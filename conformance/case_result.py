"""One case's result, built on the worker that ran it from pytest's report and what the case recorded.

Conformance findings are AssertionErrors (a recipe's expected-vs-actual check, a profile's protocol check) or
pytest.fail; anything else raised while running a case (a transport error, a timeout, a bug in the suite) is the
suite's fault and becomes ERROR with its traceback, so a target is never blamed for it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .config import SuiteConfig
from .decode import decode_credential, find_credential
from .report import DETAILED, level_of, one_line_reason, reproduction, source_of, verdict_for

#: What a hand-written case (no recorded expectation) is taken to expect, by its ID's kind letter.
_KIND_EXPECT = {"P": "conform", "F": "reject", "I": "record"}
#: Areas whose cases check the reference verifier on recorded/generated vectors, never the target.
REFERENCE_AREAS = frozenset({"VECR", "VECG"})
#: Longest assertion message kept as the actual outcome of a hand-written case.
_MESSAGE_LIMIT = 2000


def _is_finding(excinfo: pytest.ExceptionInfo[BaseException] | None) -> bool:
    if excinfo is None:
        return True
    return isinstance(excinfo.value, AssertionError | pytest.fail.Exception)


def _skip_reason(report: pytest.TestReport) -> str | None:
    if not report.skipped or not isinstance(report.longrepr, tuple):
        return None
    text = str(report.longrepr[2])
    return text.removeprefix("Skipped: ")


def _assertion_message(excinfo: pytest.ExceptionInfo[BaseException] | None) -> str:
    if excinfo is None:
        return ""
    text = str(excinfo.value)
    # pytest's assertion rewriting appends its introspection ("assert False is True") after the case's message.
    head = text.split("\nassert ", 1)[0].strip()
    return (head or text.strip())[:_MESSAGE_LIMIT]


def _exchanges(exchanges: list[dict[str, Any]], *, decode: bool) -> list[dict[str, Any]]:
    if not decode:
        return exchanges
    out = []
    for exchange in exchanges:
        credential = find_credential((exchange.get("request") or {}).get("body"))
        out.append({**exchange, "decoded_credential": decode_credential(credential)} if credential else exchange)
    return out


def _recorded(value: Any) -> Any:
    return value() if callable(value) else value


def case_result(
    *,
    case: dict[str, Any],
    report: pytest.TestReport,
    excinfo: pytest.ExceptionInfo[BaseException] | None,
    recorded: dict[str, Any],
    user_properties: list[tuple[str, Any]],
    exchanges: list[dict[str, Any]],
    config: SuiteConfig,
) -> dict[str, Any]:
    level = level_of(case)
    suite_fault = report.failed and not _is_finding(excinfo)
    verdict = verdict_for(level=level, when=report.when, outcome=report.outcome, suite_fault=suite_fault,
                          strict=config.strict)
    detailed = verdict in DETAILED or verdict == "INFO"
    kind = case["id"].rsplit("-", 1)[1][0]
    expected = recorded.get("expected") or {"outcome": _KIND_EXPECT.get(kind, "conform"), "code": None}
    actual = dict(recorded.get("actual") or {})
    last_status = next((e.get("status") for e in reversed(exchanges) if e.get("status") is not None), None)
    if verdict in ("FAIL", "WARN") and not recorded.get("actual"):
        actual = {"outcome": "did not conform", "http_status": last_status, "code": None,
                  "message": _assertion_message(excinfo)}
    elif verdict in ("FAIL", "WARN"):
        # A recipe's outcome matched the expectation's kind but the refusal reason did not: say so in words.
        message = _assertion_message(excinfo)
        if message and actual.get("outcome") == expected.get("outcome"):
            actual["message"] = f"{actual.get('message') or ''} | {message.splitlines()[-1].strip()}".strip(" |")
    defect = _recorded(recorded.get("defect")) if detailed and recorded.get("defect") else None
    result: dict[str, Any] = {
        "id": case["id"],
        "title": case["title"],
        "area": case["id"].split("-", 1)[0],
        "level": level,
        "verdict": verdict,
        "requirement": case["requirement"],
        "source": source_of(case),
        "defect": defect or {"words": case["title"], "diff": [], "summary": ""},
        "expected": expected,
        "actual": actual or None,
        "exchanges": _exchanges(exchanges, decode=detailed),
        "reproduction": reproduction(config, case["id"]),
        "duration_s": round(report.duration, 4),
        "nodeid": report.nodeid,
        "when": report.when,
        "skip_reason": _skip_reason(report),
        "error": _error(report, excinfo) if verdict == "ERROR" else None,
        "recorded": {name: _jsonable(value) for name, value in user_properties},
    }
    # Reference self-checks (recorded/generated vectors through the reference verifier) say nothing about the
    # target; a case that knows its scope says so, the vector areas are reference by nature.
    result["scope"] = case.get("scope") or recorded.get("scope") or (
        "reference" if result["area"] in REFERENCE_AREAS else "target")
    refusal = case.get("refusal") or recorded.get("refusal")
    if refusal is not None:
        result["refusal"] = _recorded(refusal)
    result["reason"] = one_line_reason(result)
    if isinstance(result.get("refusal"), str) and (verdict != "PASS" or "not verified" in result["refusal"]):
        # The refusal as judged against the reason map says it best: "refused for the wrong reason (...)", or,
        # on a PASS without a map, "refused; reason not verified (...)" with the server's words.
        result["reason"] = result["refusal"]
    return result


def _error(report: pytest.TestReport, excinfo: pytest.ExceptionInfo[BaseException] | None) -> dict[str, Any]:
    return {
        "type": type(excinfo.value).__name__ if excinfo else "Error",
        "message": str(excinfo.value)[:_MESSAGE_LIMIT] if excinfo else "",
        "phase": report.when,
        "traceback": report.longreprtext[-8000:],
    }


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def failure_text(result: dict[str, Any]) -> str:
    """pytest's own failure text for a FAIL: the finding, in the words the reports use (no traceback)."""
    lines = [f"{result['id']} {result['verdict']} ({result['level']}): {result['requirement']}",
             f"  reason:       {result['reason']}"]
    if result["source"].get("url"):
        lines.append(f"  source:       {result['source']['url']}")
    lines.append(f"  reproduce:    {result['reproduction']['command']}")
    return "\n".join(lines)


def junit_properties(result: dict[str, Any]) -> list[tuple[str, str]]:
    """The per-case properties every JUnit file carries (ours and pytest's own --junitxml)."""
    return [
        ("id", result["id"]),
        ("level", result["level"]),
        ("verdict", result["verdict"]),
        ("requirement", result["requirement"]),
        ("source", result["source"].get("url") or result["source"].get("fido") or ""),
    ]
