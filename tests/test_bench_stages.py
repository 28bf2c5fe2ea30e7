"""The bench's per-stage table (conformance/bench_stages.py): its shape, and that the stages are the real ones
(a packed self credential has no chain to validate; a packed x5c one does). Timings here mean nothing."""

from __future__ import annotations

import re

import pytest
from fidoconf.conformance import bench, bench_stages
from fidoconf.verifier import Policy

LABELS = ("packed self ES256", "packed x5c ES256")


@pytest.fixture(scope="module")
def workloads():
    return [w for w in bench.build_workloads(3, include_platform=False) if w.label in LABELS]


@pytest.fixture(scope="module")
def rows(workloads):
    return bench_stages.measure_stages(workloads, rounds=1)


def test_every_stage_is_timed_for_every_workload(rows):
    assert [r.label for r in rows] == list(LABELS)
    for row in rows:
        assert set(row.micros) == {*bench_stages.STAGES, "verify_registration"}
        assert row.micros["verify_registration"] > 0
        assert all(row.micros[s] > 0 for s in ("client data", "parse", "statement"))


def test_the_stages_are_the_verifier_steps(workloads):
    packed_self, packed_x5c = (bench_stages.stage_calls(w, Policy.preset("permissive")) for w in workloads)
    case_self, case_x5c = workloads[0].cases[0], workloads[1].cases[0]
    assert len(packed_self["client data"](case_self)) == 32  # the clientDataJSON hash the statement signs over
    assert packed_self["statement"](case_self).attestation_type == "self"
    # Self attestation has no trust path, so nothing to validate; the x5c chain validates to the bench's root.
    assert packed_self["statement+chain"](case_self) is None
    assert packed_x5c["statement+chain"](case_x5c).trusted is True
    assert packed_x5c["verify_registration"](case_x5c).trusted is True


def test_table_shape(rows):
    lines = bench_stages.stage_table(rows).splitlines()
    assert lines[0] == "| stage (µs per verification) | packed self ES256 | packed x5c ES256 |"
    assert lines[1] == "|---|---|---|"
    assert [line.split(" | ")[0] for line in lines[2:]] == [
        "| client data", "| parse", "| statement", "| chain", "| rest", "| verify_registration",
    ]
    cell = re.compile(r"-?[\d,]+\.\d \(-?\d+%\)|≈0")  # a derived stage can read below zero under load
    for line in lines[2:-1]:
        cells = line.strip("| ").split(" | ")[1:]
        assert len(cells) == 2 and all(cell.fullmatch(c) for c in cells), line
    totals = lines[-1].strip("| ").split(" | ")[1:]
    assert len(totals) == 2 and all(re.fullmatch(r"[\d,]+\.\d", t) for t in totals)


def test_a_stage_within_noise_of_zero_reads_as_zero():
    row = bench_stages.StageRow("w", {"client data": 1.0, "parse": 2.0, "statement": 3.0, "chain": -0.4,
                                      "verify_registration": 6.0})  # fmt: skip
    chain = next(line for line in bench_stages.stage_table([row]).splitlines() if line.startswith("| chain"))
    assert chain == "| chain | ≈0 |"


def test_stages_json_carries_every_stage_and_the_rest(rows):
    data = bench_stages.stages_json(rows)
    assert [d["workload"] for d in data] == list(LABELS)
    for entry, row in zip(data, rows, strict=True):
        assert list(entry["micros"]) == [*bench_stages.STAGES, "rest", "verify_registration"]
        assert entry["micros"]["rest"] == row.rest()
        assert entry["micros"]["verify_registration"] == row.micros["verify_registration"]


def test_bench_json_prints_throughput_and_stages(monkeypatch, capsys):
    import json

    from fidoconf.conformance.cli import main

    # Two credentials per format and the certificate formats only (tpm/android RSA key generation is slow); the
    # command is otherwise the one a user runs.
    build = bench.build_workloads
    monkeypatch.setattr(bench, "build_workloads", lambda n: build(n, include_platform=False))
    assert main(["bench", "-n", "2", "--rounds", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"load_average", "rows", "stages"}
    assert len(report["load_average"]) == 3
    labels = ["none ES256", "packed self ES256", "packed x5c ES256", "fido-u2f ES256"]
    assert [r["workload"] for r in report["rows"]] == labels
    assert [s["workload"] for s in report["stages"]] == labels
    x5c = report["stages"][2]["micros"]
    assert set(x5c) == {*bench_stages.STAGES, "rest", "verify_registration"}
    assert x5c["chain"] > 0 and x5c["verify_registration"] > 0
