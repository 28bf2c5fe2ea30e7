"""One home for a defect's title, requirement, anchor, level and code: the catalogue (conformance/authenticator).

Recipes (vectors/recipes/*.json) name a defect and add only what is about the live run (base, expect, requires,
fido_ref); these tests keep the two from drifting apart again (issue 17 measured 9 codes and 2 requirements that
had).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fidoconf.conformance.authenticator.defects import registry
from fidoconf.conformance.cases import (
    DEFECT_FIELDS,
    LIVE_PRESET,
    SEVERITIES,
    all_recipe_files,
    live_outcome,
    load_recipes,
    resolve_recipe,
)
from fidoconf.conformance.data import schemas_dir
from jsonschema import Draft202012Validator

RECIPE_FILES = list(all_recipe_files())
DEFECTS = registry()


def _recipes(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["recipes"]


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads((schemas_dir() / "vectors" / "recipes.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@pytest.mark.parametrize("path", RECIPE_FILES, ids=lambda p: p.name)
def test_recipe_file_matches_the_schema(path: Path, validator: Draft202012Validator):
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(json.loads(path.read_text()))]
    assert errors == []


def test_the_schema_refuses_a_recipe_that_repeats_its_defect(validator: Draft202012Validator):
    recipe = {"id": "X-Y-F01", "base": {"variant": "none", "alg": "ES256"}, "mutation": "cose-x-short",
              "expect": "reject", "severity": "MUST"}
    assert not validator.is_valid({"area": "X", "title": "t", "recipes": [recipe]})
    del recipe["severity"]
    assert validator.is_valid({"area": "X", "title": "t", "recipes": [recipe]})


@pytest.mark.parametrize("path", RECIPE_FILES, ids=lambda p: p.name)
def test_every_recipe_agrees_with_its_defect(path: Path):
    disagreements = []
    for recipe in _recipes(path):
        name = recipe.get("mutation")
        if name is None:
            continue
        defect = DEFECTS.get(name)
        if defect is None:
            disagreements.append((recipe["id"], "unknown defect", name))
            continue
        disagreements += [(recipe["id"], "repeats", f) for f in DEFECT_FIELDS if f in recipe]
        if defect.level not in SEVERITIES:
            disagreements.append((recipe["id"], "level", defect.level))
        codes = {defect.expected_code} | {o.get("expected_code") for o in (defect.outcomes or {}).values()}
        if recipe.get("expected_code") is not None and recipe["expected_code"] not in codes:
            disagreements.append((recipe["id"], "code", recipe["expected_code"]))
    assert disagreements == []


def test_a_recipe_repeating_its_defect_is_refused():
    recipe = {"id": "X-Y-F01", "base": {"variant": "none", "alg": "ES256"}, "mutation": "cose-x-short",
              "expect": "reject", "title": "mine"}
    with pytest.raises(ValueError, match="belong to defect"):
        resolve_recipe(recipe, DEFECTS)


def test_resolved_cases_carry_the_defects_text_level_and_code():
    cases = [c for p in RECIPE_FILES for c in load_recipes(p.stem) if c.mutation is not None]
    assert len(cases) == 225
    for c in cases:
        defect = DEFECTS[c.mutation]
        assert (c.title, c.requirement, c.anchor, c.severity) == (
            defect.description, defect.requirement, defect.anchor, defect.level
        )
    # The code graded live is the defect's outcome under the live preset, except where a recipe overrides it for a
    # target not configured with the defect's policy.
    overridden = sorted(
        c.id for c in cases
        if c.expected_code != (lambda e, code: code if c.expect == e == "reject" else None)(
            *live_outcome(DEFECTS[c.mutation], preset=LIVE_PRESET)
        )
    )
    assert overridden == ["AUTHDATA-AD-F05", "CDATA-CD-F19", "COSE-KEY-F35"]


def test_a_recipe_takes_its_code_from_its_defect():
    codes = {c.id: c.expected_code for c in load_recipes("resp")}
    assert codes["RESP-JSON-F11"] == "credential.transports.invalid"


def test_one_registry_holds_stage_and_format_defects_as_one_record_type():
    from fidoconf.conformance.authenticator.defects import format_defects, stage_mutations
    from fidoconf.conformance.authenticator.mutations import PRESETS, Mutation

    stage, formats = stage_mutations(), format_defects()
    assert set(stage) | set(formats) == set(DEFECTS) and not set(stage) & set(formats)
    assert all(type(m) is Mutation for m in DEFECTS.values())
    assert {m.fmt for m in formats.values()} == {"tpm", "android-key", "android-safetynet", "apple", "compound"}
    for m in formats.values():
        # A format record is made by its builder's recipe alone, states a verdict under every preset and, without a
        # policy of its own, expects under strict what its strict outcome says.
        assert (m.hooks, m.formats, set(m.outcomes), m.level) == ({}, (m.fmt,), set(PRESETS), "MUST"), m.name
        assert m.policy is not None or m.outcomes["strict"].get("expected_code") == m.expected_code, m.name
