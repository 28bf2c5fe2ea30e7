"""The worst-case table's smoke run (CI): every adversarial shape is refused with its own code. Timings are
`fidoconf bench --worst-case`'s job; here only the code is asserted."""

from __future__ import annotations

import pytest
from fidoconf.conformance import bench_worst
from fidoconf.verifier import Policy


@pytest.fixture(scope="module")
def shapes():
    return bench_worst.build_shapes()


def test_every_shape_is_refused_with_its_code(shapes):
    rows = bench_worst.measure_worst(shapes, repeat=1)
    assert [row.code for row in rows] == [str(shape.expected_code) for shape in shapes]
    table = bench_worst.worst_table(rows)
    assert table.count("\n| ") == len(shapes) and "| clientDataJSON: 20,000 members, one duplicate |" in table


def test_the_other_presets_refuse_the_same_shapes(shapes):
    conformance = [bench_worst.verify_shape(shape, policy=Policy.preset("fido-conformance")) for shape in shapes]
    assert conformance == [shape.expected_code for shape in shapes]
    # permissive keeps duplicate clientData members (the last wins), so that shape is an ordinary self attestation.
    permissive = [bench_worst.verify_shape(shape, policy=Policy.preset("permissive")) for shape in shapes]
    assert permissive == [None if "clientDataJSON" in s.label else s.expected_code for s in shapes]
