"""`fidoconf bench --rp` runs every flavour's complete flow against real servers and reports the documented shape
(tiny counts: the shape, not the speed, is what a test can assert)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from fidoconf.conformance import bench_rp


def test_bench_rp_reports_every_flavour_and_client_count_with_its_peer():
    command = [sys.executable, "-m", "fidoconf.conformance.cli", "bench", "--rp", "--json"]
    command += ["--flows", "4", "--peer-flows", "2", "--clients", "1,2"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert len(report["load_average"]) == 3
    rows = report["rows"]
    assert [(r["flavour"], r["clients"]) for r in rows] == [
        (flavour, clients) for flavour in bench_rp.FLAVOURS for clients in (1, 2)
    ]
    for row in rows:
        ours, peer = row["nodelay"], row["peer_no_nodelay"]
        assert ours["flows"] == 4 and peer["flows"] == 2
        for measured in (ours, peer):
            assert measured["flows_per_s"] > 0
            assert 0 < measured["p50_ms"] <= measured["p99_ms"]
            assert measured["client_cpu_ms_per_flow"] >= 0
        # Both sides are rounded in the JSON, so the ratio is compared to within that rounding.
        assert row["ratio"] == pytest.approx(ours["flows_per_s"] / peer["flows_per_s"], rel=0.05, abs=0.1)


def test_bench_rp_refuses_bad_client_counts():
    from fidoconf.conformance.cli import main

    assert main(["bench", "--rp", "--clients", "1,x"]) == 2
    assert main(["bench", "--rp", "--clients", "0"]) == 2


def test_the_peer_listener_leaves_nodelay_off_and_ours_sets_it():
    import socket

    from fidoconf.conformance.cli_serve import bind_listener

    ours, peer = bind_listener("127.0.0.1", 0), bench_rp.listener_without_nodelay("127.0.0.1", 0)
    try:
        assert ours.proto == socket.IPPROTO_TCP
        assert peer.proto == 0  # asyncio sets TCP_NODELAY only when the listener's proto is IPPROTO_TCP
    finally:
        ours.close()
        peer.close()
