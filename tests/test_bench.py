"""The benchmark's smoke run (CI): every workload verifies under every peer that supports it and the table
carries each ratio. The measurement itself is `fidoconf bench`; timings here mean nothing."""

from __future__ import annotations

import pytest
from fidoconf.conformance import bench
from fidoconf.verifier import VerificationError
from fidoconf.verifier.errors import Code


@pytest.fixture(scope="module")
def workloads():
    return bench.build_workloads(4)


def test_every_workload_is_timed_for_every_peer_that_can_verify_it(workloads):
    rows = bench.measure(workloads, rounds=1, raw_for=("packed self ES256",))
    assert [row.label for row in rows] == [
        "none ES256", "packed self ES256", "packed x5c ES256", "fido-u2f ES256", "tpm RS256", "android-key ES256",
    ]
    for row in rows:
        assert row.rates["fidoconf"] > 0 and row.rates["py_webauthn"] > 0, row
    assert set(rows[-1].errors) == {"python-fido2"}  # python-fido2 has no android-key
    packed_self = rows[1]
    assert {"raw ECDSA verify", "raw load+verify", "bare pipeline"} <= set(packed_self.rates)
    table = bench.table(rows)
    assert table.count("\n| ") == 6 and "packed self ES256: bare pipeline" in table


def test_a_case_fidoconf_refuses_is_never_timed(workloads):
    workload = workloads[1]
    case = workload.cases[0]
    other_challenge = bytes(reversed(case.challenge))
    bad = bench.Workload(workload.label, [bench.Sample(case.credential, other_challenge, case.origin, case.rp_id)],
                         workload.trust, workload.root_pem, workload.fmt)
    with pytest.raises(VerificationError) as info:
        bench.check_cases(bad)
    assert info.value.code is Code.CLIENT_DATA_CHALLENGE_MISMATCH
