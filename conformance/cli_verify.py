"""`fidoconf verify`: vector files, or a browser's registration credential, through the reference verifier.

A file (or `-` for stdin) holding a `PublicKeyCredential` as a browser serializes it (WebAuthn L3 `toJSON()`, with
`response.publicKey`, `publicKeyAlgorithm`, `authenticatorData`, `transports`) is verified against `--challenge`,
`--origin` and `--rp-id`; a vector file carries those itself.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fidoconf.verifier import Policy, TrustStore, VerificationError, verify_registration
from fidoconf.verifier.encoding import b64url_decode
from fidoconf.verifier.policy import PRESETS

from . import vectors

EPILOG = """\
examples:
  fidoconf verify --check --trust-dir vectors/trust vectors/real        # recorded vectors vs their expectations
  pbpaste | fidoconf verify - --challenge Y2hhbGxlbmdl --origin https://example.com --rp-id example.com

A credential is the JSON of navigator.credentials.create()'s result (credential.toJSON(), or the same shape);
--challenge is the base64url challenge the server issued. A refusal prints its code and message.
exit codes: 0 every credential/vector accepted (with --check: every expectation met); 1 one was refused (or
missed its expectation); 2 unreadable input, trust anchors or options.
"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "verify",
        help="verify vector files or a browser credential with the reference verifier",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="vector file(s), directories of them, or - (stdin)")
    parser.add_argument("--trust-dir", action="append", default=[], help="PEM trust anchors (file or directory)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--check", action="store_true", help="compare each result with the file's expectation(s) instead"
    )
    credential = parser.add_argument_group("a browser credential (not a vector file)")
    credential.add_argument("--challenge", help="the challenge the server issued (base64url)")
    credential.add_argument("--origin", action="append", default=[], help="an accepted origin (repeatable)")
    credential.add_argument("--rp-id", help="the RP ID")
    credential.add_argument("--policy", default="strict", choices=sorted(PRESETS), help="verifier policy preset")
    return parser


def run(args: argparse.Namespace) -> int:
    try:
        trust = TrustStore.from_pem_paths(*args.trust_dir) if args.trust_dir else TrustStore.empty()
    except (OSError, ValueError) as exc:
        print(f"fidoconf verify: cannot load trust anchors: {exc}", file=sys.stderr)
        return 2
    all_accepted = all_matched = True
    for name, document in _documents(args.files):
        if isinstance(document, str):
            print(f"fidoconf verify: {name}: {document}", file=sys.stderr)
            return 2
        if not _is_vector(document):
            problem = _missing_credential_options(args)
            if problem:
                print(f"fidoconf verify: {name}: {problem}", file=sys.stderr)
                return 2
            outcome = verify_credential(document, args=args, trust=trust)
            all_accepted &= outcome.result == "accept"
            _print_credential(name, outcome, as_json=args.json)
            continue
        try:
            checks = vectors.expectations(document) if args.check else vectors.expectations(document)[:1]
        except (ValueError, KeyError, TypeError) as exc:
            print(f"fidoconf verify: {name}: unreadable vector: {exc}", file=sys.stderr)
            return 2
        for expectation in checks:
            outcome = vectors.run(document, policy=expectation.policy, trust=trust)
            matched = outcome.matches(expectation)
            all_accepted &= outcome.result == "accept"
            all_matched &= matched
            _print(name, expectation, outcome, matched, as_json=args.json, check=args.check)
    if args.check:
        return 0 if all_matched else 1
    return 0 if all_accepted else 1


def _documents(paths: list[str]) -> Iterator[tuple[str, Any]]:
    """(name, parsed JSON) per input, or (name, problem) for one that cannot be read."""
    for raw in paths:
        files = [raw] if raw == "-" else [str(p) for p in vectors.iter_files([raw])]
        for path in files:
            try:
                text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
                yield ("<stdin>" if path == "-" else path), json.loads(text)
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                yield path, f"unreadable: {exc}"


def _is_vector(document: Any) -> bool:
    return isinstance(document, dict) and "credential" in document and "challenge_b64url" in document


def _missing_credential_options(args: argparse.Namespace) -> str | None:
    missing = [flag for flag, value in (("--challenge", args.challenge), ("--origin", args.origin),
                                        ("--rp-id", args.rp_id)) if not value]  # fmt: skip
    if missing:
        return f"a browser credential needs {', '.join(missing)} (what the server issued and expects)"
    try:
        b64url_decode(args.challenge, field="challenge")
    except VerificationError:
        return "--challenge is not base64url"
    return None


def verify_credential(document: Any, *, args: argparse.Namespace, trust: TrustStore) -> vectors.Outcome:
    try:
        result = verify_registration(
            document,
            expected_challenge=b64url_decode(args.challenge, field="challenge"),
            expected_origin=args.origin,
            expected_rp_id=args.rp_id,
            policy=Policy.preset(args.policy),
            trust=trust,
        )
    except VerificationError as exc:
        return vectors.Outcome("reject", exc.code.value, None, None, exc.message)
    return vectors.Outcome("accept", None, result.attestation_type, result.trusted, result.trust_reason)


def _print_credential(name: str, outcome: vectors.Outcome, *, as_json: bool) -> None:
    if as_json:
        record = {"file": name, "result": outcome.result, "code": outcome.code, "message": outcome.message,
                  "attestation_type": outcome.attestation_type, "trusted": outcome.trusted}  # fmt: skip
        print(json.dumps(record, sort_keys=True))
    elif outcome.result == "accept":
        trusted = "trusted" if outcome.trusted else "not trusted"
        print(f"{name}: accept ({outcome.attestation_type}, {trusted}: {outcome.message})")
    else:
        print(f"{name}: reject {outcome.code}: {outcome.message}")


def _print(name: str, expectation, outcome, matched: bool, *, as_json: bool, check: bool) -> None:
    if as_json:
        record = {
            "file": name,
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
        print(f"{status} {name} [{expectation.policy_name}]: {verdict}" + ("" if matched else f"; expected {wanted}"))
    else:
        print(f"{name} [{expectation.policy_name}]: {verdict}")
