"""Where the suite's run-time data lives: `fidoconf.schemas` and `fidoconf.vectors`, found through the import system.

In the repository these are the top-level `schemas/` and `vectors/` folders; in a wheel they are packaged under
the `fidoconf` namespace (pyproject.toml maps them). Either way they are located with importlib, never relative
to a source file, so an installed suite reads the data it was shipped with. Missing data is an error, not an
empty case list: a suite that silently drops cases would report a clean run it never made.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path


class DataMissing(RuntimeError):
    """The installation lacks data the suite reads at run time (a broken or partial install)."""


@cache
def _package_dir(package: str, probe: str) -> Path:
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or ()) if spec is not None else []
    for location in locations:
        path = Path(location)
        if (path / probe).exists():
            return path
    raise DataMissing(
        f"{package} is not installed with its data (looked for {probe!r} in {locations or 'nothing'}); "
        "reinstall fidoconf (pip install fidoconf) or run from a checkout with `pip install -e .`"
    )


def schemas_dir() -> Path:
    """The JSON Schemas: api/<flavour>/*.json, vectors/*.json, report/*.json, errors.json."""
    return _package_dir("fidoconf.schemas", "errors.json")


def vectors_dir() -> Path:
    """The vectors: real/, generated/, recipes/, trust/, mds/, ledger.json, controls.json, fido_mapping.json."""
    return _package_dir("fidoconf.vectors", "ledger.json")
