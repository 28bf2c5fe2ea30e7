"""`fidoconf`: one console script, one module per subcommand.

Each subcommand lives in `conformance/cli_<name>.py` and exposes `add_parser(subparsers)` (returning its
argparse parser) and `run(args) -> int` (the exit code). To add one, create the module and list its name in
SUBCOMMANDS; a listed module that does not exist yet is simply not offered.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

#: Subcommands in the order `fidoconf --help` shows them.
SUBCOMMANDS: tuple[str, ...] = (
    "run",  # run the conformance suite against a target (conformance suite)
    "list",  # the cases the suite holds (cli_list.py)
    "serve",  # run the reference relying party under uvicorn (cli_serve.py)
    "verify",  # verify vector files with the reference verifier (cli_verify.py)
    "bench",  # verification throughput (benchmarks)
    "trust",  # export the suite's test CA and metadata (conformance suite)
    "fuzz",  # property-based fuzzing against a target or a library (conformance/fuzz)
)


EPILOG = """\
example:
  fidoconf run                                    # the suite against the embedded reference RP
  fidoconf run --config server.toml -n 4          # against your server (see README, "Testing your server")
  fidoconf COMMAND --help                         # a command's options, example and exit codes

exit codes: 0 success, 1 a check failed (a MUST-level case, a refused credential), 2 usage or setup error
(bad option or config, unreachable target, refused credentials)
"""


#: Help endings for subcommands whose modules do not carry their own.
FALLBACK_EPILOGS = {
    "bench": "example:\n  fidoconf bench --json\n\nexit codes: 0 measured; 2 usage error\n",
    "trust": "example:\n  fidoconf trust export ./fidoconf-trust\n\nexit codes: 0 written; 2 usage error\n",
}


def build_parser() -> argparse.ArgumentParser:
    from fidoconf.verifier import __version__

    parser = argparse.ArgumentParser(
        prog="fidoconf",
        description="FIDO2/WebAuthn registration conformance suite and reference verifier",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"fidoconf {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"fidoconf.conformance.cli_{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"fidoconf.conformance.cli_{name}":
                continue  # not written yet
            raise
        sub = module.add_parser(subparsers)
        if sub.epilog is None and name in FALLBACK_EPILOGS:
            sub.epilog, sub.formatter_class = FALLBACK_EPILOGS[name], argparse.RawDescriptionHelpFormatter
        sub.set_defaults(_run=module.run)
    return parser


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _parsers(sub)
    return found


def join_dash_values(parser: argparse.ArgumentParser, argv: Sequence[str]) -> list[str]:
    """`--access-key -2tj...` as `--access-key=-2tj...`: argparse takes a value starting with '-' for an option,
    and generated keys and passwords start with one now and then."""
    takes_value, flags = set(), set()
    for each in _parsers(parser):
        for action in each._actions:
            flags.update(action.option_strings)
            if action.nargs is None and action.option_strings:
                takes_value.update(o for o in action.option_strings if o.startswith("--"))
    out: list[str] = []
    tokens = list(argv)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if token in takes_value and following is not None and following.startswith("-") and following not in flags:
            out.append(f"{token}={following}")
            i += 2
            continue
        out.append(token)
        i += 1
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(join_dash_values(parser, sys.argv[1:] if argv is None else argv))
    run = getattr(args, "_run", None)
    if run is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(run(args) or 0)
    except BrokenPipeError:  # `fidoconf list | head`: the reader left; say nothing more
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter's final flush quiet
        return 0


if __name__ == "__main__":
    sys.exit(main())
