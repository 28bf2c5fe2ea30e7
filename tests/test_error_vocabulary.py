"""The error vocabulary is closed, well formed, exported, and every code is asserted by some test.

"Asserted" is checked from the sources: a code counts when a test names it (`Code.NAME` or its dotted value)
or a vector/recipe file expects it (`expected_code`), and those vectors are run by test_vectors_verify.py.
`internal.unexpected.error` is the one code no test may expect: the fuzz tests assert it never happens.
"""

from __future__ import annotations

import json
import re

from fidoconf.verifier.errors import Code
from fidoconf.verifier.rp.errors import RpCode

from .conftest import ROOT

GRAMMAR = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+$")


VOCABULARIES = {"errors.json": Code, "rp_errors.json": RpCode}


def test_codes_follow_the_grammar_and_are_unique():
    values = [c.value for c in Code] + [c.value for c in RpCode]
    assert len(values) == len(set(values))  # also: no code is in both vocabularies
    assert [v for v in values if not GRAMMAR.match(v)] == []


def test_exported_vocabularies_match_the_enums():
    for name, codes in VOCABULARIES.items():
        exported = json.loads((ROOT / "schemas" / name).read_text())
        assert exported["enum"] == sorted(c.value for c in codes), name


def test_the_verifier_never_raises_an_rp_code():
    # The verifier's vocabulary is what a library user meets; RP codes belong to verifier/rp alone.
    outside_rp = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "verifier").rglob("*.py")
        if "rp" not in path.relative_to(ROOT / "verifier").parts and "RpCode." in path.read_text()
    ]
    assert outside_rp == []


def test_an_rp_code_survives_the_error_type():
    from fidoconf.verifier.errors import fail

    error = fail(RpCode.TOKEN_JWT_EXPIRED, "expired")
    assert error.code is RpCode.TOKEN_JWT_EXPIRED
    assert error.to_json()["code"] == "token.jwt.expired"


def _asserted_codes() -> set[str]:
    found: set[str] = set()
    by_name = {c.name: c.value for c in (*Code, *RpCode)}
    values = set(by_name.values())
    for path in (ROOT / "tests").rglob("*.py"):
        text = path.read_text()
        found.update(by_name[name] for name in re.findall(r"Code\.([A-Z0-9_]+)", text) if name in by_name)
        found.update(v for v in re.findall(r"[\"']([a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+)[\"']", text) if v in values)
    for path in (ROOT / "vectors").rglob("*.json"):
        text = path.read_text()
        found.update(v for v in re.findall(r"\"expected_code\":\s*\"([^\"]+)\"", text) if v in values)
    return found


def test_every_code_is_asserted_by_a_test():
    every = {c.value for c in Code} | {c.value for c in RpCode}
    missing = sorted(every - {Code.INTERNAL_UNEXPECTED.value} - _asserted_codes())
    assert missing == [], f"codes no test asserts: {missing}"
