"""The defect registry: every catalogued defect by its stable name, one `Mutation` record each, with its title,
quoted requirement, anchor, level and expected code per preset. `registry()` lists them all: the stage mutations
(any format variant) and the format builders' records (tpm, android-key, android-safetynet, apple, compound: their
valid shapes and single defects). `stage_mutations()` and `format_defects()` are filtered views of it.

It lives apart from `mutations.py` (the Mutation type) because the catalogues import that type: with the registry
in the same module, mutations and the catalog_* modules imported each other.
"""

from __future__ import annotations

from . import (
    catalog_attobj,
    catalog_authdata,
    catalog_cbor,
    catalog_client,
    catalog_cose,
    catalog_credential,
    catalog_packed,
    catalog_statements,
)
from .formats_safetynet_apple_compound import apple, compound, safetynet
from .formats_tpm_android import android_key_cases, tpm_cases
from .mutations import Mutation

#: In registry order, which the fuzzer draws from (a seed replays only while the order stays): append, never reorder.
_STAGE_CATALOGUES = (
    catalog_cbor,
    catalog_attobj,
    catalog_authdata,
    catalog_cose,
    catalog_statements,
    catalog_packed,
    catalog_client,
    catalog_credential,
)
_FORMAT_CATALOGUES = (tpm_cases, android_key_cases, safetynet, apple, compound)


def registry() -> dict[str, Mutation]:
    """Every defect by name, stage mutations first; names are unique and stable (they become vector file names and
    test IDs, and conformance/format_cases.py maps format records to live IDs)."""
    found: dict[str, Mutation] = {}
    for module in _STAGE_CATALOGUES + _FORMAT_CATALOGUES:
        for mutation in module.MUTATIONS:
            if mutation.name in found:
                raise ValueError(f"duplicate mutation name {mutation.name!r}")
            found[mutation.name] = mutation
    return found


def stage_mutations() -> dict[str, Mutation]:
    """The records that edit build stages (hooks or make_credential options), for any format variant."""
    return {name: m for name, m in registry().items() if not m.builder_defect}


def format_defects() -> dict[str, Mutation]:
    """The format builders' records (valid shapes and single defects), each made by its builder's shape or edits."""
    return {name: m for name, m in registry().items() if m.builder_defect}
