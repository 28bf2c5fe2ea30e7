"""The suite's own data files (vectors/ledger.json, controls.json, fido_mapping.json), read only through their schema.

A hand edit that breaks one of these files would otherwise surface far away, as a KeyError in a loader or a case that
silently disappears. Each file is checked against schemas/vectors/<name>.schema.json when it is read, and the error
names the file and the JSON pointer of the first violation.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from .data import schemas_dir, vectors_dir

#: Data file (relative to vectors/) -> its schema (relative to schemas/).
SCHEMA_OF = {
    "ledger.json": "vectors/ledger.schema.json",
    "controls.json": "vectors/controls.schema.json",
    "fido_mapping.json": "vectors/fido_mapping.schema.json",
}


class DataFileInvalid(ValueError):
    """A shipped data file does not match its schema (or is not JSON): a broken checkout or a bad hand edit."""

    def __init__(self, *, file: str, pointer: str, problem: str, schema: str) -> None:
        self.file, self.pointer, self.problem, self.schema = file, pointer, problem, schema
        super().__init__(f"vectors/{file} at {pointer or '/'}: {problem} (schema: schemas/{schema})")


@cache
def _validator(schema: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((schemas_dir() / schema).read_text(encoding="utf-8")))


def json_pointer(path: Any) -> str:
    """RFC 6901 pointer of a jsonschema error path ('~' and '/' escaped)."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def check(name: str, value: Any) -> None:
    """Raise DataFileInvalid for the first schema violation of `value` as the content of vectors/<name>."""
    schema = SCHEMA_OF[name]
    errors = sorted(_validator(schema).iter_errors(value), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise DataFileInvalid(file=name, pointer=json_pointer(first.absolute_path), problem=first.message + more,
                              schema=schema)


def load(name: str, *, directory: Path | None = None) -> Any:
    """Read vectors/<name> (or <directory>/<name>) and check it against its schema."""
    path = (directory or vectors_dir()) / name
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataFileInvalid(file=name, pointer="", problem=f"not readable JSON: {exc}", schema=SCHEMA_OF[name]) from exc
    check(name, value)
    return value


def fido_mapping_rows() -> dict[str, dict[str, Any]]:
    """vectors/fido_mapping.json: each FIDO tool registration row -> {fido_ref, ids, note?}."""
    return load("fido_mapping.json")["rows"]
