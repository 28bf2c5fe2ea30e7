"""The defect registry: every catalogued defect by its stable name, with its title, quoted requirement, anchor, level
and expected code per preset. Stage mutations (`registry()`, any format variant) and the format builders' defects
(`format_defects()`: tpm, android-key, android-safetynet, apple, compound recipes and stage edits) are both here.

It lives apart from `mutations.py` (the Mutation type) because the catalogues import that type: with the registry
in the same module, mutations and the catalog_* modules imported each other.
"""

from __future__ import annotations

from . import catalog_authdata, catalog_cbor, catalog_client, catalog_cose, catalog_packed, catalog_statements
from .formats_safetynet_apple_compound import apple, compound, safetynet
from .formats_tpm_android import android_key_cases, tpm_cases
from .mutations import Mutation
from .vector_case import VectorCase


def registry() -> dict[str, Mutation]:
    """Every mutation by name; names are unique and stable (they become vector file names and test IDs)."""
    found: dict[str, Mutation] = {}
    for module in (catalog_cbor, catalog_authdata, catalog_cose, catalog_statements, catalog_packed, catalog_client):
        for mutation in module.MUTATIONS:
            if mutation.name in found:
                raise ValueError(f"duplicate mutation name {mutation.name!r}")
            found[mutation.name] = mutation
    return found


def format_defects() -> dict[str, VectorCase]:
    """Every format builder case (valid shapes and single defects) by name; names are unique and stable (they are
    vector file names, and conformance/format_cases.py maps them to live IDs)."""
    found: dict[str, VectorCase] = {}
    for module in (tpm_cases, android_key_cases, safetynet, apple, compound):
        for case in module.CASES:
            if case.id in found:
                raise ValueError(f"duplicate format case {case.id!r}")
            found[case.id] = case
    return found
