"""`fidoconf run`: the conformance suite against a target, with a closing summary and reports.

Exit status: 0 when no MUST-level case failed, 1 when one did, 2 on usage errors, a selection that matches no
case, an unreachable target or refused credentials (the last two found by a preflight before any case runs).
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

import pytest

from . import config as suite_config
from . import console
from .plugin import report_directory, suites_dir
from .seeds import new_seed

EPILOG = """\
examples:
  fidoconf run                                         # every case against the embedded reference RP
  fidoconf run --config server.toml -n 4               # against your server (target, keys, capabilities)
  fidoconf run --id NEVIS-STATUS-P03 --id ATT-PACKED-F03 -v   # selected cases, by stable ID (fidoconf list)

exit codes: 0 no MUST-level case failed; 1 one did (or, with --strict, a SHOULD did); 2 usage or config error,
a selection matching no case, an unreachable target or credentials it refuses. The last line printed is the
path of the run's report.html.
"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "run",
        help="run the conformance suite (default: against the embedded reference RP)",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--target", default=None, help="'inprocess' (default) or the base URL of a live server")
    parser.add_argument("--profile", default=None, help="nevis-cloud (default) | fido-server | skfs")
    parser.add_argument("--config", default=None, help="JSON/TOML file: rp_id, origin, secrets, capabilities")
    parser.add_argument("--report-dir", default="reports", help="where the run's report directory goes")
    parser.add_argument(
        "--id",
        dest="ids",
        action="append",
        default=[],
        metavar="ID",
        help="only the case with this stable ID (repeatable; `fidoconf list` shows them)",
    )
    parser.add_argument("-k", dest="keyword", default=None, help="only cases matching this pytest -k expression")
    parser.add_argument("-x", "--exitfirst", action="store_true", help="stop at the first failing case")
    parser.add_argument("--maxfail", type=int, default=None, metavar="N", help="stop after N failing cases")
    parser.add_argument("--strict", action="store_true", help="SHOULD-level findings fail the run (WARN → FAIL)")
    parser.add_argument("-n", dest="workers", default="auto", help="parallel workers (pytest-xdist), or 0")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the HTTP exchanges of each finding")
    parser.add_argument("--control", default=None, help="in-process only: run against a deliberately broken RP variant")
    parser.add_argument(
        "--seed", default=None, help="run seed: the same seed makes the same user names, credential ids and keys"
    )
    return parser


def pytest_args(args: argparse.Namespace) -> list[str]:
    argv = [str(suites_dir()), "-p", "no:cacheprovider", "--fidoconf-report-dir", args.report_dir]
    # pytest stays quiet (progress only): the findings are printed from the run's reports (console.py).
    argv += ["-qq", "--tb=no", "--no-summary", "-p", "no:warnings"]
    argv += ["-W", "ignore::pytest.PytestAssertRewriteWarning"]  # anyio's, not ours
    for flag, value in (
        ("--fidoconf-target", args.target),
        ("--fidoconf-profile", args.profile),
        ("--fidoconf-config", args.config),
        ("-k", args.keyword),
    ):
        if value:
            argv += [flag, value]
    if args.strict:
        argv.append("--fidoconf-strict")
    if args.control:
        argv += ["--fidoconf-control", args.control]
    if args.seed:
        argv += ["--fidoconf-seed", args.seed]
    for case_id in args.ids:
        argv += ["--fidoconf-id", case_id]
    if args.exitfirst:
        argv.append("-x")
    if args.maxfail is not None:
        argv.append(f"--maxfail={args.maxfail}")
    if str(args.workers) not in ("0", "1"):
        argv += ["-n", str(args.workers)]
    return argv


class _RunDirectory:
    """Catches this run's report directory from the plugin: the summary never comes from another run's."""

    directory: Path | None = None

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.directory = report_directory(session.config)


def run(args: argparse.Namespace) -> int:
    problem = preflight(args)
    if problem:
        print(f"fidoconf run: {problem}", file=sys.stderr)
        return 2
    args.seed = args.seed or new_seed()
    print(f"fidoconf: run seed {args.seed} (repeat this run's credentials with --seed {args.seed})", flush=True)
    caught = _RunDirectory()
    code = pytest.main(pytest_args(args), plugins=[caught])
    if code == pytest.ExitCode.NO_TESTS_COLLECTED and (args.ids or args.keyword):
        print("fidoconf run: the selection (--id/-k) matches no case; `fidoconf list` shows them", file=sys.stderr)
        return 2
    index = caught.directory / "index.json" if caught.directory else None
    if index is not None and index.exists():
        print(console.render(caught.directory, verbose=args.verbose))
    if code == pytest.ExitCode.OK:
        return 0
    if code == pytest.ExitCode.TESTS_FAILED:
        return 1
    return 2


def preflight(args: argparse.Namespace) -> str | None:
    """What makes the run pointless before it starts: a bad config, unknown case IDs, a live target that cannot
    be reached or refuses the credentials. One line each, instead of a worker crash or hundreds of FAILs."""
    from .environment import PreflightFailed, check_live_target

    try:
        loaded = suite_config.load(file=args.config, overrides={"target": args.target, "profile": args.profile})
    except suite_config.ConfigError as exc:
        return str(exc)
    unknown = unknown_ids(args.ids)
    if unknown:
        return unknown
    if loaded.inprocess:
        return None
    try:
        check_live_target(loaded)
    except (PreflightFailed, suite_config.ConfigError) as exc:  # ConfigError: the profile's own settings ([skfs])
        return str(exc)
    return None


def unknown_ids(ids: list[str]) -> str | None:
    from .cases import load_ledger

    known = load_ledger()
    for case_id in ids:
        if case_id not in known:
            near = difflib.get_close_matches(case_id, list(known), n=1)
            return f"no case has the ID {case_id!r}" + (f" (did you mean {near[0]}?)" if near else "")
    return None


if __name__ == "__main__":
    sys.exit(run(add_parser(argparse.ArgumentParser().add_subparsers()).parse_args()))
