"""Property: whatever the bytes, verify_registration returns a result or raises a coded VerificationError.

Seeds are every recorded and generated vector (all formats), so mutations reach every format's attStmt
parser. `internal.unexpected.error` counts as a failure: it means a builtin exception reached the boundary.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache

import cbor2
from fidoconf.conformance import vectors
from fidoconf.verifier import Code, Policy, TrustStore, VerificationError, verify_registration
from fidoconf.verifier.encoding import b64url_decode, b64url_encode
from hypothesis import given
from hypothesis import strategies as st

from .conftest import VECTORS

POLICIES = [Policy.preset(name) for name in ("strict", "fido-conformance", "permissive")]


_FIELDS = ("attestationObject", "clientDataJSON")


@lru_cache(maxsize=1)
def seeds() -> list[dict]:
    found = []
    for path in sorted(VECTORS.glob("*/*/*.json")):
        if path.parent.name == "trust" or path.parts[-3] not in ("real", "generated"):
            continue
        vector = json.loads(path.read_text())
        response = vector.get("credential", {}).get("response")
        # Seeds must carry both fields as text; vectors whose defect is a missing field seed nothing here.
        if isinstance(response, dict) and all(isinstance(response.get(k), str) for k in _FIELDS):
            try:
                decoded = cbor2.loads(b64url_decode(response["attestationObject"], field="ao"))
            except (VerificationError, ValueError, cbor2.CBORDecodeError):
                continue
            if isinstance(decoded, dict):  # mutations start from a well-formed attestation object
                found.append(vector)
    assert found, "no vectors found to seed the fuzzer"
    return found


@lru_cache(maxsize=1)
def trust() -> TrustStore:
    return TrustStore.from_pem_paths(VECTORS / "trust", VECTORS / "generated" / "trust")


def run(vector: dict, policy: Policy) -> None:
    try:
        verify_registration(
            vector["credential"],
            expected_challenge=b64url_decode(vector["challenge_b64url"], field="challenge"),
            expected_origin=vector["origin"],
            expected_rp_id=vector["rp_id"],
            expected_algorithms=vector.get("pub_key_cred_params"),
            policy=policy,
            trust=trust(),
            clock=vectors.clock_for(vector),
        )
    except VerificationError as exc:
        assert isinstance(exc.code, Code)
        assert exc.code is not Code.INTERNAL_UNEXPECTED, f"builtin exception escaped: {exc.message}"


def with_attestation_object(vector: dict, data: bytes) -> dict:
    mutated = copy.deepcopy(vector)
    mutated["credential"]["response"]["attestationObject"] = b64url_encode(data)
    return mutated


seed_index = st.integers(min_value=0, max_value=10_000)
policy_index = st.integers(min_value=0, max_value=len(POLICIES) - 1)


@given(seed_index, policy_index, st.binary(max_size=600))
def test_random_attestation_object_bytes(i, p, data):
    vector = seeds()[i % len(seeds())]
    run(with_attestation_object(vector, data), POLICIES[p])


@given(seed_index, policy_index, st.data())
def test_single_byte_mutations(i, p, data):
    vector = seeds()[i % len(seeds())]
    raw = bytearray(b64url_decode(vector["credential"]["response"]["attestationObject"], field="ao"))
    pos = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    action = data.draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
    if action == "flip":
        raw[pos] ^= 1 << data.draw(st.integers(min_value=0, max_value=7))
    elif action == "set":
        raw[pos] = data.draw(st.integers(min_value=0, max_value=255))
    elif action == "insert":
        raw.insert(pos, data.draw(st.integers(min_value=0, max_value=255)))
    elif action == "delete":
        del raw[pos]
    else:
        del raw[pos:]
    run(with_attestation_object(vector, bytes(raw)), POLICIES[p])


cbor_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**64), max_value=2**64 - 1) | st.binary(max_size=80)
    | st.text(max_size=20) | st.floats(allow_nan=False),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8) | st.integers(), children, max_size=4),
    max_leaves=12,
)


@given(seed_index, policy_index, st.data())
def test_field_mutations_of_att_stmt_and_auth_data(i, p, data):
    """Replace, drop or add one attStmt field, or one byte range of authData, keeping the CBOR well formed."""
    vector = seeds()[i % len(seeds())]
    obj = cbor2.loads(b64url_decode(vector["credential"]["response"]["attestationObject"], field="ao"))
    stmt = obj.get("attStmt")
    target = data.draw(st.sampled_from(["att_stmt", "auth_data", "fmt", "top"]))
    if target == "att_stmt" and isinstance(stmt, dict):
        keys = sorted(stmt, key=str) + ["alg", "sig", "x5c", "ver", "certInfo", "pubArea", "response", "extra"]
        key = data.draw(st.sampled_from(keys))
        if data.draw(st.booleans()):
            stmt[key] = data.draw(cbor_values)
        else:
            stmt.pop(key, None)
        if isinstance(stmt.get("x5c"), list) and stmt["x5c"] and data.draw(st.booleans()):
            certs = stmt["x5c"]
            j = data.draw(st.integers(min_value=0, max_value=len(certs) - 1))
            if isinstance(certs[j], bytes) and certs[j]:
                cut = data.draw(st.integers(min_value=0, max_value=len(certs[j]) - 1))
                certs[j] = certs[j][:cut] + bytes([certs[j][cut] ^ 0x01]) + certs[j][cut + 1 :]
    elif target == "auth_data" and isinstance(obj.get("authData"), bytes):
        ad = bytearray(obj["authData"])
        start = data.draw(st.integers(min_value=0, max_value=len(ad)))
        ad[start : start + data.draw(st.integers(0, 8))] = data.draw(st.binary(max_size=8))
        obj["authData"] = bytes(ad)
    elif target == "fmt":
        obj["fmt"] = data.draw(cbor_values | st.sampled_from(["none", "packed", "tpm", "android-key", "apple",
                                                               "android-safetynet", "fido-u2f", "compound"]))
    else:
        obj[data.draw(st.text(max_size=8) | st.integers())] = data.draw(cbor_values)
    try:
        encoded = cbor2.dumps(obj)
    except Exception:  # hypothesis built a value cbor2 cannot encode; nothing to verify
        return
    run(with_attestation_object(vector, encoded), POLICIES[p])


@given(seed_index, policy_index, st.binary(max_size=300))
def test_random_client_data_json(i, p, data):
    vector = copy.deepcopy(seeds()[i % len(seeds())])
    vector["credential"]["response"]["clientDataJSON"] = b64url_encode(data)
    run(vector, POLICIES[p])
