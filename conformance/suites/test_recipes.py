"""Every recipe area (vectors/recipes/*.json) against the target: CBOR, RESP, CDATA, ATTOBJ, AUTHDATA, COSE,
SIG, ALG, NONE, PACKED, CHAIN, U2F. One case per recipe, its stable ID as the pytest id."""

from __future__ import annotations

import pytest
from fidoconf.conformance.cases import all_recipe_files, load_recipes, params
from fidoconf.conformance.recipes import run_recipe

RECIPES = [recipe for path in all_recipe_files() for recipe in load_recipes(path.stem)]


@pytest.mark.parametrize("recipe", params(RECIPES))
def test_recipe(fidoconf, recipe, fidoconf_record):
    run_recipe(fidoconf, recipe, fidoconf_record)
