"""`fidoconf bench [--json] [-n N] [--rounds R]`: verification throughput against py_webauthn and python-fido2."""

from __future__ import annotations

import argparse
import json

from . import bench


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("bench", help="verification throughput per format vs py_webauthn / python-fido2")
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    parser.add_argument("-n", type=int, default=300, help="distinct credentials per format (default 300)")
    parser.add_argument("--rounds", type=int, default=7, help="timed passes per implementation (best one counts)")
    return parser


def run(args: argparse.Namespace) -> int:
    workloads = bench.build_workloads(args.n)
    for workload in workloads:
        bench.check_cases(workload)
    rows = bench.measure(workloads, rounds=args.rounds, raw_for=("packed self ES256",))
    if args.json:
        print(json.dumps([{"workload": r.label, "rates": r.rates, "errors": r.errors} for r in rows], indent=2))
    else:
        print(bench.table(rows))
    return 0
