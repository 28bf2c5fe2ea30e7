"""The error vocabulary is closed, well formed, exported, and every code is asserted by some test.

"Asserted" is checked from the sources: a code counts when a test names it (`Code.NAME` or its dotted value)
or a vector/recipe file expects it (`expected_code`), and those vectors are run by test_vectors_verify.py.
`internal.unexpected.error` is the one code no test may expect: the fuzz tests assert it never happens.
"""

from __future__ import annotations

import json
import re

from fidoconf.verifier.errors import Code

from .conftest import ROOT

GRAMMAR = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+$")


def test_codes_follow_the_grammar_and_are_unique():
    values = [c.value for c in Code]
    assert len(values) == len(set(values))
    assert [v for v in values if not GRAMMAR.match(v)] == []


def test_exported_vocabulary_matches_the_enum():
    exported = json.loads((ROOT / "schemas" / "errors.json").read_text())
    assert exported["enum"] == sorted(c.value for c in Code)


def _asserted_codes() -> set[str]:
    found: set[str] = set()
    by_name = {c.name: c.value for c in Code}
    values = {c.value for c in Code}
    for path in (ROOT / "tests").rglob("*.py"):
        text = path.read_text()
        found.update(by_name[name] for name in re.findall(r"Code\.([A-Z0-9_]+)", text) if name in by_name)
        found.update(v for v in re.findall(r"[\"']([a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+)[\"']", text) if v in values)
    for path in (ROOT / "vectors").rglob("*.json"):
        text = path.read_text()
        found.update(v for v in re.findall(r"\"expected_code\":\s*\"([^\"]+)\"", text) if v in values)
    return found


def test_every_code_is_asserted_by_a_test():
    missing = sorted({c.value for c in Code} - {Code.INTERNAL_UNEXPECTED.value} - _asserted_codes())
    assert missing == [], f"codes no test asserts: {missing}"
