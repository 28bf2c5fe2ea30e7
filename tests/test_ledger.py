"""vectors/ledger.json is append-only and complete: every case ID is recorded once, keeps its meaning, and
every recorded ID still names a case (or is marked retired)."""

from __future__ import annotations

import json
from collections import Counter

from fidoconf.conformance.cases import ID_PATTERN, LEDGER, all_recipe_files
from fidoconf.conformance.ledger import recipe_entries, vector_files, vector_key
from fidoconf.conformance.suites import hand_written_cases


def ledger() -> dict:
    return json.loads(LEDGER.read_text())["ids"]


def test_ids_are_well_formed():
    assert [i for i in ledger() if not ID_PATTERN.match(i)] == []


def test_no_id_is_used_twice():
    ids = [r["id"] for p in all_recipe_files() for r in json.loads(p.read_text())["recipes"]]
    ids += list(hand_written_cases())
    assert [i for i, n in Counter(ids).items() if n > 1] == []


def test_every_case_is_recorded_with_its_title():
    recorded = ledger()
    current = {**recipe_entries(), **hand_written_cases()}
    missing = sorted(set(current) - set(recorded))
    assert missing == [], f"unrecorded IDs (run `python -m fidoconf.conformance.ledger sync`): {missing}"
    renamed = sorted(i for i, e in current.items() if recorded[i]["title"] != e["title"])
    assert renamed == [], f"IDs whose meaning changed (issue a new ID instead): {renamed}"


def test_every_vector_has_an_id():
    recorded = {e["vector"] for e in ledger().values() if "vector" in e}
    missing = sorted(vector_key(p) for p in vector_files() if vector_key(p) not in recorded)
    assert missing == [], f"vectors without an ID (run `python -m fidoconf.conformance.ledger sync`): {missing[:10]}"


def test_recorded_ids_still_name_a_case():
    current = set(recipe_entries()) | set(hand_written_cases())
    vectors = {vector_key(p) for p in vector_files()}
    dangling = sorted(
        i for i, e in ledger().items()
        if not e.get("retired") and (e.get("vector") not in vectors if "vector" in e else i not in current)
    )
    assert dangling == [], f"IDs whose case disappeared (mark them retired, never delete): {dangling}"
