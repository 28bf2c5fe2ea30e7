"""`fidoconf list [--json]`: every case the suite holds, with its stable ID, level, area, the API profile it speaks
(`any`: every profile), requirement and the capabilities a target must declare for it to run (a case of another
profile, or needing an undeclared capability, is SKIPPED there)."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys

import pytest

from .cases import Case
from .plugin import suites_dir

EPILOG = """\
examples:
  fidoconf list                      # ID  LEVEL  AREA  PROFILE  requirement  [capabilities]
  fidoconf list --json | jq -r 'select(.requires | index("fmt:tpm")) | .id'
  fidoconf list --json | jq -r 'select(.profile == null or (.profile | index("skfs"))) | .id'   # runs on skfs

exit codes: 0 listed; 2 the suite could not be collected (a broken install).
"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "list",
        help="list every conformance case (ID, level, area, profile, requirement, capabilities)",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    return parser


class _Collector:
    def __init__(self) -> None:
        self.cases: dict[str, Case] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            marker = item.get_closest_marker("fidoconf")
            if marker and marker.args:
                self.cases[marker.args[0].id] = marker.args[0]


def collect_cases() -> list[Case]:
    """The suite's cases, as pytest collects them (the same marks `fidoconf run --id` selects by)."""
    collector = _Collector()
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = pytest.main(
            [str(suites_dir()), "--collect-only", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"], plugins=[collector]
        )
    if code != pytest.ExitCode.OK:
        raise RuntimeError(f"collecting the suite failed (pytest exit {int(code)}):\n{output.getvalue()[-3000:]}")
    return sorted(collector.cases.values(), key=lambda found: found.id)


def record(found: Case) -> dict:
    return {
        "id": found.id,
        "level": found.severity,
        "area": found.area,
        # The API flavours the case speaks (a list); None: it runs against a target of any profile.
        "profile": list(found.profiles) or None,
        "title": found.title,
        "requirement": found.requirement,
        "requires": list(found.requires),
        "anchor": found.anchor,
        "fido_ref": found.fido_ref,
    }


def run(args: argparse.Namespace) -> int:
    try:
        cases = collect_cases()
    except RuntimeError as exc:
        print(f"fidoconf list: {exc}", file=sys.stderr)
        return 2
    for found in cases:
        print(json.dumps(record(found), ensure_ascii=False) if args.json else line(found))
    return 0


def line(found: Case) -> str:
    """One case as a text row: ID, level, area, profile (`any` when it runs against every profile), the start of
    the requirement, and the capabilities it needs."""
    needs = f"  [{', '.join(found.requires)}]" if found.requires else ""
    requirement = " ".join(found.requirement.split())
    profile = ",".join(found.profiles) or "any"
    return f"{found.id:<22} {found.severity:<6} {found.area:<6} {profile:<11} {requirement[:100]}{needs}"
