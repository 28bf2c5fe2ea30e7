"""Helpers for driving the reference RP in tests: a settable clock and response validation against the schemas.

Used by fidoconf's own tests (tests/test_rp_*.py); nothing here is used when the RP serves real traffic.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

SCHEMA_ROOT = Path(__file__).resolve().parents[2] / "schemas" / "api"


class ManualClock:
    """An aware-UTC clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@cache
def validator(flavour: str, name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMA_ROOT / flavour / f"{name}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def schema_errors(flavour: str, name: str, value: Any) -> list[str]:
    found = validator(flavour, name).iter_errors(value)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in found]


def assert_valid(flavour: str, name: str, value: Any) -> None:
    problems = schema_errors(flavour, name, value)
    assert not problems, f"{flavour}/{name}: {problems}"
