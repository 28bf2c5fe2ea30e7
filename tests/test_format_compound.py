"""compound (#sctn-compound-attestation): the CDDL, the per-element verification and fidoconf's two RP decisions.

The decisions under test (verifier/attestation/compound.py): all-none is refused; with
Policy.compound_require_all a failing element fails the statement with its own code, without it a failing element
is dropped if another element other than none verifies. The reported type and path are the strongest element's,
and every element's trust path is assessed.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from fidoconf.conformance.authenticator.formats_safetynet_apple_compound import compound, safetynet
from fidoconf.conformance.authenticator.formats_safetynet_apple_compound.common import case_maker, leaf_changed
from fidoconf.conformance.authenticator.formats_safetynet_apple_compound.vectors import build_case
from fidoconf.verifier import Code, Policy, VerificationError
from fidoconf.verifier.encoding import b64url_decode

from .format_support import code_of, pki, verify_vector

CASES = {case.name: case for case in compound.MUTATIONS}




def _case(name: str) -> dict:
    return build_case(CASES[f"compound-{name}"], pki=pki())


@pytest.mark.parametrize(
    ("case", "preset"),
    [pytest.param(case, preset, id=f"{case.name}[{preset}]") for case in compound.MUTATIONS for preset in case.outcomes],
)
def test_generated_case(case, preset):
    assert code_of(build_case(case, pki=pki()), policy=Policy.preset(preset)) == case.outcomes[preset].get("expected_code")


def test_reports_the_strongest_element_and_every_element():
    result = verify_vector(_case("valid-none-packed"), policy=Policy())
    assert (result.fmt, result.attestation_type, result.trusted) == ("compound", "basic", True)
    assert result.statement_info["primary"] == 1
    assert [s["fmt"] for s in result.statement_info["statements"]] == ["none", "packed"]
    assert result.trust_path[0].subject.rfc4514_string().startswith("CN=fidoconf virtual authenticator")


def test_strongest_is_first_among_equals():
    result = verify_vector(_case("valid-packed-apple"), policy=Policy())
    assert (result.attestation_type, result.statement_info["primary"]) == ("basic", 0)
    assert [s["attestation_type"] for s in result.statement_info["statements"]] == ["basic", "anonca"]


def test_self_is_weaker_than_a_certificate_path():
    result = verify_vector(_case("valid-packed-self-safetynet"), policy=Policy())
    assert (result.attestation_type, result.statement_info["primary"]) == ("basic", 1)


def test_permissive_drops_the_forged_element_and_says_so():
    result = verify_vector(_case("valid-plus-forged"), policy=Policy.preset("permissive"))
    assert result.attestation_type == "basic"
    assert result.statement_info["failed"] == [{"index": 1, "code": Code.ATT_CERT_NONCE_MISMATCH.value}]


def test_strict_names_the_failing_element():
    with pytest.raises(VerificationError) as raised:
        verify_vector(_case("valid-plus-forged"), policy=Policy())
    assert raised.value.code is Code.ATT_CERT_NONCE_MISMATCH
    assert raised.value.detail["compound_index"] == 1


def test_every_element_path_is_assessed_for_trust():
    # The packed element (the primary) chains to the test root; the SafetyNet element's self-signed leaf chains to
    # nothing. Judging only the primary path would call this registration trusted.
    untrusted_element = compound._element(
        "android-safetynet", lambda p: safetynet.statement(p, {"leaf": leaf_changed(issuer="self")})
    )
    case = case_maker("compound", "compound")("trust-each", None, {"builders": (compound.PACKED, untrusted_element)}, None)
    vector = build_case(case, pki=pki())
    result = verify_vector(vector, policy=Policy())
    assert (result.statement_info["primary"], result.trusted) == (0, False)
    assert result.trust_code is Code.TRUST_CHAIN_UNTRUSTED
    required = replace(Policy(), require_trusted_attestation=True)
    assert code_of(vector, policy=required) == Code.TRUST_CHAIN_UNTRUSTED.value


def test_max_statements_is_a_policy_value():
    vector = build_case(case_maker("compound", "compound")("three", None, {"builders": (compound.PACKED_SELF,) * 3}, None), pki=pki())
    assert code_of(vector, policy=Policy()) is None
    assert code_of(vector, policy=replace(Policy(), compound_max_statements=2)) == Code.ATT_STMT_COMPOUND_TOO_MANY.value


def test_sub_formats_obey_allowed_formats():
    policy = replace(Policy(), allowed_formats=("compound", "packed"))
    assert code_of(_case("valid-packed-apple"), policy=policy) == Code.ATTESTATION_FMT_NOT_ALLOWED.value


def test_only_compound_may_carry_an_array():
    vector = build_case(case_maker("compound", "compound")("as-packed", None, {}, None), pki=pki())
    # Re-label the array statement as packed: the attestation object itself refuses it.
    import cbor2
    from fidoconf.conformance.authenticator import cbor

    response = vector["credential"]["response"]
    obj = cbor2.loads(b64url_decode(response["attestationObject"], field="a"))
    relabelled = cbor.encode({**obj, "fmt": "packed"})
    response["attestationObject"] = _b64url(relabelled)
    assert code_of(vector, policy=Policy()) == Code.ATTESTATION_OBJECT_ATT_STMT_TYPE_INVALID.value


def _b64url(data: bytes) -> str:
    from fidoconf.verifier.encoding import b64url_encode

    return b64url_encode(data)


def test_every_compound_code_has_a_generated_defect():
    codes = {outcome.get("expected_code") for case in compound.MUTATIONS for outcome in case.outcomes.values()} - {None}
    assert {c.value for c in Code if c.value.startswith("att_stmt.compound.")} <= codes


def test_elements_are_verified_through_the_callers_registry():
    """A registry passed as `formats=` also verifies compound's elements (the context carries it), so a spy sees
    the inner formats and a registry without apple refuses an apple element."""
    from fidoconf.verifier.attestation import REGISTRY
    from fidoconf.verifier.clock import fixed_clock
    from fidoconf.verifier.registration import verify_registration

    from .format_support import anchored_trust

    vector = _case("valid-packed-apple")
    seen: list[str] = []

    def spy(fmt):
        def verify(att_stmt, ctx):
            seen.append(fmt)
            return REGISTRY[fmt](att_stmt, ctx)

        return verify

    def run(formats):
        return verify_registration(
            vector["credential"],
            expected_challenge=b64url_decode(vector["challenge_b64url"], field="challenge"),
            expected_origin=vector["origin"],
            expected_rp_id=vector["rp_id"],
            policy=Policy(),
            trust=anchored_trust(),
            clock=fixed_clock(vector["verify_at"]),
            formats=formats,
        )

    run({fmt: spy(fmt) for fmt in REGISTRY})
    assert seen == ["compound", "packed", "apple"]
    without_apple = {fmt: v for fmt, v in REGISTRY.items() if fmt != "apple"}
    with pytest.raises(VerificationError) as caught:
        run(without_apple)
    assert caught.value.code is Code.ATTESTATION_FMT_UNSUPPORTED
