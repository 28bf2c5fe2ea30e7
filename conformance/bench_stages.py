"""Where a fidoconf verification spends its time, per stage and workload: the next bottleneck without a profiler.

Each stage is timed on its own over the workload's distinct credentials, with the inputs the earlier stages made
(prepared outside the timed pass), through the same public functions verify_registration calls:
  client data  base64url-decode clientDataJSON, parse it, check type/challenge/origin/crossOrigin/tokenBinding, hash;
  parse        base64url-decode the attestation object, decode its CBOR, parse authenticatorData, load the COSE key;
  statement    the format's statement verification (certificate loading and the attestation signature included),
               timed as parse-then-statement minus parse: with the credential key freshly loaded, as in a real call;
  chain        chain validation of the statement's trust path (with the certificate readings the statement made),
               timed as statement-then-chain minus the statement: fresh certificate objects each time.
"rest" is the whole verify_registration minus the stages: the glue (credential JSON checks, policy, result).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fidoconf.verifier import Policy
from fidoconf.verifier.attestation import REGISTRY, AttestationContext, StatementResult
from fidoconf.verifier.authdata import parse_authenticator_data
from fidoconf.verifier.clientdata import (
    check_challenge,
    check_cross_origin,
    check_origin,
    check_token_binding,
    check_type,
    parse_client_data,
)
from fidoconf.verifier.clock import system_clock
from fidoconf.verifier.cose import cose_key_from_map
from fidoconf.verifier.encoding import b64url_decode, canonical_attestation_object, decode_cbor
from fidoconf.verifier.errors import Code
from fidoconf.verifier.trust import validate_chain

from .bench import Sample, Workload, time_pass, verify_sample

STAGES = ("client data", "parse", "statement", "chain")


@dataclass
class StageRow:
    label: str
    #: stage -> microseconds per verification (best pass); "verify_registration" is the whole call.
    micros: dict[str, float] = field(default_factory=dict)

    def rest(self) -> float:
        return self.micros["verify_registration"] - sum(self.micros.get(s, 0.0) for s in STAGES)


def _client_data(case: Sample, policy: Policy) -> bytes:
    raw = b64url_decode(case.credential["response"]["clientDataJSON"], field="clientDataJSON")
    client_data = parse_client_data(raw, policy=policy)
    check_type(client_data)
    check_challenge(client_data, expected_challenge=case.challenge)
    check_origin(client_data, expected_origins=(case.origin,))
    check_cross_origin(client_data, policy=policy)
    check_token_binding(client_data, policy=policy)
    return hashlib.sha256(raw).digest()


def _parse(case: Sample, policy: Policy) -> tuple[str, Any, Any, Any]:
    data = b64url_decode(case.credential["response"]["attestationObject"], field="attestationObject")
    obj = canonical_attestation_object(data, limits=policy.cbor) or decode_cbor(
        data, what="attestationObject", trailing_code=Code.CBOR_ATTESTATION_OBJECT_TRAILING_BYTES, limits=policy.cbor
    )
    auth_data = parse_authenticator_data(obj["authData"], limits=policy.cbor)
    key = cose_key_from_map(
        auth_data.credential_public_key_params,
        min_rsa_bits=policy.min_rsa_bits,
        refuse_weak_ed25519=policy.refuse_weak_ed25519_keys,
        load_now=obj["fmt"] == "packed" and "x5c" not in obj["attStmt"],  # as verify_registration decides
    )
    return obj["fmt"], obj["attStmt"], auth_data, key


def stage_calls(workload: Workload, policy: Policy) -> dict[str, Callable[[Sample], object]]:
    """One callable per stage (and the whole call), each fed what the earlier stages made for its case."""
    hashes = {id(c): _client_data(c, policy) for c in workload.cases}
    parsed = {id(c): _parse(c, policy) for c in workload.cases}

    def context(case: Sample) -> AttestationContext:
        _, _, auth_data, key = parsed[id(case)]
        return AttestationContext(
            auth_data=auth_data,
            client_data_hash=hashes[id(case)],
            credential_key=key,
            policy=policy,
            clock=system_clock,
            formats=REGISTRY,
            names=workload.trust.name_readings(),
        )

    contexts = {id(c): context(c) for c in workload.cases}

    def statement(case: Sample) -> StatementResult:
        fmt, att_stmt, _, _ = parsed[id(case)]
        return REGISTRY[fmt](att_stmt, contexts[id(case)])

    def chain(case: Sample) -> object:
        # Validation of a trust path made by a fresh statement check: certificate objects a previous pass had
        # used would carry what cryptography caches on them (loaded keys, names) and make the chain look cheap.
        result = statement(case)
        if not result.trust_path:
            return None
        aaguid = parsed[id(case)][2].aaguid
        return validate_chain(result.trust_path, trust=workload.trust, aaguid=aaguid, clock=system_clock, policy=policy)

    def parse_then_statement(case: Sample) -> StatementResult:
        # The statement on a freshly parsed credential: OpenSSL's first verify with a key object just loaded
        # costs more than a later one, and a verifier of new credentials always pays the first.
        fmt, att_stmt, auth_data, key = _parse(case, policy)
        ctx = AttestationContext(
            auth_data, hashes[id(case)], key, policy, system_clock, REGISTRY, workload.trust.name_readings()
        )
        return REGISTRY[fmt](att_stmt, ctx)

    def whole(case: Sample) -> object:
        return verify_sample(case, policy=policy, trust=workload.trust)

    return {
        "client data": lambda case: _client_data(case, policy),
        "parse": lambda case: _parse(case, policy),
        "statement": statement,
        "parse+statement": parse_then_statement,
        "statement+chain": chain,
        "verify_registration": whole,
    }


#: Below this many microseconds either side of zero a derived stage is shown as "≈0" (the JSON keeps the figure).
NOISE_US = 0.5


def measure_stages(workloads: Sequence[Workload], *, rounds: int = 5) -> list[StageRow]:
    policy = Policy.preset("permissive")  # what bench.fidoconf_impl verifies with
    rows = []
    for workload in workloads:
        calls = stage_calls(workload, policy)
        best = {name: float("inf") for name in calls}
        for _ in range(rounds):
            for name, call in calls.items():
                best[name] = min(best[name], time_pass(call, workload.cases))
        micros = {n: s / len(workload.cases) * 1e6 for n, s in best.items()}
        micros["chain"] = micros.pop("statement+chain") - micros["statement"]
        micros["statement"] = micros.pop("parse+statement") - micros["parse"]
        rows.append(StageRow(workload.label, micros))
    return rows


def stages_json(rows: Sequence[StageRow]) -> list[dict[str, Any]]:
    """The stage table as data: per workload, microseconds per verification for each stage, "rest" and the whole
    verify_registration call (what `fidoconf bench --json` prints under "stages")."""
    out = []
    for row in rows:
        micros = {stage: row.micros[stage] for stage in STAGES}
        micros["rest"] = row.rest()
        micros["verify_registration"] = row.micros["verify_registration"]
        out.append({"workload": row.label, "micros": micros})
    return out


def stage_table(rows: Sequence[StageRow]) -> str:
    """Microseconds per verification for each stage (share of the whole call), one column per workload."""
    lines = ["| stage (µs per verification) | " + " | ".join(r.label for r in rows) + " |", "|" + "---|" * (len(rows) + 1)]
    for stage in (*STAGES, "rest"):
        cells = []
        for row in rows:
            value = row.rest() if stage == "rest" else row.micros[stage]
            # A stage timed as the difference of two passes reads a little below zero when it costs nothing
            # (packed self has no chain): within half a microsecond of zero it is shown as such.
            share = value / row.micros["verify_registration"]
            cells.append("≈0" if abs(value) < NOISE_US else f"{value:,.1f} ({share:.0%})")
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    lines.append("| verify_registration | " + " | ".join(f"{r.micros['verify_registration']:,.1f}" for r in rows) + " |")
    return "\n".join(lines)
