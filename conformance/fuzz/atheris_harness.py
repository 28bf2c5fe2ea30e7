"""Coverage-guided fuzzing (atheris/libFuzzer) of the reference verifier's parse boundary.

Input layout: two bytes big-endian length L, L bytes of clientDataJSON, then the attestationObject. The expected
challenge and origin are read from that clientDataJSON (so mutations reach CBOR parsing instead of dying at the
challenge check); the RP ID is the generated vectors'. The corpus is seeded from vectors/generated. The property:
every input ends in a result or a VerificationError with a code other than internal.unexpected.error; anything else
is a crash, saved (deduplicated by exception type and line) as a vector under <run>/findings/ and libFuzzer goes on.

Run: `fidoconf fuzz --engine atheris --time S` (this module is started as a subprocess, since libFuzzer exits the
process when it ends).
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Any

from fidoconf.verifier import VerificationError, verify_registration
from fidoconf.verifier.encoding import b64url_decode, b64url_encode

from ..authenticator.generate import ORIGIN, RP_ID
from ..data import vectors_dir

INTERNAL = "internal.unexpected.error"


def pack(client_data_json: bytes, attestation_object: bytes) -> bytes:
    return len(client_data_json).to_bytes(2, "big") + client_data_json + attestation_object


def unpack(data: bytes) -> tuple[bytes, bytes]:
    length = int.from_bytes(data[:2], "big")
    return data[2 : 2 + length], data[2 + length :]


def seed_corpus(directory: Path, *, limit: int = 400) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted((vectors_dir() / "generated").rglob("*.json"))[:limit]:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            response = record["credential"]["response"]
            data = pack(b64url_decode(response["clientDataJSON"], field="c"),
                        b64url_decode(response["attestationObject"], field="a"))
        except (ValueError, KeyError, TypeError, VerificationError):
            continue
        (directory / path.stem).write_bytes(data)
        count += 1
    return count


def expected_from(client_data_json: bytes) -> tuple[bytes, str]:
    try:
        value = json.loads(client_data_json)
        return b64url_decode(value["challenge"], field="challenge"), str(value["origin"])
    except Exception:  # any garbage: the verifier will refuse the client data itself
        return b"\x00" * 16, ORIGIN


def credential_of(client_data_json: bytes, attestation_object: bytes) -> dict[str, Any]:
    cred_id = b64url_encode(b"fuzz-credential-id-0123456789abc")
    return {"id": cred_id, "rawId": cred_id, "type": "public-key", "clientExtensionResults": {},
            "response": {"clientDataJSON": b64url_encode(client_data_json),
                         "attestationObject": b64url_encode(attestation_object)}}


def check(data: bytes) -> tuple[str, dict[str, Any]] | None:
    """None when the verifier behaved; else (crash signature, vector)."""
    client_data_json, attestation_object = unpack(data)
    challenge, origin = expected_from(client_data_json)
    credential = credential_of(client_data_json, attestation_object)
    try:
        verify_registration(credential, expected_challenge=challenge, expected_origin=origin, expected_rp_id=RP_ID)
        return None
    except VerificationError as exc:
        if exc.code.value != INTERNAL:
            return None
        signature = f"{INTERNAL}: {exc.message[:80]}"
    except Exception as exc:  # the property under test: nothing else may escape
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        signature = f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}"
    vector = {
        "id": "atheris-crash", "source": {"repo": "fidoconf", "path": "conformance/fuzz", "license": "Apache-2.0"},
        "provenance": "fidoconf-generated", "format": "none", "rp_id": RP_ID, "origin": origin,
        "challenge_b64url": b64url_encode(challenge) or "AA", "expect": "reject",
        "reason": f"atheris crash: {signature}", "credential": credential,
    }
    return signature, vector


def main(argv: list[str]) -> None:
    import atheris

    run_dir = Path(argv[1])
    findings = run_dir / "findings"
    findings.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()

    def one_input(data: bytes) -> None:
        found = check(data)
        if found is None or found[0] in seen:
            return
        seen.add(found[0])
        name = f"atheris-{len(seen):03d}.json"
        (findings / name).write_text(json.dumps(found[1], indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"\ncrash {found[0]} -> {findings / name}", file=sys.stderr)

    atheris.instrument_all()
    atheris.Setup([argv[0], *argv[2:]], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
