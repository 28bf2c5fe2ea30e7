"""`fidoconf fuzz`: property-based fuzzing of registrations against a target (default: the in-process reference RP).

Every example is a fresh ceremony (options → a credential for that challenge → the result) whose credential carries
a drawn set of defects; the reference verifier, under the target's policy, is the oracle. Findings are saved as
vector files under <report-dir>/fuzz-<time>/findings/ (replay: `fidoconf verify FILE`, or
`fidoconf fuzz --replay FILE --target URL` for a fresh ceremony). Exit 1 when a wrong-accept or robustness finding
exists (or is reproduced by --replay), 2 on usage errors or an unreachable target.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .config import ConfigError, load
from .environment import TargetUnreachable


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("fuzz", help="property-based fuzzing of registrations against a target")
    parser.add_argument("--target", default=None, help="'inprocess' (default) or the base URL of a live server")
    parser.add_argument("--profile", default=None, help="nevis-cloud (default) | fido-server | skfs")
    parser.add_argument("--config", default=None, help="JSON/TOML file as for `fidoconf run` (policy = preset name)")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--examples", type=int, default=None, help="number of examples (default 500)")
    budget.add_argument("--time", type=float, default=None, help="seconds to fuzz for")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed (runs are reproducible per seed)")
    parser.add_argument("--report-dir", default="reports", help="the run directory goes under here")
    parser.add_argument("--replay", nargs="+", default=None, metavar="FILE", help="re-run saved findings")
    parser.add_argument("--control", default=None, help="in-process only: fuzz a deliberately broken RP variant")
    parser.add_argument("--slow", type=float, default=5.0, help="seconds after which an answer is a robustness finding")
    parser.add_argument("--library", default=None,
                        help="differential mode, in-process: py_webauthn | python-fido2 | MODULE:FUNCTION (adapter)")
    parser.add_argument("--engine", choices=("hypothesis", "atheris"), default="hypothesis",
                        help="atheris: coverage-guided fuzzing of the reference verifier's parse boundary (extra fuzz)")
    parser.add_argument("--max-defects", type=int, default=3, help="defects combined per example")
    return parser


def run(args: argparse.Namespace) -> int:
    from .fuzz.session import session

    if args.engine == "atheris":
        return run_atheris(args)
    if args.library:
        return run_library(args)
    overrides = {"target": args.target, "profile": args.profile, "control": args.control}
    try:
        config = load(file=args.config, overrides=overrides)
    except ConfigError as exc:
        print(f"fidoconf fuzz: {exc}", file=sys.stderr)
        return 2
    try:
        with session(config, slow_s=args.slow) as oracle:
            if args.replay:
                return replay(oracle, args.replay)
            facts = {"target": config.target, "profile": config.profile, "origin": config.origin,
                     "control": config.extra.get("control")}
            return explore(oracle, args, facts)
    except TargetUnreachable as exc:
        print(f"fidoconf fuzz: target unreachable: {exc}", file=sys.stderr)
        return 2


def run_atheris(args: argparse.Namespace) -> int:
    import importlib.util
    import subprocess

    from .fuzz.atheris_harness import seed_corpus

    if importlib.util.find_spec("atheris") is None:
        print("fidoconf fuzz: --engine atheris needs atheris (pip install 'fidoconf[fuzz]')", file=sys.stderr)
        return 2
    run_dir = (Path(args.report_dir) / time.strftime("fuzz-atheris-%Y%m%d-%H%M%S", time.gmtime())).resolve()
    corpus = run_dir / "corpus"
    seeded = seed_corpus(corpus)
    budget = [f"-max_total_time={int(args.time or 60)}"] + ([f"-runs={args.examples}"] if args.examples else [])
    command = [sys.executable, "-m", "fidoconf.conformance.fuzz.atheris_harness", str(run_dir), *budget,
               f"-seed={args.seed or 1}", "-print_final_stats=1", str(corpus)]
    print(f"atheris: {seeded} seed inputs from vectors/generated; run dir {run_dir}", file=sys.stderr)
    # libFuzzer ends the process it runs in, and writes crash-* files into its working directory.
    subprocess.run(command, cwd=run_dir, check=False)
    crashes = sorted((run_dir / "findings").glob("*.json"))
    print(f"{len(crashes)} crash(es) saved as vectors" + "".join(f"\n  {c}" for c in crashes))
    print(f"report: {run_dir}")
    return 1 if crashes else 0


def run_library(args: argparse.Namespace) -> int:
    from .fuzz.library import ORIGIN, LibraryOracle, adapter

    try:
        oracle = LibraryOracle(adapter(args.library))
    except (ImportError, AttributeError, ValueError) as exc:
        print(f"fidoconf fuzz: --library {args.library}: {exc}", file=sys.stderr)
        return 2
    if args.replay:
        return replay(oracle, args.replay)
    return explore(oracle, args, {"target": f"library:{args.library}", "profile": None, "origin": ORIGIN})


def explore(oracle, args: argparse.Namespace, facts: dict) -> int:
    from .fuzz.findings import save
    from .fuzz.runner import fuzz, progress_line

    base = Path(args.report_dir)
    run_dir = base / time.strftime("fuzz-%Y%m%d-%H%M%S", time.gmtime())
    run_dir.mkdir(parents=True, exist_ok=True)
    examples_n = args.examples if args.examples or args.time else 500
    result = fuzz(oracle, examples_n=examples_n, time_s=args.time, seed=args.seed,
                  database_dir=base / "hypothesis", progress=progress_line(), max_defects=args.max_defects)
    stats = {**result.stats(), "seed": args.seed, **facts}
    save(result.findings, out_dir=run_dir, origin=facts["origin"], root_pem=oracle.root_pem(), stats=stats)
    print(f"\n{result.examples} examples in {result.elapsed_s:.1f} s ({result.rate:.1f}/s), "
          f"{len(result.findings)} finding(s)")
    for (kind, code), observation in sorted(result.findings.items()):
        print(f"  {kind:<16} {code:<45} {' + '.join(observation.example.names) or '(no defect)'}")
    print(f"report: {run_dir}")
    return 1 if result.failing else 0


def replay(oracle, files: list[str]) -> int:
    from .fuzz.findings import load_finding
    from .fuzz.oracle import FAILING_KINDS
    from .fuzz.runner import reproduce

    failing = False
    for name in files:
        try:
            _, example, key = load_finding(Path(name))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"fidoconf fuzz: {name}: not a fuzz finding: {exc}", file=sys.stderr)
            return 2
        found = reproduce(oracle, example, key=key, attempts=3)
        print(json.dumps({"file": name, "kind": key[0], "code": key[1], "reproduced": found is not None}))
        failing |= found is not None and key[0] in FAILING_KINDS
    return 1 if failing else 0
