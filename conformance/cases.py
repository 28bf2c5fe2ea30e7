"""Conformance cases: stable IDs with their requirement, spec anchor, FIDO tool cross-reference and severity.

Every case is a `Case` value attached to a test by `case(Case(...))` (one test or one parameter) or `params([...])`
(a list): recipes (vectors/recipes/<area>.json: base + one defect + expected outcome), the format cases and the
vector cases are built from data, hand-written tests declare theirs inline. Capability and profile gating both read
the Case (`unmet`). Every ID is recorded in vectors/ledger.json, which only grows:
an ID keeps its meaning forever (tests/test_ledger.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .authenticator import requirements
from .authenticator.defects import registry
from .authenticator.mutations import Mutation
from .data import vectors_dir

RECIPES_DIR = vectors_dir() / "recipes"
LEDGER = vectors_dir() / "ledger.json"
ID_PATTERN = re.compile(r"^[A-Z0-9]+-[A-Z0-9]+-[PFI][0-9]{2}$")
#: MUST: a normative text requires the RP to do or refuse it (quoted in the case); SHOULD: SHOULD text; STRICT:
#: fidoconf's own hardening beyond those texts (WARN, FAIL under --strict); INFO: recorded, not judged.
SEVERITIES = ("MUST", "SHOULD", "STRICT", "INFO")
#: The words by which a quoted sentence requires something of the RP (tests/test_case_sources.py holds every MUST
#: case to one of them, a FIDO test ID or the seed API's documentation).
REQUIREMENT_KEYWORD = re.compile(
    r"\bMUST\b|\bSHALL\b|\bREQUIRED\b|\bVerify\b|verify that|[Vv]alidate that|[Cc]heck that|\bfail\b|"
    r"terminate this algorithm"
)
#: The registration procedure's own MUST, for a step quoted without a keyword of its own.
PROCEDURE = requirements.PROCEDURE
#: The verifier preset live recipes are graded under (a defect's `outcomes` say how other presets differ).
LIVE_PRESET = "strict"
#: Recipe members a catalogued defect supplies; a recipe that names a `mutation` must not repeat them.
DEFECT_FIELDS = ("title", "requirement", "anchor", "severity")
#: Step 21, for a format case whose statement passes every step of its format's procedure.
FORMAT_STEP = ("Verify that attStmt is a correct attestation statement, conveying a valid attestation signature, by "
               "using the attestation statement format fmt's verification procedure given attStmt, authData and hash")


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    requirement: str
    anchor: str
    fido_ref: str | None = None
    severity: str = "MUST"
    #: Capabilities the target must declare ("!name": must not declare) for the case to run; SKIPPED otherwise.
    requires: tuple[str, ...] = ()
    #: The API flavour(s) (profile) the case speaks; a target run with another profile SKIPs it. None: any profile.
    profile: str | tuple[str, ...] | None = None
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
    def profiles(self) -> tuple[str, ...]:
        """The profiles the case speaks; empty: every profile."""
        if self.profile is None:
            return ()
        return (self.profile,) if isinstance(self.profile, str) else tuple(self.profile)

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


#: What a profile-gated case is about, for the SKIP reason.
PROFILE_APIS = {
    "nevis-cloud": "Nevis Authentication Cloud lifecycle",
    "fido-server": "fido-server API",
    "skfs": "StrongKey FIDO Server REST API",
}


def case(found: Case) -> pytest.MarkDecorator:
    """Attach a case to a hand-written test (`@case(Case(...))`) or to one parameter (`marks=case(Case(...))`);
    `params` does the same for a list of cases. The plugin gates every attached case the same way (`unmet`)."""
    return pytest.mark.fidoconf(found)


def unmet(found: Case, *, declares: Callable[[str], bool], profile: str) -> str | None:
    """Why `found` does not apply to a target (the SKIP reason), or None when it does: the capabilities it requires
    first, then the profile it speaks."""
    missing = [cap for cap in found.requires if not declares(cap)]
    if missing:
        lacking = [cap for cap in missing if not cap.startswith("!")]
        present = [cap[1:] for cap in missing if cap.startswith("!")]
        parts = [f"target does not declare capability {', '.join(lacking)}"] if lacking else []
        parts += [f"target declares {', '.join(present)}, for which this case does not hold"] if present else []
        return "; ".join(parts)
    speaks = found.profiles
    if speaks and profile not in speaks:
        apis = " / ".join(PROFILE_APIS.get(name, name) for name in speaks)
        return f"{apis}: profile is not {' or '.join(speaks)}"
    return None


def live_outcome(defect: Mutation, *, preset: str) -> tuple[str, str | None]:
    """(expect, expected_code) of a catalogued defect under a verifier preset: its `outcomes` entry for that
    preset when it has one, else its own expectation."""
    other = (defect.outcomes or {}).get(preset)
    if other is not None:
        return other["expect"], other.get("expected_code")
    return defect.expect, defect.expected_code


def resolve_recipe(recipe: Mapping[str, Any], defects: Mapping[str, Mutation]) -> Case:
    """A recipe as a Case. A recipe naming a catalogued defect takes its title, requirement, anchor, level and code
    from the defect (their single home); it may set `expected_code` only to say what the live target is graded on
    when that differs from the defect's outcome under LIVE_PRESET (null: the target is not configured with the
    defect's policy, so only the refusal is judged)."""
    fields = dict(recipe)
    name = fields.get("mutation")
    if name is not None:
        defect = defects[name]
        clash = [f for f in DEFECT_FIELDS if f in fields]
        if clash:
            raise ValueError(f"{fields['id']}: {clash} belong to defect {name!r}, not to the recipe")
        if defect.level is None:
            raise ValueError(f"{fields['id']}: defect {name!r} has no level to grade a live case at")
        fields.update(title=defect.description, requirement=defect.requirement, anchor=defect.anchor,
                      severity=defect.level)
        if "expected_code" not in fields:
            expect, code = live_outcome(defect, preset=LIVE_PRESET)
            fields["expected_code"] = code if fields.get("expect") == expect == "reject" else None
    fields.setdefault("expected_code", None)
    return Case(**{**fields, "requires": tuple(fields.get("requires") or ()), "edits": tuple(fields.get("edits") or ())})


def load_recipes(area: str) -> list[Case]:
    data = json.loads((RECIPES_DIR / f"{area}.json").read_text(encoding="utf-8"))
    defects = registry()
    return [resolve_recipe(recipe, defects) for recipe in data["recipes"]]


def all_recipe_files() -> Iterator[Path]:
    return iter(sorted(RECIPES_DIR.glob("*.json")))


def params(cases: list[Case]) -> list[Any]:
    """pytest parameters with `ids=` the stable IDs and the case attached as a mark."""
    return [pytest.param(c, id=c.id, marks=case(c)) for c in cases]


def load_ledger() -> dict[str, dict[str, Any]]:
    if not LEDGER.exists():
        return {}
    return json.loads(LEDGER.read_text(encoding="utf-8"))["ids"]
