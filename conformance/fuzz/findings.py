"""Findings as files: a schema-valid registration vector per finding (replayable with `fidoconf verify FILE` and
`fidoconf fuzz --replay FILE`), a curl reproduction next to it, and findings.json for the run."""

from __future__ import annotations

import json
import re
import shlex
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cbor2
from fidoconf.verifier.encoding import b64url_decode, b64url_encode

from .oracle import Observation
from .strategies import Example

SOURCE = {"repo": "fidoconf", "path": "conformance/fuzz", "license": "Apache-2.0"}


def slug(key: tuple[str, str]) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", f"{key[0]}.{key[1]}")


def encode_recipe(example: Example) -> str:
    """The example as base64url CBOR (defect arguments are bytes, NaN, int-keyed maps: not JSON)."""
    return b64url_encode(cbor2.dumps(example.recipe()))


def decode_recipe(text: str) -> Example:
    return Example.from_recipe(cbor2.loads(b64url_decode(text, field="recipe")))


def load_finding(path: Path) -> tuple[dict[str, Any], Example, tuple[str, str]]:
    """A saved finding: the vector, the example to rebuild on a fresh ceremony, and the (kind, code) it had."""
    record = json.loads(Path(path).read_text(encoding="utf-8"))
    fuzz = record["info"]["fuzz"]
    return record, decode_recipe(fuzz["recipe"]), (fuzz["kind"], fuzz["code"])


def vector(observation: Observation, *, origin: str, root_pem: str | None) -> dict[str, Any]:
    """The finding as a registration vector whose expectation is the reference's verdict."""
    kind, code = observation.key or ("none", "accept")
    ceremony = observation.ceremony
    algorithms = [p.get("alg") for p in ceremony["options"].get("pubKeyCredParams", []) if isinstance(p, dict)]
    record: dict[str, Any] = {
        "id": slug((kind, code)),
        "source": SOURCE,
        "provenance": "fidoconf-generated",
        "format": "packed" if observation.example.variant.startswith("packed") else observation.example.variant,
        "format_variant": observation.example.variant,
        "rp_id": ceremony["rp_id"],
        "origin": origin,
        "challenge_b64url": b64url_encode(ceremony["challenge"]),
        "verify_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "expect": observation.reference.result,
        "defect": "+".join(observation.example.names) or None,
        "reason": f"fuzz finding {kind}: the target answered {observation.target.result}"
        + (f" ({observation.target.code})" if observation.target.code else "")
        + f"; the reference answers {observation.reference.result}"
        + (f" {observation.reference.code}" if observation.reference.code else ""),
        "notes": [f"defects: {', '.join(observation.example.names) or '(none)'}",
                  f"target detail: {observation.target.detail[:200]}"],
        "info": {"fuzz": {"kind": kind, "code": code, "target": observation.target.__dict__,
                          "reference": observation.reference.__dict__, "recipe": encode_recipe(observation.example)}},
        "credential": observation.credential,
    }
    if algorithms and all(isinstance(a, int) and not isinstance(a, bool) for a in algorithms):
        record["pub_key_cred_params"] = algorithms
    if observation.reference.code and observation.reference.result == "reject":
        record["expected_code"] = observation.reference.code
    if root_pem and observation.example.variant in ("packed-x5c", "fido-u2f"):
        record["trust_anchor"] = "trust/root.pem (this run's fidoconf test root)"
        record["trust_anchor_pem"] = root_pem
    return record


def curl(observation: Observation) -> str:
    request = observation.request
    if not request:
        return "# no request was recorded for this finding\n"
    body = request["body"]
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    parts = ["curl", "-sS", "-X", request["method"], shlex.quote(request["url"])]
    for name, value in request["headers"].items():
        if name.lower() in ("content-length", "host", "accept-encoding", "connection", "user-agent"):
            continue
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    parts += ["--data-binary", shlex.quote(text)]
    note = ("# The challenge is single-use: start a new ceremony first and substitute its statusToken/session, or\n"
            "# replay with `fidoconf fuzz --replay VECTOR --target URL`, which does that for you.\n")
    return note + " ".join(parts) + "\n"


def save(findings: dict[tuple[str, str], Observation], *, out_dir: Path, origin: str, root_pem: str | None,
         stats: dict[str, Any]) -> list[Path]:
    directory = out_dir / "findings"
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    summary = []
    for key, observation in sorted(findings.items()):
        path = directory / f"{slug(key)}.json"
        path.write_text(json.dumps(vector(observation, origin=origin, root_pem=root_pem), indent=2, sort_keys=True,
                                   ensure_ascii=True, default=str) + "\n", encoding="utf-8")
        (directory / f"{slug(key)}.curl.sh").write_text(curl(observation), encoding="utf-8")
        written.append(path)
        summary.append({"kind": key[0], "code": key[1], "defects": observation.example.names,
                        "variant": observation.example.variant, "target": observation.target.__dict__,
                        "reference": observation.reference.__dict__, "vector": str(path.relative_to(out_dir))})
    (out_dir / "findings.json").write_text(json.dumps({"stats": stats, "findings": summary}, indent=2, default=str)
                                           + "\n", encoding="utf-8")
    return written
