"""JSON Schema (2020-12) checks of every message the suite sees, against schemas/api/<flavour>/<name>.json."""

from __future__ import annotations

import json
from functools import cache

from jsonschema import Draft202012Validator, FormatChecker

from .data import schemas_dir

SCHEMAS = schemas_dir()


@cache
def validator(flavour: str, name: str) -> Draft202012Validator | None:
    path = SCHEMAS / "api" / flavour / f"{name}.json"
    if not path.exists():
        return None
    return Draft202012Validator(json.loads(path.read_text()), format_checker=FormatChecker())


def errors_of(flavour: str, name: str, value) -> list[str]:
    found = validator(flavour, name)
    if found is None:
        return [f"no schema {flavour}/{name}"]
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in found.iter_errors(value)]


class SchemaViolation(AssertionError):
    """A message that does not match its flavour's schema: a conformance failure of the case that saw it."""


def check_response(target, flavour: str, name: str, response) -> None:
    """Validate a response body against schemas/api/<flavour>/<name>.json; record and raise on violation."""
    try:
        body = response.json()
    except ValueError:
        body = None
    problems = errors_of(flavour, name, body)
    if target.exchanges:
        target.exchanges[-1].schema_errors.extend(f"{name}: {p}" for p in problems)
    if problems:
        raise SchemaViolation(f"{response.request.method} {response.request.url.path} answered a body that violates "
                              f"schemas/api/{flavour}/{name}.json: " + "; ".join(problems[:5]))
