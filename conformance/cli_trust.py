"""`fidoconf trust export DIR [--seed SEED]`: the suite's test PKI for a live server to trust.

Writes root.pem, one FIDO metadata statement per test authenticator model, and pki-seed.txt. Give the server
the root (or the statements); give the suite the seed (config `pki_seed`) so it rebuilds the same PKI.
"""

from __future__ import annotations

import argparse
import secrets
from pathlib import Path

from .authenticator.ca import TestPKI, export_trust
from .environment import TRUST_MODELS


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("trust", help="export the suite's test CA and metadata statements")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write root.pem, metadata statements and the PKI seed to DIR")
    export.add_argument("directory", metavar="DIR")
    export.add_argument("--seed", default=None, help="PKI seed (default: a new random one, saved in DIR)")
    return parser


def run(args: argparse.Namespace) -> int:
    directory = Path(args.directory)
    seed_file = directory / "pki-seed.txt"
    seed = args.seed or (seed_file.read_text().strip() if seed_file.exists() else f"fidoconf-{secrets.token_hex(16)}")
    written = export_trust(directory, pki=TestPKI(seed=seed), authenticators=list(TRUST_MODELS))
    seed_file.write_text(seed + "\n", encoding="ascii")
    for path in written:
        print(path)
    print(f"{seed_file}  (set pki_seed = {seed!r} in the suite config)")
    return 0
