"""`fidoconf bench [--json] [-n N] [--rounds R] [--worst-case]`: verification throughput against py_webauthn and
python-fido2, or (--worst-case) the time per verification of each adversarial shape (conformance/bench_worst.py)."""

from __future__ import annotations

import argparse
import json

from . import bench, bench_stages, bench_worst


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("bench", help="verification throughput per format vs py_webauthn / python-fido2")
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    parser.add_argument("-n", type=int, default=300, help="distinct credentials per format (default 300)")
    parser.add_argument("--rounds", type=int, default=7, help="timed passes per implementation (best one counts)")
    parser.add_argument(
        "--worst-case", action="store_true", help="time each adversarial shape instead (ms per verification, best of --rounds)"
    )
    return parser


def run(args: argparse.Namespace) -> int:
    if args.worst_case:
        return _run_worst_case(args)
    workloads = bench.build_workloads(args.n)
    for workload in workloads:
        bench.check_cases(workload)
    rows = bench.measure(workloads, rounds=args.rounds, raw_for=("packed self ES256",))
    if args.json:
        print(json.dumps([{"workload": r.label, "rates": r.rates, "errors": r.errors} for r in rows], indent=2))
    else:
        print(bench.table(rows))
        print()
        print(bench_stages.stage_table(bench_stages.measure_stages(workloads, rounds=min(args.rounds, 5))))
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
