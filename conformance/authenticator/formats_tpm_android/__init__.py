"""Generated tpm and android-key credentials: a valid one, or exactly one defect, re-signed.

`authenticator.make_credential` builds none/packed/fido-u2f. These two formats carry structures of their own
(TPMT_PUBLIC and TPMS_ATTEST signed by an AIK whose certificate has TPM-specific requirements; an Android
keystore certificate carrying the KeyDescription), so they are built here from the virtual authenticator's
parts: `keys.derive_key` for deterministic keys, `ca.TestPKI` for the test root and intermediate, `cbor`
for canonical encoding and `authenticator.AuthDataParts` for authenticatorData.

`tpm_cases` and `android_key_cases` list every check of #sctn-tpm-attestation, #sctn-tpm-cert-requirements and
#sctn-android-key-attestation broken once; `vectors()` returns them as vector files
(schemas/vectors/registration-vector.schema.json), and

    python -m conformance.authenticator.formats_tpm_android --out vectors/generated [--check]

writes <out>/<fmt>/<id>.json. Every byte is a function of the case: same code, same files.
`bench_credentials` makes fresh valid credentials for `fidoconf bench` (tpm RS256, android-key ES256).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from ..authenticator import b64url
from ..ca import VERIFY_AT, TestPKI
from ..keys import ALGS, SigningKey, derive_key
from . import android_key_cases, tpm_cases
from .android_key import AndroidKeyRecipe, make_android_key_credential
from .common import ORIGIN, RP_ID, Case
from .tpm import TpmRecipe, make_tpm_credential

__all__ = [
    "CASES",
    "AndroidKeyRecipe",
    "TpmRecipe",
    "bench_credentials",
    "build_case",
    "make_android_key_credential",
    "make_tpm_credential",
    "vectors",
    "write",
]

_SOURCE = {
    "repo": "fidoconf",
    "path": "conformance/authenticator/formats_tpm_android",
    "license": "Apache-2.0",
}
_MAKERS = {"tpm": make_tpm_credential, "android-key": make_android_key_credential}
CASES: tuple[Case, ...] = tpm_cases.CASES + android_key_cases.CASES


def build_case(case: Case, *, pki: TestPKI | None = None) -> dict[str, Any]:
    """The vector file (a dict) for one case."""
    challenge = hashlib.sha256(f"fidoconf/{case.fmt}/{case.id}/challenge".encode()).digest()
    bundle = _MAKERS[case.fmt](
        rp_id=RP_ID,
        origin=ORIGIN,
        challenge=challenge,
        alg=case.alg,
        seed=f"fidoconf/{case.fmt}/{case.alg}",
        recipe=case.recipe,
        pki=pki or TestPKI(),
        credential_id=hashlib.sha256(f"fidoconf credential id/{case.id}".encode()).digest(),
    )
    vector: dict[str, Any] = {
        "id": case.id,
        "source": {**_SOURCE, "generator": f"formats_tpm_android.cases:{case.id}"},
        "provenance": "fidoconf-generated",
        "format": case.fmt,
        "format_variant": case.fmt,
        "rp_id": RP_ID,
        "origin": ORIGIN,
        "challenge_b64url": b64url(challenge),
        "verify_at": VERIFY_AT,
        "pub_key_cred_params": [ALGS[case.alg].alg],
        "trust_anchor": "fidoconf Test Root CA (conformance/authenticator/ca.py TestPKI)",
        "defect": case.defect,
        "reason": case.requirement + f" ({case.anchor})",
        "credential": bundle.credential,
    }
    vector.update(_expectation(case))
    if case.note:
        vector["notes"] = [case.note]
    return vector


def _expectation(case: Case) -> dict[str, Any]:
    """`expect`/`expected_code` under the case's own policy (strict unless it names one) and `outcomes`."""
    outcomes = {
        p: {"expect": "reject", "expected_code": c} if c else {"expect": "accept"} for p, c in case.outcomes.items()
    }
    if case.policy is not None:
        verdict = case.custom_expect or "accept"
        main = {"expect": "accept"} if verdict == "accept" else {"expect": "reject", "expected_code": verdict}
        found: dict[str, Any] = {"policy": case.policy, **main, "outcomes": outcomes}
    else:
        found = {**outcomes["strict"], "outcomes": outcomes}
    verdicts = {json.dumps(o, sort_keys=True) for o in outcomes.values()}
    if case.policy is not None:
        verdicts.add(json.dumps({k: v for k, v in found.items() if k in ("expect", "expected_code")}, sort_keys=True))
    if len(verdicts) > 1:
        found["policy_dependent"] = True
    return found


