"""Vector files (schemas/vectors/registration-vector.schema.json) → verifier runs → comparable outcomes.

A recorded vector fixes its challenge, so it can only test a verifier, in-process. `verify_at` freezes the
clock (recorded chains have expired), `pub_key_cred_params` is what the RP allowed, and `policy` names the
preset (or overrides) under which `expect` holds; `outcomes` gives the expectation under other presets.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fidoconf.verifier import Policy, TrustStore, VerificationError, verify_registration
from fidoconf.verifier.encoding import b64url_decode


@dataclass(frozen=True, slots=True)
class Expectation:
    policy_name: str
    policy: Policy
    expect: str
    expected_code: str | None


@dataclass(frozen=True, slots=True)
class Outcome:
    result: str  # accept | reject
    code: str | None
    attestation_type: str | None
    trusted: bool | None
    message: str = ""

    def matches(self, expectation: Expectation) -> bool:
        if self.result != expectation.expect:
            return False
        return expectation.expect == "accept" or expectation.expected_code in (None, self.code)


def load(path: str | Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def expectations(vector: dict[str, Any]) -> list[Expectation]:
    """The vector's own expectation first, then one per preset named in `outcomes`."""
    policy_value = vector.get("policy")
    name = policy_value if isinstance(policy_value, str) else ("custom" if policy_value else "strict")
    found = [Expectation(name, Policy.from_json(policy_value), vector["expect"], vector.get("expected_code"))]
    for preset, outcome in sorted((vector.get("outcomes") or {}).items()):
        if preset == name:
            continue
        found.append(Expectation(preset, Policy.preset(preset), outcome["expect"], outcome.get("expected_code")))
    return found


def clock_for(vector: dict[str, Any]):
    verify_at = vector.get("verify_at")
    if not verify_at:
        return lambda: datetime.now(UTC)
    moment = datetime.fromisoformat(verify_at.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return lambda: moment


def run(vector: dict[str, Any], *, policy: Policy, trust: TrustStore) -> Outcome:
    try:
        result = verify_registration(
            vector["credential"],
            expected_challenge=b64url_decode(vector["challenge_b64url"], field="challenge_b64url"),
            expected_origin=vector["origin"],
            expected_rp_id=vector["rp_id"],
            expected_algorithms=vector.get("pub_key_cred_params"),
            policy=policy,
            trust=trust,
            clock=clock_for(vector),
        )
    except VerificationError as exc:
        return Outcome("reject", exc.code.value, None, None, exc.message)
    return Outcome("accept", None, result.attestation_type, result.trusted, result.trust_reason)


def iter_files(paths: list[str]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.json") if p.parent.name != "trust")
        else:
            yield path
