"""`fidoconf`: one console script, one module per subcommand.

Each subcommand lives in `conformance/cli_<name>.py` and exposes `add_parser(subparsers)` (returning its
argparse parser) and `run(args) -> int` (the exit code). To add one, create the module and list its name in
SUBCOMMANDS; a listed module that does not exist yet is simply not offered.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Subcommands in the order `fidoconf --help` shows them.
SUBCOMMANDS: tuple[str, ...] = (
    "run",  # run the conformance suite against a target (conformance suite)
    "serve",  # run the reference relying party under uvicorn (cli_serve.py)
    "verify",  # verify vector files with the reference verifier (cli_verify.py)
    "bench",  # verification throughput (benchmarks)
    "trust",  # export the suite's test CA and metadata (conformance suite)
    "fuzz",  # property-based fuzzing against a target or a library (conformance/fuzz)
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fidoconf", description="FIDO2/WebAuthn registration conformance suite and reference verifier"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"fidoconf.conformance.cli_{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"fidoconf.conformance.cli_{name}":
                continue  # not written yet
            raise
        sub = module.add_parser(subparsers)
        sub.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "_run", None)
    if run is None:
        parser.print_help(sys.stderr)
        return 2
    return int(run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
