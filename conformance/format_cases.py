"""Every attestation format against the target: each format's valid base and its single defects, built live by the
virtual authenticator for the server's own challenge (conformance/suites/test_formats.py runs them).

The defects are the format builders' records in the defect registry (`defects.format_defects()`: tpm_cases,
android_key_cases and the safetynet, apple and compound modules), which the generated vectors are made from too:
the same record, made for the target's challenge instead of a fixed one, graded like a recipe naming a stage
mutation (`cases.live_outcome` under the live preset). A case goes live only when every policy preset agrees on
its verdict (a choice the spec leaves to the RP is not judged on someone else's server) and the defect breaks a verification step of the format (fidoconf's own parsing
hardening stays an in-process vector check). Each case requires `fmt:<format>`: a server that did not declare a
format gets that format's cases SKIPped with the reason. IDs are fixed here and recorded in vectors/ledger.json.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .authenticator.defects import format_defects
from .authenticator.keys import ALGS
from .authenticator.mutations import Mutation
from .cases import FORMAT_STEP, LIVE_PRESET, PROCEDURE, REQUIREMENT_KEYWORD, Case, live_outcome
from .environment import Environment

#: Stable ID → the builder case it runs. Append only: never renumber, never reuse.
LIVE_CASES: tuple[tuple[str, str], ...] = (
    ("FMT-TPM-P01", "tpm-rs256-valid"),
    ("FMT-TPM-P02", "tpm-es256-ecc-valid"),
    ("FMT-TPM-P03", "tpm-es256-rsa-aik-valid"),
    ("FMT-TPM-P04", "tpm-rs256-explicit-exponent"),
    ("FMT-TPM-P05", "tpm-rs256-san-three-rdns"),
    ("FMT-TPM-P06", "tpm-rs256-aaguid-extension-match"),
    ("FMT-TPM-P07", "tpm-rs256-name-alg-sha384"),
    ("FMT-TPM-F01", "tpm-ver-missing"),
    ("FMT-TPM-F02", "tpm-ver-1-2"),
    ("FMT-TPM-F03", "tpm-pub-area-missing"),
    ("FMT-TPM-F04", "tpm-pub-area-text"),
    ("FMT-TPM-F05", "tpm-cert-info-missing"),
    ("FMT-TPM-F06", "tpm-cert-info-int"),
    ("FMT-TPM-F07", "tpm-x5c-missing"),
    ("FMT-TPM-F08", "tpm-pub-area-keyedhash"),
    ("FMT-TPM-F09", "tpm-pub-area-other-key"),
    ("FMT-TPM-F10", "tpm-pub-area-exponent-3"),
    ("FMT-TPM-F11", "tpm-pub-area-curve-p384"),
    ("FMT-TPM-F12", "tpm-pub-area-rsa-for-ec-key"),
    ("FMT-TPM-F13", "tpm-pub-area-for-okp-key"),
    ("FMT-TPM-F14", "tpm-cert-info-magic"),
    ("FMT-TPM-F15", "tpm-cert-info-type-quote"),
    ("FMT-TPM-F16", "tpm-extra-data-sha1"),
    ("FMT-TPM-F17", "tpm-extra-data-other-bytes"),
    ("FMT-TPM-F18", "tpm-name-of-other-key"),
    ("FMT-TPM-F19", "tpm-name-alg-mislabelled"),
    ("FMT-TPM-F20", "tpm-name-alg-unknown"),
    ("FMT-TPM-F21", "tpm-sig-other-key"),
    ("FMT-TPM-F22", "tpm-x5c-reversed"),
    ("FMT-TPM-F23", "tpm-aik-version-1"),
    ("FMT-TPM-F24", "tpm-aik-subject"),
    ("FMT-TPM-F25", "tpm-aik-san-missing"),
    ("FMT-TPM-F26", "tpm-aik-san-not-critical"),
    ("FMT-TPM-F27", "tpm-aik-san-no-model"),
    ("FMT-TPM-F28", "tpm-aik-san-two-directory-names"),
    ("FMT-TPM-F29", "tpm-aik-san-manufacturer-not-id"),
    ("FMT-TPM-F30", "tpm-aik-eku-missing"),
    ("FMT-TPM-F31", "tpm-aik-eku-server-auth"),
    ("FMT-TPM-F32", "tpm-aik-basic-constraints-missing"),
    ("FMT-TPM-F33", "tpm-aik-ca-true"),
    ("FMT-TPM-F34", "tpm-aik-aaguid-mismatch"),
    ("FMT-AKEY-P01", "android-key-es256-valid"),
    ("FMT-AKEY-P02", "android-key-rs256-valid"),
    ("FMT-AKEY-P03", "android-key-tee-only-policy-valid"),
    ("FMT-AKEY-P04", "android-key-purpose-sign-and-verify"),
    ("FMT-AKEY-P05", "android-key-origin-software-only"),
    ("FMT-AKEY-P06", "android-key-purpose-software-only"),
    ("FMT-AKEY-F01", "android-key-challenge-mismatch"),
    ("FMT-AKEY-F02", "android-key-leaf-key-mismatch"),
    ("FMT-AKEY-F03", "android-key-x5c-reversed"),
    ("FMT-AKEY-F04", "android-key-x5c-missing"),
    ("FMT-AKEY-F05", "android-key-key-description-missing"),
    ("FMT-AKEY-F06", "android-key-all-applications-software"),
    ("FMT-AKEY-F07", "android-key-all-applications-tee"),
    ("FMT-AKEY-F08", "android-key-origin-imported"),
    ("FMT-AKEY-F09", "android-key-origin-conflict"),
    ("FMT-AKEY-F10", "android-key-origin-missing"),
    ("FMT-AKEY-F11", "android-key-purpose-verify-only"),
    ("FMT-AKEY-F12", "android-key-purpose-missing"),
    ("FMT-AKEY-F13", "android-key-empty-authorization-lists"),
    ("FMT-AKEY-F14", "android-key-key-description-truncated"),
    ("FMT-AKEY-F15", "android-key-key-description-trailing-byte"),
    ("FMT-AKEY-F16", "android-key-key-description-indefinite-length"),
    ("FMT-AKEY-F17", "android-key-key-description-non-minimal-length"),
    ("FMT-AKEY-F18", "android-key-key-description-seven-fields"),
    ("FMT-AKEY-F19", "android-key-key-description-challenge-integer"),
    ("FMT-AKEY-F20", "android-key-key-description-duplicate-origin"),
    ("FMT-AKEY-F21", "android-key-key-description-purpose-not-set"),
    ("FMT-ASN-P01", "safetynet-valid-rs256"),
    ("FMT-ASN-P02", "safetynet-valid-es256"),
    ("FMT-ASN-P03", "safetynet-valid-cn-only"),
    ("FMT-ASN-F01", "safetynet-ver-missing"),
    ("FMT-ASN-F02", "safetynet-ver-empty"),
    ("FMT-ASN-F03", "safetynet-ver-integer"),
    ("FMT-ASN-F04", "safetynet-response-missing"),
    ("FMT-ASN-F05", "safetynet-response-text"),
    ("FMT-ASN-F06", "safetynet-alg-none"),
    ("FMT-ASN-F07", "safetynet-alg-hs256"),
    ("FMT-ASN-F08", "safetynet-alg-key-mismatch"),
    ("FMT-ASN-F09", "safetynet-crit"),
    ("FMT-ASN-F10", "safetynet-x5c-missing"),
    ("FMT-ASN-F11", "safetynet-x5c-not-array"),
    ("FMT-ASN-F12", "safetynet-x5c-not-der"),
    ("FMT-ASN-F13", "safetynet-signature-invalid"),
    ("FMT-ASN-F14", "safetynet-hostname-other"),
    ("FMT-ASN-F15", "safetynet-nonce-missing"),
    ("FMT-ASN-F16", "safetynet-nonce-hex"),
    ("FMT-ASN-F17", "safetynet-nonce-base64url"),
    ("FMT-ASN-F18", "safetynet-nonce-auth-data-only"),
    ("FMT-ASN-F19", "safetynet-timestamp-future"),
    ("FMT-APPLE-P01", "apple-valid"),
    ("FMT-APPLE-P02", "apple-valid-with-alg"),
    ("FMT-APPLE-F01", "apple-x5c-missing"),
    ("FMT-APPLE-F02", "apple-x5c-empty"),
    ("FMT-APPLE-F03", "apple-x5c-not-der"),
    ("FMT-APPLE-F04", "apple-nonce-missing"),
    ("FMT-APPLE-F05", "apple-nonce-mismatch"),
    ("FMT-APPLE-F06", "apple-nonce-short"),
    ("FMT-APPLE-F07", "apple-key-mismatch"),
    ("FMT-COMP-P01", "compound-valid-packed-apple"),
    ("FMT-COMP-P02", "compound-valid-packed-self-safetynet"),
    ("FMT-COMP-P03", "compound-valid-none-packed"),
    ("FMT-COMP-F01", "compound-empty"),
    ("FMT-COMP-F02", "compound-one-element"),
    ("FMT-COMP-F03", "compound-att-stmt-map"),
    ("FMT-COMP-F04", "compound-nested"),
    ("FMT-COMP-F05", "compound-element-not-map"),
    ("FMT-COMP-F06", "compound-element-fmt-missing"),
    ("FMT-COMP-F07", "compound-element-fmt-unknown"),
    ("FMT-COMP-F08", "compound-element-att-stmt-array"),
    ("FMT-COMP-F09", "compound-none-plus-forged"),
)

#: The FIDO conformance tool's rows for these formats (Server-ServerAuthenticatorAttestationResponse-...).
FIDO_REFS = {
    "tpm-rs256-valid": "Resp-9 P-1",
    "tpm-es256-ecc-valid": "Resp-9 P-4",
    "tpm-x5c-reversed": "Resp-9 F-1",
    "tpm-extra-data-other-bytes": "Resp-9 F-2",
    "tpm-cert-info-magic": "Resp-9 F-3",
    "tpm-pub-area-other-key": "Resp-9 F-4",
    "android-key-es256-valid": "Resp-A P-1",
    "android-key-challenge-mismatch": "Resp-A F-1",
    "android-key-leaf-key-mismatch": "Resp-A F-2",
    "android-key-x5c-reversed": "Resp-A F-3",
    "safetynet-valid-rs256": "Resp-B P-1",
    "safetynet-ver-empty": "Resp-B F-1",
    "safetynet-nonce-auth-data-only": "Resp-B F-3",
    "safetynet-timestamp-future": "Resp-B F-6",
}

def _sources() -> dict[str, Mutation]:
    return format_defects()


def _case(case_id: str, name: str, source: Mutation) -> Case:
    _, code = live_outcome(source, preset=LIVE_PRESET)
    anchor, requirement = source.anchor, source.requirement
    # A step quoted without a requirement keyword of its own is held by the sentence that makes it binding.
    if not REQUIREMENT_KEYWORD.search(requirement):
        if code is None:  # a valid statement: it passes every step of its format's procedure
            requirement = f"{FORMAT_STEP}: this one passes every step ({requirement})."
        elif source.fmt == "android-key":
            requirement = ("Verify the following using the appropriate authorization list from the attestation "
                           f"certificate extension data: {requirement}")
        else:
            requirement = PROCEDURE + requirement
    fido_ref = FIDO_REFS.get(name)
    return Case(
        id=case_id,
        title=source.description or f"valid {source.fmt} registration ({name})",
        requirement=requirement,
        anchor=anchor,
        fido_ref=f"Server-ServerAuthenticatorAttestationResponse-{fido_ref}" if fido_ref else None,
        severity=source.level,
        requires=(f"fmt:{source.fmt}",),
        params={"source": name, "variant": source.fmt, "alg": source.alg},
        expect="accept" if code is None else "reject",
        expected_code=code,
    )


def live_cases() -> list[Case]:
    sources = _sources()
    return [_case(case_id, name, sources[name]) for case_id, name in LIVE_CASES]


def statement_options(name: str) -> Any:
    return _sources()[name].statement_options


def _offered(ceremony: Any) -> set[int]:
    return {p.get("alg") for p in ceremony.options.get("pubKeyCredParams") or [] if isinstance(p, dict)}


def run_format_case(env: Environment, case: Case, record: Callable[[str, Any], None]) -> None:
    """Build the case's credential for a fresh server challenge and judge the target's answer."""
    variant, alg = case.params["variant"], case.params["alg"]
    ceremony = env.profile.start_registration(attestation="direct", authenticator_selection=None)
    if ALGS[alg].alg not in _offered(ceremony):
        pytest.skip(f"the target does not offer {alg} ({ALGS[alg].alg}) in pubKeyCredParams")
    if case.expect != "accept":
        # The format's valid base (ES256, which every server offers) must be accepted, or a refusal proves nothing.
        control = env.base_accepted(variant, "ES256", attestation="direct")
        if not control.accepted:
            pytest.skip(
                f"a valid {variant} credential is refused by the target ({control.code or ''} {control.message}); "
                "a refusal of the defect would prove nothing"
            )
    options = statement_options(case.params["source"])
    bundle = env.credential(ceremony, variant=variant, alg=alg, statement_options=options)
    submission = env.profile.finish_registration(ceremony, bundle.credential)
    actual = "accept" if submission.accepted else f"reject ({submission.code or 'no code'}: {submission.message})"
    record("outcome", actual)
    header = f"{case.id}: {case.requirement}\n  expected: {case.expect}"
    if case.expect == "accept":
        assert submission.accepted, f"{header}\n  actual:   {actual}"
        return
    assert not submission.accepted, f"{header} ({case.expected_code})\n  actual:   accept"
    if env.config.has("error-codes") and case.expected_code:
        assert submission.code == case.expected_code, f"{header} with code {case.expected_code}\n  actual:   {actual}"
