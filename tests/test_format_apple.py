"""apple (#sctn-apple-anonymous-attestation): recorded responses, then one generated defect per check.

Generated credentials come from conformance/authenticator/formats_safetynet_apple_compound: an Apple-style
anonymization certificate under the test PKI carrying the nonce extension, reissued after each single mutation.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import pytest

from conformance import vectors
from conformance.authenticator import ca
from conformance.authenticator.formats_safetynet_apple_compound import apple, build_case
from verifier import Code, Policy, TrustStore, VerificationError, verify_registration
from verifier.attestation.apple import certificate_nonce
from verifier.clock import fixed_clock
from verifier.encoding import b64url_decode

from .conftest import assert_verdict

ROOT = Path(__file__).resolve().parent.parent
RECORDED = sorted((ROOT / "vectors" / "real" / "apple").glob("*.json"))


@cache
def pki() -> ca.TestPKI:
    return ca.TestPKI()


@cache
def trust() -> TrustStore:
    return TrustStore.from_pem_paths(ROOT / "vectors" / "trust").with_anchors(pki().root)


def _verify(vector: dict, *, policy: Policy):
    return verify_registration(
        vector["credential"],
        expected_challenge=b64url_decode(vector["challenge_b64url"], field="challenge"),
        expected_origin=vector["origin"],
        expected_rp_id=vector["rp_id"],
        policy=policy,
        trust=trust(),
        clock=fixed_clock(vector.get("verify_at") or ca.VERIFY_AT),
    )


def _code(vector: dict, *, policy: Policy) -> str | None:
    try:
        _verify(vector, policy=policy)
    except VerificationError as exc:
        return exc.code.value
    return None


@pytest.mark.parametrize(
    ("path", "expectation"),
    [
        pytest.param(path, expectation, id=f"{path.stem}[{expectation.policy_name}]")
        for path in RECORDED
        for expectation in vectors.expectations(vectors.load(path))
    ],
)
def test_recorded_vector(path, expectation):
    assert_verdict(vectors.load(path), expectation, trust=trust())


@pytest.mark.parametrize("name", ["f2n-apple", "pyw-apple-passkey", "swa-apple"])
def test_real_apple_devices_chain_to_the_apple_webauthn_root(name):
    result = _verify(vectors.load(ROOT / f"vectors/real/apple/{name}.json"), policy=Policy())
    assert (result.attestation_type, result.trusted) == ("anonca", True)
    assert "Apple WebAuthn Root CA" in result.trust_reason


def test_recorded_nonce_is_read_from_the_certificate():
    vector = vectors.load(ROOT / "vectors/real/apple/pyw-apple-passkey.json")
    result = _verify(vector, policy=Policy())
    auth_data = _auth_data(vector)
    client_data_hash = hashlib.sha256(b64url_decode(vector["credential"]["response"]["clientDataJSON"], field="c"))
    assert certificate_nonce(result.trust_path[0]) == hashlib.sha256(auth_data + client_data_hash.digest()).digest()


def _auth_data(vector: dict) -> bytes:
    import cbor2

    attestation_object = b64url_decode(vector["credential"]["response"]["attestationObject"], field="a")
    return cbor2.loads(attestation_object)["authData"]


@pytest.mark.parametrize(
    ("case", "preset"),
    [pytest.param(case, preset, id=f"{case.id}[{preset}]") for case in apple.CASES for preset in case.outcomes],
)
def test_generated_case(case, preset):
    assert _code(build_case(case, pki=pki()), policy=Policy.preset(preset)) == case.outcomes[preset]


def test_valid_credential_reports_anonca_with_the_certificate_chain():
    result = _verify(build_case(apple.CASES[0], pki=pki()), policy=Policy())
    assert (result.fmt, result.attestation_type, result.trusted, len(result.trust_path)) == ("apple", "anonca", True, 2)


def test_every_apple_code_has_a_generated_defect():
    codes = {code for case in apple.CASES for code in case.outcomes.values() if code}
    assert {
        Code.ATT_CERT_NONCE_MISSING.value,
        Code.ATT_CERT_NONCE_MALFORMED.value,
        Code.ATT_CERT_NONCE_MISMATCH.value,
        Code.ATT_CERT_PUBLIC_KEY_MISMATCH.value,
    } <= codes
