"""`fidoconf verify` on a browser's registration credential (WebAuthn L3 toJSON form) from stdin: accepted as it
comes, and each convenience member that disagrees with the attestation object refused with its own code."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fidoconf.conformance.authenticator.authenticator import make_credential
from fidoconf.verifier.encoding import b64url_decode, b64url_encode

from .conftest import ROOT

FIDOCONF = [sys.executable, "-m", "fidoconf.conformance.cli"]
ENV = {k: v for k, v in os.environ.items() if not k.startswith("FIDOCONF_")}
CHALLENGE = b"fidoconf verify challenge, 32 b!"
ORIGIN, RP_ID = "https://example.com", "example.com"


def b64url(data: bytes) -> str:
    return b64url_encode(data)


def spki_of(cose_key: bytes) -> bytes:
    """The credential key as a browser's getPublicKey() gives it, built from the COSE key here, independently."""
    params = cbor2.loads(cose_key)
    point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + params[-2] + params[-3])
    return point.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture(scope="module")
def browser_credential() -> dict:
    bundle = make_credential(rp_id=RP_ID, origin=ORIGIN, challenge=CHALLENGE, fmt="none", alg="ES256", seed="cli-v")
    credential = json.loads(json.dumps(bundle.credential))
    credential["response"].update(
        authenticatorData=b64url(bundle.auth_data),
        publicKey=b64url(spki_of(bundle.cose_key)),
        publicKeyAlgorithm=-7,
        transports=["internal", "hybrid"],
    )
    credential.update(authenticatorAttachment="platform", clientExtensionResults={"credProps": {"rk": True}})
    return credential


def verify(credential: object, *extra: str) -> subprocess.CompletedProcess:
    args = ["verify", "-", "--challenge", b64url(CHALLENGE), "--origin", ORIGIN, "--rp-id", RP_ID, *extra]
    return subprocess.run(
        [*FIDOCONF, *args], input=json.dumps(credential), capture_output=True, text=True, env=ENV, cwd=ROOT.parent
    )


def edited(credential: dict, **response: object) -> dict:
    return {**credential, "response": {**credential["response"], **response}}


def test_browser_credential_from_stdin_is_accepted(browser_credential):
    done = verify(browser_credential)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("<stdin>: accept (none, not trusted:")


def test_null_public_key_is_absent_not_wrong(browser_credential):
    assert verify(edited(browser_credential, publicKey=None)).returncode == 0


def _other_key() -> str:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    return b64url(key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (lambda c: edited(c, publicKey=_other_key()), "credential.public_key.mismatch"),
        (lambda c: edited(c, publicKey=b64url(b"\x30\x03\x02\x01\x00")), "credential.public_key.invalid"),
        (lambda c: edited(c, publicKeyAlgorithm=-257), "credential.public_key_algorithm.mismatch"),
        (lambda c: edited(c, publicKeyAlgorithm=True), "credential.public_key_algorithm.invalid"),
        (lambda c: edited(c, publicKeyAlgorithm="-7"), "credential.public_key_algorithm.invalid"),
        (
            lambda c: edited(c, authenticatorData=b64url(b64url_decode(
                c["response"]["authenticatorData"], field="authenticatorData")[:-1] + b"\x00")),
            "credential.authenticator_data.mismatch",
        ),
    ],  # fmt: skip
)
def test_each_disagreeing_convenience_member_is_refused_with_its_code(browser_credential, edit, code):
    done = verify(edit(browser_credential))
    assert done.returncode == 1
    assert done.stdout.startswith(f"<stdin>: reject {code}: ")
    as_json = verify(edit(browser_credential), "--json")
    (line,) = as_json.stdout.splitlines()
    assert json.loads(line)["code"] == code


def test_credential_without_challenge_is_a_usage_error(browser_credential):
    done = subprocess.run([*FIDOCONF, "verify", "-"], input=json.dumps(browser_credential), capture_output=True,
                          text=True, env=ENV)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("fidoconf verify: <stdin>: a browser credential needs --challenge, --origin, --rp-id")


def test_vector_files_keep_working():
    done = subprocess.run([*FIDOCONF, "verify", "--json", str(ROOT / "vectors" / "real" / "none")],
                          capture_output=True, text=True, env=ENV)  # fmt: skip
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(records) > 10
    assert {r["result"] for r in records} >= {"accept"}
