"""vectors/ledger.json: every test ID ever issued, append-only.

`python -m fidoconf.conformance.ledger sync` records the IDs of new recipes, hand-written cases and vectors (vectors get
the next free number of their group: VEC-<FMT>-{P|F}NN); it never renumbers or deletes. An ID whose case
disappeared is kept with `"retired": true`. tests/test_ledger.py fails on a reused, renamed or unrecorded ID.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .cases import ID_PATTERN, LEDGER, all_recipe_files, load_recipes
from .data import vectors_dir
from .data_files import check, load

VECTOR_GROUPS = {
    "none": "NONE",
    "packed-self": "PSELF",
    "packed-x5c": "PFULL",
    "packed": "PACKED",
    "fido-u2f": "U2F",
    "tpm": "TPM",
    "android-key": "AKEY",
    "android-safetynet": "ASN",
    "apple": "APPLE",
    "compound": "COMP",
}


def read() -> dict[str, Any]:
    if not LEDGER.exists():
        return {"ids": {}}
    return load(LEDGER.name, directory=LEDGER.parent)


def write(ledger: dict[str, Any]) -> None:
    ledger["ids"] = dict(sorted(ledger["ids"].items()))
    check(LEDGER.name, ledger)  # refuse to record an entry the next read would reject
    LEDGER.write_text(json.dumps(ledger, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def recipe_entries() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in all_recipe_files():
        for recipe in load_recipes(path.stem):
            found[recipe.id] = {"title": recipe.title, "fido_ref": recipe.fido_ref, "source": path.name}
    return found


def vector_files() -> list[Path]:
    return sorted(
        p for kind in ("real", "generated") for p in (vectors_dir() / kind).glob("*/*.json") if p.parent.name != "trust"
    )


def vector_key(path: Path) -> str:
    return path.relative_to(vectors_dir()).as_posix()


def sync(hand_written: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """Record new IDs; return them. Existing entries are never changed."""
    ledger = read()
    ids: dict[str, dict[str, Any]] = ledger["ids"]
    added = []
    for case_id, entry in {**recipe_entries(), **(hand_written or {})}.items():
        if case_id not in ids:
            ids[case_id] = entry
            added.append(case_id)
    known_vectors = {e["vector"] for e in ids.values() if "vector" in e}
    for path in vector_files():
        key = vector_key(path)
        if key in known_vectors:
            continue
        vector = json.loads(path.read_text(encoding="utf-8"))
        group = VECTOR_GROUPS.get(path.parent.name, path.parent.name.upper().replace("-", ""))
        kind = "P" if vector.get("expect") == "accept" else "F"
        case_id = _next_vector_id(ids, f"VEC{'R' if '/real/' in f'/{key}' else 'G'}", group, kind)
        assert ID_PATTERN.match(case_id), case_id
        ids[case_id] = {"title": vector.get("id") or path.stem, "vector": key}
        added.append(case_id)
    write(ledger)
    return added


def _next_vector_id(ids: dict[str, Any], area: str, group: str, kind: str) -> str:
    """The next free ID of a group; a group of 99 continues as GROUP2, GROUP3, ... (IDs have two digits)."""
    for suffix in ("", *map(str, range(2, 100))):
        prefix = f"{area}-{group}{suffix}-{kind}"
        taken = {int(i[-2:]) for i in ids if i.startswith(prefix)}
        free = [n for n in range(1, 100) if n not in taken]
        if free:
            return f"{prefix}{free[0]:02d}"
    raise ValueError(f"no free ID left for {area}-{group}")


def main(argv: list[str]) -> int:
    if argv[:1] != ["sync"]:
        print("usage: python -m fidoconf.conformance.ledger sync", file=sys.stderr)
        return 2
    from .suites import hand_written_cases

    added = sync(hand_written_cases())
    print(f"ledger: {len(added)} new ID(s)" + (": " + ", ".join(added) if added else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
