"""Negative controls: deliberately broken variants of the reference RP.

Each one removes one check the way real servers get it wrong. Running the suite against a control must fail
exactly the case IDs listed for it in vectors/controls.json, and no other: that is how the suite proves its
tests can fail (tests/test_controls.py). Select one with `fidoconf run --control NAME` (in-process only).
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import cbor2
from fidoconf.verifier import Code, VerificationError, verify_registration
from fidoconf.verifier.attestation import REGISTRY, AttestationContext, StatementResult, Verify
from fidoconf.verifier.certs import load_x5c
from fidoconf.verifier.encoding import b64url_decode, b64url_encode

from .data_files import load

_SIGNATURE_CODES = (Code.ATT_STMT_SIG_INVALID, Code.ATT_STMT_SIG_MALFORMED)


def _client_data(credential: Mapping[str, Any]) -> dict[str, Any]:
    try:
        value = json.loads(b64url_decode(credential["response"]["clientDataJSON"], field="clientDataJSON"))
    except (VerificationError, ValueError, KeyError, TypeError):
        return {}
    return value if isinstance(value, dict) else {}


def no_challenge_check(issued: set[bytes]) -> Callable[..., Any]:
    """Trusts whatever challenge the client data carries (the bug: comparing nothing, or comparing to itself)."""

    def verify(credential, *, expected_challenge, **kwargs):
        try:
            claimed = b64url_decode(_client_data(credential).get("challenge"), field="challenge")
        except VerificationError:
            claimed = expected_challenge
        return verify_registration(credential, expected_challenge=claimed or expected_challenge, **kwargs)

    return verify


def no_origin_check(issued: set[bytes]) -> Callable[..., Any]:
    """Accepts any origin the client data names."""

    def verify(credential, *, expected_origin, **kwargs):
        claimed = _client_data(credential).get("origin")
        origins = [claimed] if isinstance(claimed, str) and claimed else expected_origin
        return verify_registration(credential, expected_origin=origins, **kwargs)

    return verify


def _signature_blind(verify: Verify) -> Verify:
    def blind(att_stmt: dict, ctx: AttestationContext) -> StatementResult:
        try:
            return verify(att_stmt, ctx)
        except VerificationError as exc:
            if exc.code not in _SIGNATURE_CODES:
                raise
            chain = load_x5c(att_stmt["x5c"]) if "x5c" in att_stmt else ()
            return StatementResult(attestation_type="basic" if chain else "self", trust_path=chain)

    return blind


def no_signature_check(issued: set[bytes]) -> Callable[..., Any]:
    """Parses the statement but never lets a bad attestation signature fail the registration."""
    formats = {fmt: _signature_blind(v) for fmt, v in REGISTRY.items()}

    def verify(credential, **kwargs):
        return verify_registration(credential, formats=formats, **kwargs)

    return verify


def _path_blind(verify: Verify) -> Verify:
    def blind(att_stmt: dict, ctx: AttestationContext) -> StatementResult:
        result = verify(att_stmt, ctx)
        return StatementResult(attestation_type=result.attestation_type, info=result.info)

    return blind


def no_chain_validation(issued: set[bytes]) -> Callable[..., Any]:
    """Verifies the statement's signature but never validates its certificate path (dates, CA flags, roots)."""
    formats = {fmt: _path_blind(v) for fmt, v in REGISTRY.items()}

    def verify(credential, **kwargs):
        return verify_registration(credential, formats=formats, **kwargs)

    return verify


def accepts_trailing_cbor(issued: set[bytes]) -> Callable[..., Any]:
    """Decodes the first CBOR item of attestationObject and ignores what follows (py_webauthn's Appendix A row 2)."""

    def verify(credential, **kwargs):
        try:
            return verify_registration(credential, **kwargs)
        except VerificationError as exc:
            if exc.code is not Code.CBOR_ATTESTATION_OBJECT_TRAILING_BYTES:
                raise
        data = b64url_decode(credential["response"]["attestationObject"], field="attestationObject")
        stream = io.BytesIO(data)
        cbor2.CBORDecoder(stream).decode()
        trimmed = copy.deepcopy(dict(credential))
        trimmed["response"] = {**trimmed["response"], "attestationObject": b64url_encode(data[: stream.tell()])}
        return verify_registration(trimmed, **kwargs)

    return verify


def unbound_status_token(issued: set[bytes]) -> Callable[..., Any]:
    """Checks that the challenge is one the RP issued, but not that it is this statusToken's transaction's."""

    def verify(credential, *, expected_challenge, **kwargs):
        try:
            claimed = b64url_decode(_client_data(credential).get("challenge"), field="challenge")
        except VerificationError:
            claimed = None
        challenge = claimed if claimed in issued else expected_challenge
        return verify_registration(credential, expected_challenge=challenge, **kwargs)

    return verify


def forgets_requested_uv(issued: set[bytes]) -> Callable[..., Any]:
    """Keeps the challenge of the session but not its userVerification 'required' (what the FIDO tool's Resp-1 F-15
    catches: webauthn-ruby had to add a cookie for it), so a credential without UV passes."""

    def verify(credential, *, policy, **kwargs):
        return verify_registration(credential, policy=replace(policy, require_user_verification=False), **kwargs)

    return verify


