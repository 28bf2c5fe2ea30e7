"""android-safetynet (#sctn-android-safetynet-attestation): recorded responses, then one generated defect per check.

Generated credentials come from conformance/authenticator/formats_safetynet_apple_compound: a JWS under a test
attest.android.com certificate, re-signed after each single mutation, verified at the generator's verify_at with
the test root trusted. Each negative asserts its exact code under every policy preset.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
from datetime import timedelta

import pytest
from fidoconf.conformance import vectors
from fidoconf.conformance.authenticator import ca
from fidoconf.conformance.authenticator.formats_safetynet_apple_compound import safetynet
from fidoconf.conformance.authenticator.formats_safetynet_apple_compound.common import DROP, case_maker, changed
from fidoconf.conformance.authenticator.formats_safetynet_apple_compound.vectors import build_case
from fidoconf.verifier import Code, Policy, VerificationError
from fidoconf.verifier.attestation.android_safetynet import expected_nonce, parse_jws
from fidoconf.verifier.clock import fixed_clock

from .conftest import assert_verdict
from .format_support import ROOT, anchored_trust, code_of, pki, recorded_params, verify_vector

# --- recorded vectors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "expectation"), recorded_params("android-safetynet"))
def test_recorded_vector(path, expectation):
    assert_verdict(vectors.load(path), expectation, trust=anchored_trust())


def test_recorded_response_is_basic_attestation_trusted_to_globalsign():
    result = verify_vector(vectors.load(ROOT / "vectors/real/android-safetynet/pyw-safetynet.json"), policy=Policy())
    assert (result.fmt, result.attestation_type, result.trusted) == ("android-safetynet", "basic", True)
    assert result.trust_path[0].subject.rfc4514_string() == "CN=attest.android.com"
    assert result.statement_info["cts_profile_match"] is True
    assert result.statement_info["timestamp"] == "2021-09-03T21:07:20.057000+00:00"


# --- generated: one defect each -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "preset"),
    [pytest.param(case, preset, id=f"{case.name}[{preset}]") for case in safetynet.MUTATIONS for preset in case.outcomes],
)
def test_generated_case(case, preset):
    assert code_of(build_case(case, pki=pki()), policy=Policy.preset(preset)) == case.outcomes[preset].get("expected_code")


def test_valid_credential_reports_basic_attestation_with_the_jws_chain():
    result = verify_vector(build_case(safetynet.MUTATIONS[0], pki=pki()), policy=Policy())
    assert (result.attestation_type, result.trusted, len(result.trust_path)) == ("basic", True, 2)
    assert result.statement_info["jws_alg"] == "RS256"


def test_every_check_has_a_generated_defect():
    codes = {outcome.get("expected_code") for case in safetynet.MUTATIONS for outcome in case.outcomes.values()} - {None}
    safetynet_codes = {c.value for c in Code if c.value.startswith(("safetynet.", "safetynet_response."))}
    assert safetynet_codes <= codes
    assert Code.ATT_CERT_HOSTNAME_MISMATCH.value in codes


# --- timestamp window boundaries (Policy.safetynet_max_age_ms, safetynet_clock_skew_ms) -----------------------


def _at_offset(offset_ms: int) -> dict:
    """A valid credential whose timestampMs is verify_at + offset_ms."""
    issued = int(fixed_clock(ca.VERIFY_AT)().timestamp() * 1000) + offset_ms
    case = case_maker("android-safetynet", "safetynet")(f"timestamp-{offset_ms}", None, {"payload": changed(timestampMs=issued)}, None)
    return build_case(case, pki=pki())


@pytest.mark.parametrize(
    ("offset_ms", "expected"),
    [
        (-60_000, None),
        (-60_001, Code.SAFETYNET_RESPONSE_TIMESTAMP_EXPIRED.value),
        (1_000, None),
        (1_001, Code.SAFETYNET_RESPONSE_TIMESTAMP_FUTURE.value),
    ],
)
def test_strict_timestamp_window_edges(offset_ms, expected):
    assert code_of(_at_offset(offset_ms), policy=Policy()) == expected


def test_age_limit_off_still_refuses_the_future():
    policy = replace(Policy(), safetynet_max_age_ms=None)
    assert code_of(_at_offset(-10 * 365 * 86_400_000), policy=policy) is None
    assert code_of(_at_offset(5_000), policy=policy) == Code.SAFETYNET_RESPONSE_TIMESTAMP_FUTURE.value


def test_the_clock_is_the_injected_one():
    vector = build_case(safetynet.MUTATIONS[0], pki=pki())
    late = fixed_clock(ca.VERIFY_AT)() + timedelta(minutes=5)
    assert code_of(vector, policy=Policy(), clock=lambda: late) == Code.SAFETYNET_RESPONSE_TIMESTAMP_EXPIRED.value


def test_timestamp_beyond_safe_integers_is_invalid_not_a_crash():
    case = case_maker("android-safetynet", "safetynet")("timestamp-huge", None, {"payload": changed(timestampMs=2**64)}, None)
    assert code_of(build_case(case, pki=pki()), policy=Policy()) == Code.SAFETYNET_RESPONSE_TIMESTAMP_INVALID.value


def test_boolean_cts_verdict_must_be_true_not_truthy():
    case = case_maker("android-safetynet", "safetynet")("cts-one", None, {"payload": changed(ctsProfileMatch=1)}, None)
    assert code_of(build_case(case, pki=pki()), policy=Policy()) == Code.SAFETYNET_RESPONSE_CTS_PROFILE_MATCH_FALSE.value


def test_nonce_is_padded_standard_base64_of_sha256():
    auth_data, client_data_hash = b"\x01" * 37, b"\x02" * 32
    digest = hashlib.sha256(auth_data + client_data_hash).digest()
    assert expected_nonce(auth_data, client_data_hash) == base64.b64encode(digest).decode()
    assert expected_nonce(auth_data, client_data_hash).endswith("=")


@pytest.mark.parametrize(
    ("response", "code"),
    [
        (b"\xff.a.b", Code.SAFETYNET_RESPONSE_JWS_MALFORMED),
        (b"e30.e30.", Code.SAFETYNET_RESPONSE_JWS_MALFORMED),
        (b"e30.e30.AA", Code.SAFETYNET_RESPONSE_ALG_UNSUPPORTED),
        (
            base64.urlsafe_b64encode(b'{"alg":"RS256"}').rstrip(b"=") + b".WzFd.AA",
            Code.SAFETYNET_RESPONSE_JWS_MALFORMED,
        ),
        (
            base64.urlsafe_b64encode(b'{"alg":"RS256","n":NaN}').rstrip(b"=") + b".e30.AA",
            Code.SAFETYNET_RESPONSE_JWS_MALFORMED,
        ),
        (base64.urlsafe_b64encode(b"[" * 100_000).rstrip(b"=") + b".e30.AA", Code.SAFETYNET_RESPONSE_JWS_MALFORMED),
    ],
    ids=["not-ascii", "empty-signature", "no-alg", "payload-array", "nan", "deep-json"],
)
def test_jws_parse_boundary(response, code):
    with pytest.raises(VerificationError) as raised:
        parse_jws(response)
    assert raised.value.code is code


def test_dropping_a_member_is_how_missing_is_made():
    assert changed(a=DROP)({"a": 1, "b": 2}, None) == {"b": 2}
