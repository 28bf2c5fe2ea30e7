"""android-key attestation (#sctn-android-key-attestation): every check, one defect at a time, and the
KeyDescription DER parser failing closed.

The credentials are built at test time (conformance/authenticator/formats_tpm_android), valid except for the
one defect each case names, re-signed; each must get exactly its verdict and code under every policy it names.
"""

from __future__ import annotations

import json

import cbor2
import pytest
from cryptography import x509
from fidoconf.conformance import vectors
from fidoconf.conformance.authenticator.formats_tpm_android import android_key, android_key_cases
from fidoconf.conformance.authenticator.formats_tpm_android.common import ORIGIN, RP_ID
from fidoconf.conformance.authenticator.formats_tpm_android.vectors import bench_credentials, build_case, files
from fidoconf.verifier import Policy, VerificationError, verify_registration
from fidoconf.verifier.attestation.android_asn1 import KM_ORIGIN_GENERATED, KM_PURPOSE_SIGN, parse_key_description
from fidoconf.verifier.certs import find_extension
from fidoconf.verifier.encoding import b64url_decode, b64url_encode
from fidoconf.verifier.errors import Code
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import VECTORS, assert_verdict


@pytest.mark.parametrize("case", android_key_cases.MUTATIONS, ids=lambda c: c.name)
def test_case_gets_its_verdict_under_every_named_policy(case, pki, pki_trust):
    vector = build_case(case, pki=pki)
    for expectation in vectors.expectations(vector):
        assert_verdict(vector, expectation, trust=pki_trust)


def test_every_check_has_a_case():
    expected = {outcome.get("expected_code") for case in android_key_cases.MUTATIONS for outcome in case.outcomes.values()} - {None}
    expected |= {case.expected_code for case in android_key_cases.MUTATIONS if case.policy and case.expected_code}
    wanted = {c.value for c in Code if c.value.startswith("android_key.")} | {
        Code.ATT_CERT_KEY_DESCRIPTION_MISSING.value,
        Code.ATT_CERT_KEY_DESCRIPTION_MALFORMED.value,
        Code.ATT_CERT_PUBLIC_KEY_MISMATCH.value,
    }
    assert wanted - expected == set()


def test_committed_vectors_are_what_the_generator_writes():
    generated = {rel: text for rel, text in files().items() if rel.startswith("android-key/")}
    on_disk = {
        f"android-key/{p.name}": p.read_text(encoding="utf-8")
        for p in (VECTORS / "generated" / "android-key").glob("android-key-*.json")
    }
    assert on_disk == generated


def test_bench_credentials_are_distinct_and_accepted(pki, pki_trust):
    made = bench_credentials("android-key", 3, pki=pki)
    assert len({c["rawId"] for c, _ in made}) == 3
    assert len({c["response"]["attestationObject"] for c, _ in made}) == 3
    for credential, challenge in made:
        result = verify_registration(
            credential,
            expected_challenge=challenge,
            expected_origin=ORIGIN,
            expected_rp_id=RP_ID,
            policy=Policy.preset("permissive"),
            trust=pki_trust,
        )
        assert (result.fmt, result.attestation_type, result.trusted) == ("android-key", "basic", True)


# --- KeyDescription parser -------------------------------------------------------------------------------------


def _recorded_key_description(name: str) -> bytes:
    vector = vectors.load(VECTORS / "real" / "android-key" / name)
    raw = vector["credential"]["response"]["attestationObject"]
    statement = cbor2.loads(b64url_decode(raw, field="attestationObject"))["attStmt"]
    extension = find_extension(x509.load_der_x509_certificate(statement["x5c"][0]), "1.3.6.1.4.1.11129.2.1.17")
    assert extension is not None
    return extension.value


def test_recorded_keystore_description_parses():
    """A real Android keystore KeyDescription (webauthn-rs test_google_android_key): high tags [600]..[705]."""
    description = parse_key_description(_recorded_key_description("wrs-android-key-webauthn-org.json"))
    assert (description.attestation_version, description.keymaster_security_level) == (2, 1)
    assert description.tee_enforced.purpose == frozenset({KM_PURPOSE_SIGN})
    assert description.tee_enforced.origin == KM_ORIGIN_GENERATED
    assert {400, 401, 402, 701, 709} <= description.software_enforced.tags


