"""Every registration row of the FIDO conformance tool (Req-1, Resp-1..Resp-B) maps to fidoconf case IDs, or to
a written reason why the suite cannot test it on a target (vectors/fido_mapping.json)."""

from __future__ import annotations

from fidoconf.conformance.cases import load_ledger
from fidoconf.conformance.data_files import fido_mapping_rows

ROWS = {
    "Req-1": ["P-1", "P-2", "P-3", "P-4"],
    "Resp-1": ["P-1"] + [f"F-{i}" for i in range(1, 16)],
    "Resp-2": [f"F-{i}" for i in range(1, 18)],
    "Resp-3": ["P-1"] + [f"F-{i}" for i in range(1, 20)],
    "Resp-4": [f"P-{i}" for i in range(1, 13)],
    "Resp-5": [f"P-{i}" for i in range(1, 6)] + [f"F-{i}" for i in range(1, 15)],
    "Resp-6": ["P-1", "F-1", "F-2", "F-3"],
    "Resp-7": ["P-1", "P-2", "F-1"],
    "Resp-8": ["P-1", "F-1", "F-2"],
    # MakeCredential: Platform Attestations (tpm, android-key) and the legacy android-safetynet rows.
    "Resp-9": [f"P-{i}" for i in range(1, 5)] + [f"F-{i}" for i in range(1, 5)],
    "Resp-A": ["P-1", "F-1", "F-2", "F-3"],
    "Resp-B": ["P-1"] + [f"F-{i}" for i in range(1, 8)],
}
#: Rows whose check is an RP policy choice (SHA-1, device integrity, maximum age): judged per preset in-process.
POLICY_ROWS = {"Resp-9 P-2", "Resp-B F-5", "Resp-B F-7"}


def mapping() -> dict:
    return fido_mapping_rows()


def test_every_row_has_ids_or_a_reason():
    rows = mapping()
    expected = {f"{suite} {row}" for suite, names in ROWS.items() for row in names}
    assert set(rows) == expected
    assert [k for k, v in rows.items() if not v["ids"] and not v.get("note")] == []


def test_mapped_ids_exist():
    ledger = load_ledger()
    assert sorted({i for v in mapping().values() for i in v["ids"]} - set(ledger)) == []


def test_platform_attestation_rows_map_to_cases_that_test_the_target():
    """tpm, android-key and SafetyNet rows name live FMT-* cases (built for the server's challenge), not vectors the
    reference verifier checks in-process; the policy rows say why they cannot."""
    for key, row in mapping().items():
        if key.split()[0] not in ("Resp-9", "Resp-A", "Resp-B"):
            continue
        if key in POLICY_ROWS:
            assert row.get("note"), key
            continue
        assert row["ids"] and all(i.startswith("FMT-") for i in row["ids"]), key
