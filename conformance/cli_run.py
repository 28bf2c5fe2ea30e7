"""`fidoconf run`: the conformance suite against a target, with a closing summary and reports.

Exit status: 0 when no MUST-level case failed, 1 when one did, 2 on usage errors or an unreachable target.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

from . import console

SUITES = Path(__file__).resolve().parent / "suites"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("run", help="run the conformance suite (default: against the embedded reference RP)")
    parser.add_argument("--target", default=None, help="'inprocess' (default) or the base URL of a live server")
    parser.add_argument("--profile", default=None, help="nevis-cloud (default) | fido-server | skfs")
    parser.add_argument("--config", default=None, help="JSON/TOML file: rp_id, origin, secrets, capabilities")
    parser.add_argument("--report-dir", default="reports", help="where the run's report directory goes")
    parser.add_argument("--id", dest="ids", action="append", default=[], help="run only this case ID (repeatable)")
    parser.add_argument("-k", dest="keyword", default=None, help="only cases matching this pytest -k expression")
    parser.add_argument("--strict", action="store_true", help="SHOULD-level findings fail the run (WARN → FAIL)")
    parser.add_argument("-n", dest="workers", default="auto", help="parallel workers (pytest-xdist), or 0")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the HTTP exchanges of each finding")
    parser.add_argument("--control", default=None, help="in-process only: run against a deliberately broken RP variant")
    return parser


def pytest_args(args: argparse.Namespace) -> list[str]:
    argv = [str(SUITES), "-p", "no:cacheprovider", "--fidoconf-report-dir", args.report_dir]
    # pytest stays quiet (progress only): the findings are printed from the run's reports (console.py).
    argv += ["-qq", "--tb=no", "--no-summary", "-p", "no:warnings"]
    argv += ["-W", "ignore::pytest.PytestAssertRewriteWarning"]  # anyio's, not ours
    for case_id in getattr(args, "ids", None) or []:
        argv += ["--fidoconf-id", case_id]
    for flag, value in (("--fidoconf-target", args.target), ("--fidoconf-profile", args.profile),
                        ("--fidoconf-config", args.config), ("-k", args.keyword)):
        if value:
            argv += [flag, value]
    if args.strict:
        argv.append("--fidoconf-strict")
    if args.control:
        argv += ["--fidoconf-control", args.control]
    if str(args.workers) not in ("0", "1"):
        argv += ["-n", str(args.workers)]
    return argv


def run(args: argparse.Namespace) -> int:
    code = pytest.main(pytest_args(args))
    index = _latest_index(Path(args.report_dir))
    if index is not None:
        print(console.render(index.parent, verbose=args.verbose))
    if code == pytest.ExitCode.OK or code == pytest.ExitCode.NO_TESTS_COLLECTED and args.keyword:
        return 0
    if code == pytest.ExitCode.TESTS_FAILED:
        return 1
    return 2


def _latest_index(base: Path) -> Path | None:
    found = sorted(base.glob("*/index.json"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


if __name__ == "__main__":
    sys.exit(run(add_parser(argparse.ArgumentParser().add_subparsers()).parse_args()))