def _check_skipped(verify: Verify, codes: frozenset[Code], attestation_type: str) -> Verify:
    """The format's verification with one check left out: a failure with one of `codes` is not a failure."""

    def skipping(att_stmt: dict, ctx: AttestationContext) -> StatementResult:
        try:
            return verify(att_stmt, ctx)
        except VerificationError as exc:
            if exc.code not in codes:
                raise
            chain = load_x5c(att_stmt["x5c"]) if isinstance(att_stmt.get("x5c"), list) else ()
            return StatementResult(attestation_type=attestation_type, trust_path=chain)

    return skipping


def _skipping(fmt: str, codes: frozenset[Code], attestation_type: str) -> Callable[[set[bytes]], Callable[..., Any]]:
    def control(issued: set[bytes]) -> Callable[..., Any]:
        # Compound verifies its elements through the same registry (AttestationContext.formats), so an element of
        # this format skips the check too, as a server with one verifier per format would.
        formats = {**REGISTRY, fmt: _check_skipped(REGISTRY[fmt], codes, attestation_type)}

        def verify(credential, **kwargs):
            return verify_registration(credential, formats=formats, **kwargs)

        return verify

    return control


#: tpm: certInfo is parsed but never compared (magic, type, extraData, the Name of pubArea).
skips_tpm_cert_info_check = _skipping(
    "tpm",
    frozenset(
        {
            Code.TPM_CERT_INFO_MAGIC_INVALID,
            Code.TPM_CERT_INFO_ATTEST_TYPE_INVALID,
            Code.TPM_CERT_INFO_EXTRA_DATA_MISMATCH,
            Code.TPM_CERT_INFO_NAME_ALG_UNSUPPORTED,
            Code.TPM_CERT_INFO_NAME_MISMATCH,
        }
    ),
    "attca",
)
#: android-key: the KeyDescription's attestationChallenge is never compared with clientDataHash.
skips_android_key_challenge_check = _skipping(
    "android-key", frozenset({Code.ANDROID_KEY_CHALLENGE_MISMATCH}), "basic"
)
#: android-safetynet: the JWS payload's nonce is never compared with SHA-256(authenticatorData || clientDataHash).
skips_safetynet_nonce_check = _skipping(
    "android-safetynet",
    frozenset({Code.SAFETYNET_RESPONSE_NONCE_MISSING, Code.SAFETYNET_RESPONSE_NONCE_MISMATCH}),
    "basic",
)
#: apple: credCert's nonce extension is never compared with SHA-256(authenticatorData || clientDataHash).
skips_apple_nonce_check = _skipping(
    "apple", frozenset({Code.ATT_CERT_NONCE_MISSING, Code.ATT_CERT_NONCE_MISMATCH}), "anonca"
)


def skfs_ignores_hmac_signature(issued: set[bytes]) -> Callable[..., Any]:
    """SKFS flavour: accepts any HMAC signature made with a known access key (headers, Date and content hash are
    still checked). The verifier is the reference's; the defect is the RP setting in CONTROL_RP_SETTINGS."""
    return verify_registration


def misreports_signature_failures(issued: set[bytes]) -> Callable[..., Any]:
    """Refuses a bad attestation signature, but for the wrong reason: it says the challenge did not match (servers
    that fold every failure of the signed data into one message). Every signature case is still refused, so only
    a suite that checks refusal reasons notices."""

    def verify(credential, **kwargs):
        try:
            return verify_registration(credential, **kwargs)
        except VerificationError as exc:
            if exc.code not in _SIGNATURE_CODES:
                raise
            raise VerificationError(Code.CLIENT_DATA_CHALLENGE_MISMATCH, "challenge mismatch") from None

    return verify


CONTROLS: dict[str, Callable[[set[bytes]], Callable[..., Any]]] = {
    "no-challenge-check": no_challenge_check,
    "no-origin-check": no_origin_check,
    "no-signature-check": no_signature_check,
    "no-chain-validation": no_chain_validation,
    "accepts-trailing-cbor": accepts_trailing_cbor,
    "unbound-status-token": unbound_status_token,
    "forgets-requested-uv": forgets_requested_uv,
    "skfs-ignores-hmac-signature": skfs_ignores_hmac_signature,
    "misreports-signature-failures": misreports_signature_failures,
    "skips-tpm-cert-info-check": skips_tpm_cert_info_check,
    "skips-android-key-challenge-check": skips_android_key_challenge_check,
    "skips-safetynet-nonce-check": skips_safetynet_nonce_check,
    "skips-apple-nonce-check": skips_apple_nonce_check,
}
#: Controls the suite judges as a server without fidoconf's codes (capabilities the reference would declare, less
#: these), so that the reason map (conformance/reasons.py), not the exact-code check, has to catch them.
CONTROL_UNDECLARED: dict[str, frozenset[str]] = {
    "misreports-signature-failures": frozenset({"error-codes"}),
}
#: Controls that break the RP around the verifier: the RPConfig settings the in-process reference gets for them.
CONTROL_RP_SETTINGS: dict[str, dict[str, Any]] = {
    "skfs-ignores-hmac-signature": {"skfs_hmac_signature_check": False},
}


def expected_failures() -> dict[str, dict[str, Any]]:
    """vectors/controls.json: for each control, the IDs it must fail and why."""
    return load("controls.json")["controls"]
