"""The fuzz strategies: defects compose stage by stage, every example rebuilds from its recipe, and each drawn
example builds a credential or is reported unbuildable (never an unexpected exception)."""

from __future__ import annotations

import json
import math

from fidoconf.conformance.authenticator.authenticator import make_credential
from fidoconf.conformance.fuzz.findings import decode_recipe, encode_recipe
from fidoconf.conformance.fuzz.strategies import Example, combine, examples, from_spec
from fidoconf.verifier.encoding import b64url_decode
from hypothesis import HealthCheck, given, settings

CHALLENGE = b"fuzz-challenge-0123456789abcdef!"


def _build(example: Example) -> dict:
    return make_credential(rp_id="localhost", origin="http://localhost:8000", challenge=CHALLENGE,
                           fmt=example.variant, alg=example.alg, seed="t", mutation=combine(example.defects)).credential


def _client_data(credential: dict) -> dict:
    return json.loads(b64url_decode(credential["response"]["clientDataJSON"], field="c"))


def test_two_defects_on_one_stage_both_apply_in_order():
    example = Example("none", (from_spec(("client_value", "origin", "https://a.example")),
                               from_spec(("client_value", "extra", 1))))
    client_data = _client_data(_build(example))
    assert client_data["origin"] == "https://a.example" and client_data["extra"] == 1


def test_recipe_round_trips_bytes_nan_and_int_keys():
    example = Example("packed-self", (from_spec(("cose_value", -2, {1: [b"\x00", None, True]})),
                                      from_spec(("catalogue", "cbor-trailing-four-bytes")),
                                      from_spec(("trailing", b"\xff"))))
    again = decode_recipe(encode_recipe(example))
    assert again.names == example.names and again.variant == "packed-self"
    assert _build(again)["response"]["attestationObject"].startswith(
        _build(example)["response"]["attestationObject"][:8])


@settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(examples())
def test_drawn_examples_rebuild_from_their_recipe(example):
    again = decode_recipe(encode_recipe(example))
    assert again.names == example.names
    assert [d.spec[0] for d in again.defects] == [d.spec[0] for d in example.defects]


def test_recipe_keeps_nan():
    example = Example("none", (from_spec(("client_value", "x", [math.nan])),))
    assert math.isnan(decode_recipe(encode_recipe(example)).defects[0].spec[2][0])
