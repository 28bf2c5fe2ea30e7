"""The conformance suites. Run them with `fidoconf run` (or `pytest --pyargs fidoconf.conformance.suites` with the plugin
options). Each module is one area; each case has a stable ID recorded in vectors/ledger.json."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any


def hand_written_cases() -> dict[str, dict[str, Any]]:
    """IDs of the `@case`-marked tests, for the ledger (recipes are read from their files)."""
    found: dict[str, dict[str, Any]] = {}
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            for case in _cases_of(getattr(value, "pytestmark", [])):
                if case.base:  # recipes are recorded from their data files
                    continue
                found[case.id] = {"title": case.title, "fido_ref": case.fido_ref, "source": f"suites/{info.name}.py"}
    return found


def _cases_of(marks: list[Any]):
    for mark in marks:
        if mark.name == "fidoconf" and mark.args:
            yield mark.args[0]
        if mark.name == "parametrize":
            for param in mark.args[1]:
                yield from _cases_of(list(getattr(param, "marks", ())))
