"""Conformance cases: stable IDs with their requirement, spec anchor, FIDO tool cross-reference and severity.

A case is either a recipe (data in vectors/recipes/<area>.json: base + one mutation + expected outcome) or a
hand-written test marked with `@case(...)`. Every ID is recorded in vectors/ledger.json, which only grows:
an ID keeps its meaning forever (tests/test_ledger.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .data import vectors_dir

RECIPES_DIR = vectors_dir() / "recipes"
LEDGER = vectors_dir() / "ledger.json"
ID_PATTERN = re.compile(r"^[A-Z0-9]+-[A-Z0-9]+-[PFI][0-9]{2}$")
SEVERITIES = ("MUST", "SHOULD", "INFO")


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    requirement: str
    anchor: str
    fido_ref: str | None = None
    severity: str = "MUST"
    requires: tuple[str, ...] = ()
    #: Recipe fields (absent for hand-written tests).
    base: dict[str, Any] = field(default_factory=dict)
    mutation: str | None = None
    #: Edits the catalogue has no mutation for (JSON values of the wrong type, client data or attStmt fields).
    edits: tuple[dict[str, Any], ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    expect: str | None = None
    expected_code: str | None = None

    @property
    def area(self) -> str:
        return self.id.split("-", 1)[0]

    @property
    def kind(self) -> str:
        return self.id.rsplit("-", 1)[1][0]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "requirement": self.requirement,
            "anchor": self.anchor,
            "fido_ref": self.fido_ref,
            "severity": self.severity,
        }


def case(**fields: Any) -> pytest.MarkDecorator:
    """Mark a hand-written test with its stable case metadata."""
    return pytest.mark.fidoconf(Case(**fields))


def load_recipes(area: str) -> list[Case]:
    data = json.loads((RECIPES_DIR / f"{area}.json").read_text(encoding="utf-8"))
    return [
        Case(**{**recipe, "requires": tuple(recipe.get("requires") or ()), "edits": tuple(recipe.get("edits") or ())})
        for recipe in data["recipes"]
    ]


def all_recipe_files() -> Iterator[Path]:
    return iter(sorted(RECIPES_DIR.glob("*.json")))


def params(cases: list[Case]) -> list[Any]:
    """pytest parameters with `ids=` the stable IDs and the case attached as a mark."""
    return [pytest.param(c, id=c.id, marks=pytest.mark.fidoconf(c)) for c in cases]


def load_ledger() -> dict[str, dict[str, Any]]:
    if not LEDGER.exists():
        return {}
    return json.loads(LEDGER.read_text(encoding="utf-8"))["ids"]
