"""The defect registry: every catalogued mutation by its stable name.

It lives apart from `mutations.py` (the Mutation type) because the catalogues import that type: with the registry
in the same module, mutations and the catalog_* modules imported each other.
"""

from __future__ import annotations

from . import catalog_authdata, catalog_cbor, catalog_client, catalog_cose, catalog_packed, catalog_statements
from .mutations import Mutation


def registry() -> dict[str, Mutation]:
    """Every mutation by name; names are unique and stable (they become vector file names and test IDs)."""
    found: dict[str, Mutation] = {}
    for module in (catalog_cbor, catalog_authdata, catalog_cose, catalog_statements, catalog_packed, catalog_client):
        for mutation in module.MUTATIONS:
            if mutation.name in found:
                raise ValueError(f"duplicate mutation name {mutation.name!r}")
            found[mutation.name] = mutation
    return found
