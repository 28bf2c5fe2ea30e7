"""`fidoconf bench [--json] [-n N] [--rounds R] [--worst-case | --rp]`: verification throughput against py_webauthn
and python-fido2, or (--worst-case) the time per verification of each adversarial shape (conformance/bench_worst.py),
or (--rp) complete registration flows per second against `fidoconf serve` over loopback (conformance/bench_rp.py)."""

from __future__ import annotations

import argparse
import json
import os

from . import bench, bench_rp, bench_stages, bench_worst


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("bench", help="verification throughput per format vs py_webauthn / python-fido2")
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    parser.add_argument("-n", type=int, default=300, help="distinct credentials per format (default 300)")
    parser.add_argument("--rounds", type=int, default=7, help="timed passes per implementation (best one counts)")
    parser.add_argument(
        "--worst-case", action="store_true", help="time each adversarial shape instead (ms per verification, best of --rounds)"
    )
    rp = parser.add_argument_group("--rp: the reference RP over HTTP")
    rp.add_argument("--rp", action="store_true", help="complete registration flows/s against fidoconf serve")
    rp.add_argument(
        "--flavour", action="append", choices=bench_rp.FLAVOURS, help="flavour(s) to drive (default: all three)"
    )
    rp.add_argument("--clients", default="1,10,50", help="concurrent keep-alive clients, comma-separated (default 1,10,50)")
    rp.add_argument("--flows", type=int, default=600, help="timed flows per flavour and client count (default 600)")
    rp.add_argument(
        "--peer-flows", type=int, default=60, help="timed flows against the peer without TCP_NODELAY; 0 = no peer"
    )
    return parser


def run(args: argparse.Namespace) -> int:
    if args.worst_case:
        return _run_worst_case(args)
    if args.rp:
        return _run_rp(args)
    workloads = bench.build_workloads(args.n)
    for workload in workloads:
        bench.check_cases(workload)
    rows = bench.measure(workloads, rounds=args.rounds, raw_for=("packed self ES256",))
    stages = bench_stages.measure_stages(workloads, rounds=min(args.rounds, 5))
    if args.json:
        # The same figures as the two tables, plus the load the run shared the machine with (ratios within one
        # run are what count, but a reader of a recorded run wants to know how noisy it was).
        report = {
            "load_average": list(os.getloadavg()),
            "rows": [{"workload": r.label, "rates": r.rates, "errors": r.errors} for r in rows],
            "stages": bench_stages.stages_json(stages),
        }
        print(json.dumps(report, indent=2))
    else:
        print(bench.table(rows))
        print()
        print(bench_stages.stage_table(stages))
    return 0


def _run_worst_case(args: argparse.Namespace) -> int:
    shapes = bench_worst.build_shapes()
    rows = bench_worst.measure_worst(shapes, repeat=args.rounds)
    if args.json:
        print(json.dumps([{"shape": r.label, "code": r.code, "ms": r.ms_per_verification} for r in rows], indent=2))
    else:
        print(bench_worst.worst_table(rows))
    # A shape refused with another code than its own measured some other path: say so in the exit status.
    return 0 if all(r.code == s.expected_code for r, s in zip(rows, shapes, strict=True)) else 1


def _run_rp(args: argparse.Namespace) -> int:
    try:
        clients = tuple(int(c) for c in args.clients.split(","))
    except ValueError:
        print(f"fidoconf bench: --clients must be comma-separated integers, not {args.clients!r}")
        return 2
    if not clients or min(clients) < 1 or args.flows < 1 or args.peer_flows < 0:
        print("fidoconf bench: --clients, --flows must be at least 1 and --peer-flows at least 0")
        return 2
    rows = bench_rp.measure_rp(
        flavours=tuple(args.flavour or bench_rp.FLAVOURS), clients=clients, flows=args.flows, peer_flows=args.peer_flows
    )
    if args.json:
        print(json.dumps({"load_average": list(os.getloadavg()), "rows": [row.as_json() for row in rows]}, indent=2))
    else:
        print(bench_rp.table(rows))
    return 0
