"""Checks every report test shares: a run directory's index and case files against their schemas."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker

from .conftest import ROOT

SCHEMAS = ROOT / "schemas" / "report"


def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    return Draft202012Validator(schema, format_checker=FormatChecker())


def run_dir(report_base: Path) -> Path:
    found = sorted(report_base.glob("*/index.json"))
    assert len(found) == 1, found
    return found[0].parent


def invalid_case_files(directory: Path) -> dict[str, list[str]]:
    """Schema errors of index.json and of every cases/*.json (empty when all validate), and the FAIL/WARN cases
    that lack expected, actual, defect words or a reproduction."""
    problems: dict[str, list[str]] = {}
    index = json.loads((directory / "index.json").read_text())
    errors = [e.message for e in _validator("index.schema.json").iter_errors(index)]
    if errors:
        problems["index.json"] = errors[:5]
    case_validator = _validator("case.schema.json")
    for path in sorted((directory / "cases").glob("*.json")):
        case = json.loads(path.read_text())
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in case_validator.iter_errors(case)]
        if case["verdict"] in ("FAIL", "WARN"):
            missing = [k for k in ("expected", "actual", "defect", "reproduction") if not case.get(k)]
            errors += [f"{k} missing" for k in missing]
        if errors:
            problems[path.name] = errors[:5]
    assert set(index["cases"]) == {p.stem for p in (directory / "cases").glob("*.json")}
    return problems
