"""verify_registration's own boundary: caller inputs, the credential JSON envelope, size and policy refusals."""

from __future__ import annotations

import copy
import json

import pytest
from fidoconf.conformance import vectors
from fidoconf.verifier import Code, Policy, VerificationError, verify_registration
from fidoconf.verifier.encoding import b64url_decode, b64url_encode

from .conftest import VECTORS

VECTOR = json.loads((VECTORS / "real" / "packed-self" / "w3c-packed-self-es256.json").read_text())
CHALLENGE = b64url_decode(VECTOR["challenge_b64url"], field="challenge")


def verify(credential=None, **overrides):
    kwargs = dict(
        expected_challenge=CHALLENGE,
        expected_origin=VECTOR["origin"],
        expected_rp_id=VECTOR["rp_id"],
        clock=vectors.clock_for(VECTOR),
    )
    kwargs.update(overrides)
    return verify_registration(VECTOR["credential"] if credential is None else credential, **kwargs)


def code_of(*args, **kwargs) -> Code:
    with pytest.raises(VerificationError) as info:
        verify(*args, **kwargs)
    return info.value.code


def test_the_base_vector_verifies():
    result = verify()
    assert (result.fmt, result.attestation_type, result.alg, result.trusted) == ("packed", "self", -7, False)
    assert result.credential_public_key in b64url_decode(
        VECTOR["credential"]["response"]["attestationObject"], field="ao"
    )
    assert result.to_json()["flags"]["up"] is True


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"expected_challenge": b""}, Code.CONFIG_EXPECTED_CHALLENGE_INVALID),
        ({"expected_challenge": "text"}, Code.CONFIG_EXPECTED_CHALLENGE_INVALID),
        ({"expected_origin": []}, Code.CONFIG_EXPECTED_ORIGIN_INVALID),
        ({"expected_origin": [""]}, Code.CONFIG_EXPECTED_ORIGIN_INVALID),
        ({"expected_rp_id": ""}, Code.CONFIG_EXPECTED_RP_ID_INVALID),
        ({"expected_rp_id": None}, Code.CONFIG_EXPECTED_RP_ID_INVALID),
    ],
)
def test_caller_inputs_are_checked(overrides, code):
    assert code_of(**overrides) is code


@pytest.mark.parametrize("credential", [[], "credential", 7, None.__class__])
def test_credential_must_be_an_object(credential):
    assert code_of(credential) is Code.CREDENTIAL_JSON_INVALID


def test_attestation_object_size_limit():
    policy = Policy.from_json({"cbor": {"max_size": 100}})
    assert code_of(policy=policy) is Code.CBOR_ATTESTATION_OBJECT_TOO_LARGE


def test_attestation_type_refused_by_policy():
    assert code_of(policy=Policy.from_json({"allowed_attestation_types": ["basic"]})) is (
        Code.ATTESTATION_TYPE_NOT_ALLOWED
    )
    assert verify(policy=Policy.from_json({"allowed_attestation_types": ["self"]})).attestation_type == "self"


def test_format_refused_by_policy():
    assert code_of(policy=Policy.from_json({"allowed_formats": ["none"]})) is Code.ATTESTATION_FMT_NOT_ALLOWED


def test_id_and_raw_id_compare_as_text():
    credential = copy.deepcopy(VECTOR["credential"])
    credential["id"] = b64url_encode(b"other")
    assert code_of(credential) is Code.CREDENTIAL_ID_MISMATCH