def test_every_prefix_of_a_key_description_is_malformed():
    encoded = android_key.key_description(challenge=bytes(32))
    assert parse_key_description(encoded).attestation_challenge == bytes(32)
    for end in range(len(encoded)):
        with pytest.raises(VerificationError) as info:
            parse_key_description(encoded[:end])
        assert info.value.code is Code.ATT_CERT_KEY_DESCRIPTION_MALFORMED


@pytest.mark.parametrize(
    "tag",
    [b"\x9f\x80\x01", b"\xbf\x1e", b"\xbf\x84\x80\x80\x80\x00"],
    ids=["non-minimal-tag", "long-form-below-31", "tag-too-large"],
)
def test_bad_high_tag_numbers_are_malformed(tag):
    bad_list = b"\x30" + bytes([len(tag) + 4]) + tag + b"\x03\x02\x01\x00"
    encoded = android_key.key_description(challenge=bytes(32))
    fields = android_key.der.children(encoded)
    fields[7] = bad_list
    with pytest.raises(VerificationError) as info:
        parse_key_description(android_key.der.tlv(0x30, b"".join(fields)))
    assert info.value.code is Code.ATT_CERT_KEY_DESCRIPTION_MALFORMED


@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_a_description_or_a_coded_refusal(data):
    try:
        parse_key_description(data)
    except VerificationError as exc:
        assert exc.code is Code.ATT_CERT_KEY_DESCRIPTION_MALFORMED


@given(st.integers(min_value=0, max_value=400), st.integers(min_value=0, max_value=255))
def test_single_byte_corruptions_never_escape_as_builtin_errors(position, value):
    encoded = bytearray(android_key.key_description(challenge=bytes(32)))
    encoded[position % len(encoded)] = value
    try:
        parse_key_description(bytes(encoded))
    except VerificationError as exc:
        assert exc.code is Code.ATT_CERT_KEY_DESCRIPTION_MALFORMED


# --- no builtin exception escapes ------------------------------------------------------------------------------

_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.binary(max_size=40) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def valid_android_key(pki):
    vector = build_case(android_key_cases.MUTATIONS[0], pki=pki)
    raw = vector["credential"]["response"]["attestationObject"]
    return vector, cbor2.loads(b64url_decode(raw, field="attestationObject"))


def _verify_with_statement(vector: dict, attestation_object: dict, statement: dict) -> None:
    """Accepted, or refused with a code; never a builtin exception (internal.unexpected.error)."""
    credential = json.loads(json.dumps(vector["credential"]))
    encoded = cbor2.dumps({**attestation_object, "attStmt": statement}, canonical=True)
    credential["response"]["attestationObject"] = b64url_encode(encoded)
    try:
        verify_registration(
            credential,
            expected_challenge=b64url_decode(vector["challenge_b64url"], field="challenge"),
            expected_origin=vector["origin"],
            expected_rp_id=vector["rp_id"],
            policy=Policy.preset("permissive"),
            clock=vectors.clock_for(vector),
        )
    except VerificationError as exc:
        assert exc.code is not Code.INTERNAL_UNEXPECTED, exc.message


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["alg", "sig", "x5c"]), value=_VALUES)
def test_any_field_value_never_escapes_as_a_builtin_error(valid_android_key, field, value):
    vector, attestation_object = valid_android_key
    _verify_with_statement(vector, attestation_object, {**attestation_object["attStmt"], field: value})


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=0, max_value=2000), flip=st.integers(min_value=1, max_value=255))
def test_corrupted_keystore_certificate_never_escapes_as_a_builtin_error(valid_android_key, position, flip):
    vector, attestation_object = valid_android_key
    statement = dict(attestation_object["attStmt"])
    leaf = bytearray(statement["x5c"][0])
    leaf[position % len(leaf)] ^= flip
    statement["x5c"] = [bytes(leaf), *statement["x5c"][1:]]
    _verify_with_statement(vector, attestation_object, statement)
