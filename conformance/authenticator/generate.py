"""`python -m fidoconf.conformance.authenticator.generate [--out vectors/generated] [--check]`: deterministic vectors.

One JSON file per case in <out>/<format variant>/<case id>.json, shaped like the recorded vectors in
vectors/real (schemas/vectors/registration-vector.schema.json: plus `id`, `defect` = the mutation's name,
`provenance: fidoconf-generated`, `info` with the mutation's stage, requirement and anchor), and the test root
in <out>/trust/root.pem.
Valid cases: every format variant x every algorithm it supports. Defect cases: every catalogue mutation on its
base. Seeds, challenges and `verify_at` are fixed and JSON is written with sorted keys, so a run reproduces
the committed files byte for byte; `--check` regenerates in memory and exits 1 if any file differs.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .authenticator import FMT, FORMAT_VARIANTS, b64url, make_credential
from .ca import VERIFY_AT, TestPKI, aaguid_for
from .defects import stage_mutations
from .formats_safetynet_apple_compound import vectors as safetynet_apple_compound_vectors
from .formats_tpm_android import vectors as tpm_android_vectors
from .keys import ALGS
from .mutations import Mutation
from .vector_files import render, write_files

RP_ID = "fidoconf.example"
ORIGIN = "https://fidoconf.example"
DEFAULT_OUT = Path("vectors/generated")
SOURCE = {"repo": "fidoconf", "path": "conformance/authenticator/generate.py", "license": "Apache-2.0"}
_SHA1_POLICY = {"preset": "strict", "allow_sha1": True}


def supported_algs(variant: str) -> tuple[str, ...]:
    # #sctn-fido-u2f-attestation: U2F credentials are P-256 only.
    return ("ES256",) if variant == "fido-u2f" else tuple(ALGS)


def valid_shape(variant: str, alg: str) -> Mutation:
    """The record of a valid credential of `variant` with `alg`: no hooks, no defect."""
    return Mutation(
        name=f"valid-{variant}-{alg.lower()}", group="valid", description=None, requirement="", anchor="",
        base=(variant, alg), formats=(variant,),
    )


def cases() -> list[Mutation]:
    """Every valid shape (format variant x algorithm), then every stage mutation that has a vector file on its base."""
    found = [valid_shape(v, a) for v in FORMAT_VARIANTS for a in supported_algs(v)]
    return found + [mutation for mutation in stage_mutations().values() if mutation.vector_file]


def _challenge(case: Mutation) -> bytes:
    if case.challenge is not None:
        return case.challenge
    return hashlib.sha256(f"fidoconf challenge/{case.name}".encode()).digest()


def vector(case: Mutation, *, pki: TestPKI) -> dict[str, Any]:
    mutation = None if case.description is None else case
    challenge = _challenge(case)
    bundle = make_credential(
        rp_id=RP_ID,
        origin=ORIGIN,
        challenge=challenge,
        fmt=case.fmt,
        alg=case.alg,
        seed=f"fidoconf/credential/{case.alg}",
        credential_id=hashlib.sha256(f"fidoconf credential id/{case.name}".encode()).digest(),
        mutation=mutation,
        pki=pki,
        **(dict(mutation.options) if mutation else {}),
    )
    alg = ALGS[case.alg].alg
    record: dict[str, Any] = {
        "id": case.name,
        "source": SOURCE,
        "provenance": "fidoconf-generated",
        "format": FMT[case.fmt],
        "format_variant": case.fmt,
        "rp_id": RP_ID,
        "origin": ORIGIN,
        "challenge_b64url": b64url(challenge),
        "verify_at": VERIFY_AT,
        "pub_key_cred_params": list(mutation.pub_key_cred_params or (alg,)) if mutation else [alg],
        "credential": bundle.credential,
        # For readers (schema: never an input to verification): the authenticator model and the defect's details.
        "info": {
            "authenticator": {
                "alg": case.alg,
                "cose_alg": alg,
                "aaguid": aaguid_for(case.fmt, case.alg).hex(),
            },
            "mutation": mutation.describe() if mutation else None,
        },
    }
    if mutation is None:
        record.update(expect="accept", defect=None, reason=f"valid {case.fmt} registration with {case.alg}")
    else:
        record.update(expect=mutation.expect, defect=mutation.name, reason=mutation.description)
        if mutation.expected_code is not None:
            record["expected_code"] = mutation.expected_code
        if mutation.policy is not None:
            record["policy"] = mutation.policy
        if mutation.outcomes:
            record["outcomes"] = mutation.outcomes
    if case.alg == "RS1" and mutation is None:
        # SHA-1 is refused unless the RP opts in (verifier Policy.allow_sha1).
        record["policy"] = _SHA1_POLICY
        record["outcomes"] = {"strict": {"expect": "reject", "expected_code": "cose_key.alg.not_allowed"}}
    if case.fmt in ("packed-x5c", "fido-u2f"):
        record["trust_anchor"] = "trust/root.pem (fidoconf test root, generated by conformance/authenticator/ca.py)"
        record["trust_anchor_pem"] = pki.root_pem()
    return record


def files(*, pki: TestPKI | None = None) -> dict[str, str]:
    """Every generated file, relative path → text (nothing is written)."""
    pki = pki or TestPKI()
    out: dict[str, str] = {}
    for case in cases():
        out[f"{case.fmt}/{case.name}.json"] = render(vector(case, pki=pki))
    out.update(safetynet_apple_compound_vectors.files(pki=pki))
    out.update(tpm_android_vectors.files(pki=pki))
    out.update(_trust_files(pki))
    return out


def _trust_files(pki: TestPKI) -> dict[str, str]:
    # Only the anchor: every *.json under vectors/generated is a vector. Metadata statements for the same test
    # authenticators come from `fidoconf trust export DIR` (ca.export_trust).
    return {"trust/root.pem": pki.root_pem()}


def write(out_dir: Path, generated: dict[str, str]) -> None:
    for stale in _existing(out_dir):
        if stale not in generated:
            (out_dir / stale).unlink()
    write_files(out_dir, generated)


def differences(out_dir: Path, generated: dict[str, str]) -> Iterator[str]:
    on_disk = set(_existing(out_dir))
    for relative, text in sorted(generated.items()):
        path = out_dir / relative
        if relative not in on_disk:
            yield f"missing: {relative}"
        elif path.read_bytes() != text.encode("utf-8"):
            yield f"differs: {relative}"
    for relative in sorted(on_disk - set(generated)):
        yield f"not generated: {relative}"


def _existing(out_dir: Path) -> list[str]:
    if not out_dir.exists():
        return []
    return [p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fidoconf.conformance.authenticator.generate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: vectors/generated)")
    parser.add_argument("--check", action="store_true", help="regenerate in memory; exit 1 if any file differs")
    args = parser.parse_args(argv)
    generated = files()
    if args.check:
        problems = list(differences(args.out, generated))
        for line in problems:
            print(line, file=sys.stderr)
        print(f"{len(generated)} files, {len(problems)} difference(s)")
        return 1 if problems else 0
    write(args.out, generated)
    valid = sum(1 for c in cases() if c.expected_code is None)
    print(f"wrote {len(generated)} files to {args.out} ({valid} accept cases, {len(cases()) - valid} reject cases)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
