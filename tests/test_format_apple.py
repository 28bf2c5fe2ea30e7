"""apple (#sctn-apple-anonymous-attestation): recorded responses, then one generated defect per check.

Generated credentials come from conformance/authenticator/formats_safetynet_apple_compound: an Apple-style
anonymization certificate under the test PKI carrying the nonce extension, reissued after each single mutation.
"""

from __future__ import annotations

import hashlib

import pytest
from fidoconf.conformance import vectors
from fidoconf.conformance.authenticator.formats_safetynet_apple_compound import apple
from fidoconf.conformance.authenticator.formats_safetynet_apple_compound.vectors import build_case
from fidoconf.verifier import Code, Policy
from fidoconf.verifier.attestation.apple import certificate_nonce
from fidoconf.verifier.encoding import b64url_decode

from .conftest import assert_verdict
from .format_support import ROOT, anchored_trust, code_of, pki, recorded_params, verify_vector


@pytest.mark.parametrize(("path", "expectation"), recorded_params("apple"))
def test_recorded_vector(path, expectation):
    assert_verdict(vectors.load(path), expectation, trust=anchored_trust())


@pytest.mark.parametrize("name", ["f2n-apple", "pyw-apple-passkey", "swa-apple"])
def test_real_apple_devices_chain_to_the_apple_webauthn_root(name):
    result = verify_vector(vectors.load(ROOT / f"vectors/real/apple/{name}.json"), policy=Policy())
    assert (result.attestation_type, result.trusted) == ("anonca", True)
    assert "Apple WebAuthn Root CA" in result.trust_reason


def test_recorded_nonce_is_read_from_the_certificate():
    vector = vectors.load(ROOT / "vectors/real/apple/pyw-apple-passkey.json")
    result = verify_vector(vector, policy=Policy())
    auth_data = _auth_data(vector)
    client_data_hash = hashlib.sha256(b64url_decode(vector["credential"]["response"]["clientDataJSON"], field="c"))
    assert certificate_nonce(result.trust_path[0]) == hashlib.sha256(auth_data + client_data_hash.digest()).digest()


def _auth_data(vector: dict) -> bytes:
    import cbor2

    attestation_object = b64url_decode(vector["credential"]["response"]["attestationObject"], field="a")
    return cbor2.loads(attestation_object)["authData"]


@pytest.mark.parametrize(
    ("case", "preset"),
    [pytest.param(case, preset, id=f"{case.name}[{preset}]") for case in apple.MUTATIONS for preset in case.outcomes],
)
def test_generated_case(case, preset):
    assert code_of(build_case(case, pki=pki()), policy=Policy.preset(preset)) == case.outcomes[preset].get("expected_code")


def test_valid_credential_reports_anonca_with_the_certificate_chain():
    result = verify_vector(build_case(apple.MUTATIONS[0], pki=pki()), policy=Policy())
    assert (result.fmt, result.attestation_type, result.trusted, len(result.trust_path)) == ("apple", "anonca", True, 2)


def test_every_apple_code_has_a_generated_defect():
    codes = {outcome.get("expected_code") for case in apple.MUTATIONS for outcome in case.outcomes.values()} - {None}
    assert {
        Code.ATT_CERT_NONCE_MISSING.value,
        Code.ATT_CERT_NONCE_MALFORMED.value,
        Code.ATT_CERT_NONCE_MISMATCH.value,
        Code.ATT_CERT_PUBLIC_KEY_MISMATCH.value,
    } <= codes