def render(vector: dict[str, Any]) -> str:
    return json.dumps(vector, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def vectors(*, pki: TestPKI | None = None) -> list[dict[str, Any]]:
    pki = pki or TestPKI()
    return [build_case(case, pki=pki) for case in CASES]


def files(*, pki: TestPKI | None = None) -> dict[str, str]:
    """Relative path → file text for every case (nothing is written)."""
    return {f"{v['format']}/{v['id']}.json": render(v) for v in vectors(pki=pki)}


def write(out: str | Path, *, pki: TestPKI | None = None) -> list[Path]:
    """Write every case as <out>/<fmt>/<id>.json; returns the paths."""
    written = []
    for relative, text in files(pki=pki).items():
        path = Path(out) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written


def bench_credentials(fmt: str, count: int, *, pki: TestPKI | None = None) -> list[tuple[dict[str, Any], bytes]]:
    """`count` valid (credential JSON, challenge) pairs, each with its own credential key, challenge and id, for
    RP_ID / ORIGIN, chaining to `pki`'s root: tpm RS256 (RSA-2048 credential key, RSA AIK; x5c [aik, intermediate])
    or android-key ES256 (x5c [leaf, intermediate, root], the keystore's shape).

    RSA keys come from cryptography's generator (random: a benchmark needs distinct keys, not reproducible ones).
    """
    pki = pki or TestPKI()
    out = []
    for index in range(count):
        challenge = hashlib.sha256(f"fidoconf bench/{fmt}/{index}".encode()).digest()
        common = {
            "rp_id": RP_ID,
            "origin": ORIGIN,
            "challenge": challenge,
            "seed": f"fidoconf bench/{fmt}/{index}",
            "pki": pki,
            "credential_id": hashlib.sha256(f"fidoconf bench id/{fmt}/{index}".encode()).digest(),
        }
        if fmt == "tpm":
            key = SigningKey(ALGS["RS256"], rsa.generate_private_key(65537, 2048), f"bench/{index}")
            bundle = make_tpm_credential(alg="RS256", credential_key=key, **common)
        elif fmt == "android-key":
            key = derive_key("ES256", f"fidoconf bench/android-key/{index}")
            # Android keystore chains end with the root; py_webauthn insists on finding it there.
            recipe = AndroidKeyRecipe(x5c_layout="leaf+intermediate+root")
            bundle = make_android_key_credential(alg="ES256", credential_key=key, recipe=recipe, **common)
        else:
            raise ValueError(f"bench_credentials makes tpm or android-key credentials, not {fmt!r}")
        out.append((bundle.credential, challenge))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conformance.authenticator.formats_tpm_android",
        description="Write the tpm and android-key generated vectors.",
    )
    parser.add_argument("--out", required=True, help="directory to write <fmt>/<id>.json into (vectors/generated)")
    parser.add_argument("--check", action="store_true", help="regenerate in memory; exit 1 if a file differs")
    args = parser.parse_args(argv)
    generated = files()
    if args.check:
        differing = [r for r, text in generated.items() if _read(Path(args.out) / r) != text]
        for relative in differing:
            print(f"differs or missing: {relative}", file=sys.stderr)
        return 1 if differing else 0
    paths = write(args.out)
    print(f"wrote {len(paths)} vectors", file=sys.stderr)
    return 0


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None
