"""`fidoconf verify FILE... [--trust-dir DIR] [--json] [--check]`: run vector files through the verifier."""

from __future__ import annotations

import argparse
import json
import sys

from fidoconf.verifier import TrustStore

from . import vectors


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("verify", help="verify registration vector files with the reference verifier")
    parser.add_argument("files", nargs="+", metavar="FILE", help="vector file(s) or directories of them")
    parser.add_argument("--trust-dir", action="append", default=[], help="PEM trust anchors (file or directory)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--check", action="store_true", help="compare each result with the file's expectation(s) instead"
    )
    return parser


def run(args: argparse.Namespace) -> int:
    try:
        trust = TrustStore.from_pem_paths(*args.trust_dir) if args.trust_dir else TrustStore.empty()
    except (OSError, ValueError) as exc:
        print(f"fidoconf verify: cannot load trust anchors: {exc}", file=sys.stderr)
        return 2
    all_accepted = all_matched = True
    for path in vectors.iter_files(args.files):
        try:
            vector = vectors.load(path)
            checks = vectors.expectations(vector) if args.check else vectors.expectations(vector)[:1]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"fidoconf verify: {path}: unreadable vector: {exc}", file=sys.stderr)
            return 2
        for expectation in checks:
            outcome = vectors.run(vector, policy=expectation.policy, trust=trust)
            matched = outcome.matches(expectation)
            all_accepted &= outcome.result == "accept"
            all_matched &= matched
            _print(path, expectation, outcome, matched, as_json=args.json, check=args.check)
    if args.check:
        return 0 if all_matched else 1
    return 0 if all_accepted else 1


def _print(path, expectation, outcome, matched: bool, *, as_json: bool, check: bool) -> None:
    if as_json:
        record = {
            "file": str(path),
            "policy": expectation.policy_name,
            "result": outcome.result,
            "code": outcome.code,
            "attestation_type": outcome.attestation_type,
            "trusted": outcome.trusted,
        }
        if check:
            record.update(expect=expectation.expect, expected_code=expectation.expected_code, match=matched)
        print(json.dumps(record, sort_keys=True))
        return
    verdict = f"{outcome.result}" + (f" {outcome.code}" if outcome.code else f" ({outcome.attestation_type})")
    if check:
        status = "ok  " if matched else "MISMATCH"
        wanted = expectation.expect + (f" {expectation.expected_code}" if expectation.expected_code else "")
        print(f"{status} {path} [{expectation.policy_name}]: {verdict}" + ("" if matched else f"; expected {wanted}"))
    else:
        print(f"{path} [{expectation.policy_name}]: {verdict}")
