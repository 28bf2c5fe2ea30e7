"""FSRV-EXT / FSRV-UV: extensions and user verification across a fido-server registration.

Seed 002's extension inputs echoed exactly (FIDO Req-1 P-1 deep-equals them), the credProtect / hmac-secret / credProps
outputs checked against what was requested (#sctn-registering-a-new-credential step 19), and the UV requirement kept
by the FIDO tool's cookie-only session (Resp-1 F-15). Facts: docs/server_apis.md §2.1, docs/fido_conformance.md §2.
"""

from __future__ import annotations

from typing import Any

from fidoconf.conformance.authenticator.mutations import Mutation
from fidoconf.conformance.cases import Case, case
from fidoconf.conformance.profiles.fido_server import submission_of
from fidoconf.verifier.encoding import b64url_encode

REQ1 = "Server-ServerPublicKeyCredentialCreationOptions-Req-1"
OPTIONS_DOC = "https://docs.nevis.net/nevisid/api/get-attestation-options"
REGISTRATION = "#sctn-registering-a-new-credential"
#: Seed 002's extension inputs, one of each.
SEED_002_EXTENSIONS: dict[str, Any] = {
    "appid": "https://localhost/appid.json",
    "appidExclude": "https://localhost/appid.json",
    "uvm": True,
    "credProps": True,
    "credentialProtectionPolicy": "userVerificationOptionalWithCredentialIDList",
    "enforceCredentialProtectionPolicy": False,
    "hmacCreateSecret": True,
    "hmacGetSecret": {"salt1": b64url_encode(bytes(range(32))), "salt2": b64url_encode(bytes(range(32, 64)))},
}



def _extension_outputs(outputs: dict[str, Any]) -> Mutation:
    """The authenticator reports these authenticator extension outputs (signed, in authData)."""

    def set_outputs(build, _build):
        build.extensions = outputs
        return build

    return Mutation(
        name="fsrv-extension-outputs",
        group="fsrv",
        description="",
        requirement="",
        anchor="",
        hooks={"params": set_outputs},
        expected_code=None,
    )


def _register_with_extensions(
    fidoconf,
    extensions: dict[str, Any],
    *,
    authenticator_outputs: dict[str, Any],
    client_outputs: dict[str, Any],
    selection: dict[str, Any] | None = None,
):
    ceremony = fidoconf.profile.start_registration(
        attestation="none", extensions=extensions, authenticator_selection=selection
    )
    bundle = fidoconf.credential(ceremony, variant="none", mutation=_extension_outputs(authenticator_outputs))
    credential = {**bundle.credential, "clientExtensionResults": client_outputs}
    return fidoconf.profile.finish_registration(ceremony, credential)


# --- extensions ---------------------------------------------------------------------------------------------------


@case(Case(
    id="FSRV-EXT-P01",
    title="Req-1 P-1: the requested extensions are echoed deep-equal",
    requirement="The options' extensions deep-equal the requested ones, here the FIDO tool's "
    "{'example.extension.bool': true} (FIDO Req-1 P-1).",
    anchor="#dom-publickeycredentialcreationoptions-extensions",
    fido_ref=f"{REQ1} P-1",
    requires=("options:extensions",),
    profile="fido-server",
))
def test_req1_p1_extensions(fidoconf):
    requested = {"example.extension.bool": True}
    options = fidoconf.profile.start_registration(extensions=requested).options
    assert options.get("extensions") == requested, f"extensions {options.get('extensions')!r}"


@case(Case(
    id="FSRV-EXT-P02",
    title="seed 002's extension inputs are echoed deep-equal",
    requirement="appid, appidExclude, uvm, credProps, credentialProtectionPolicy, enforceCredentialProtectionPolicy, "
    "hmacCreateSecret and hmacGetSecret{salt1, salt2} are echoed exactly as requested.",
    anchor=OPTIONS_DOC,
    fido_ref=f"{REQ1} P-1",
    requires=("options:extensions",),
    profile="fido-server",
))
def test_seed_002_extensions_echoed(fidoconf):
    options = fidoconf.profile.start_registration(extensions=SEED_002_EXTENSIONS).options
    assert options.get("extensions") == SEED_002_EXTENSIONS, f"extensions {options.get('extensions')!r}"


@case(Case(
    id="FSRV-EXT-P03",
    title="credProtect, hmac-secret and credProps outputs that match the request are accepted",
    requirement="Verify that the client extension outputs and the authenticator extension outputs are as expected, "
    "considering the client extension input values that were given.",
    anchor=REGISTRATION,
    requires=("options:extensions",),
    profile="fido-server",
))
def test_matching_extension_outputs(fidoconf):
    requested = {
        "credentialProtectionPolicy": "userVerificationRequired",
        "enforceCredentialProtectionPolicy": True,
        "hmacCreateSecret": True,
        "credProps": True,
    }
    submission = _register_with_extensions(
        fidoconf,
        requested,
        authenticator_outputs={"credProtect": 3, "hmac-secret": True},
        client_outputs={"hmacCreateSecret": True, "credProps": {"rk": False}},
    )
    assert submission.accepted, f"{submission.code}: {submission.message}"


@case(Case(
    id="FSRV-EXT-F01",
    title="a credProtect weaker than the enforced policy is refused",
    requirement="With enforceCredentialProtectionPolicy the RP insists on its credProtect level: an authenticator "
    "output credProtect 1 for an enforced userVerificationRequired is not as expected.",
    anchor=REGISTRATION,
    severity="SHOULD",
    requires=("options:extensions",),
    profile="fido-server",
))
def test_weaker_cred_protect(fidoconf):
    requested = {"credentialProtectionPolicy": "userVerificationRequired", "enforceCredentialProtectionPolicy": True}
    submission = _register_with_extensions(
        fidoconf, requested, authenticator_outputs={"credProtect": 1}, client_outputs={}
    )
    assert not submission.accepted, "credProtect 1 accepted for an enforced userVerificationRequired"
    if fidoconf.config.has("error-codes"):
        assert submission.code == "extension.cred_protect.not_enforced", submission.code


@case(Case(
    id="FSRV-EXT-F02",
    title="hmac-secret outputs that disagree are refused",
    requirement="The client's hmacCreateSecret output reports the authenticator's hmac-secret output: a client "
    "claiming true while the signed authenticator output says false is not as expected.",
    anchor=REGISTRATION,
    severity="SHOULD",
    requires=("options:extensions",),
    profile="fido-server",
))
def test_hmac_secret_disagreement(fidoconf):
    submission = _register_with_extensions(
        fidoconf,
        {"hmacCreateSecret": True},
        authenticator_outputs={"hmac-secret": False},
        client_outputs={"hmacCreateSecret": True},
    )
    assert not submission.accepted, "hmacCreateSecret true accepted over a signed hmac-secret false"
    if fidoconf.config.has("error-codes"):
        assert submission.code == "extension.hmac_secret.invalid", submission.code


@case(Case(
    id="FSRV-EXT-F03",
    title="credProps.rk false for a required resident key is refused",
    requirement="residentKey 'required': the client MUST return an error if a client-side discoverable credential "
    "cannot be created, so credProps.rk false contradicts the request.",
    anchor="#dom-residentkeyrequirement-required",
    severity="SHOULD",
    requires=("options:extensions",),
    profile="fido-server",
))
def test_cred_props_contradiction(fidoconf):
    submission = _register_with_extensions(
        fidoconf,
        {"credProps": True},
        authenticator_outputs={},
        client_outputs={"credProps": {"rk": False}},
        selection={"residentKey": "required", "requireResidentKey": True},
    )
    assert not submission.accepted, "credProps.rk false accepted for residentKey 'required'"
    if fidoconf.config.has("error-codes"):
        assert submission.code == "extension.cred_props.invalid", submission.code


# --- user verification kept in the session ------------------------------------------------------------------------


def _cookie_session_registration(fidoconf, *, user_verified: bool):
    ceremony = fidoconf.profile.start_registration(
        attestation="none", authenticator_selection={"userVerification": "required"}
    )
    credential = fidoconf.credential(ceremony, variant="none", user_verified=user_verified).credential
    return submission_of(fidoconf.profile.submit(credential, cookies=ceremony.handle.get("cookies", "")))


@case(Case(
    id="FSRV-UV-P01",
    title="UV required and UV set, bound by the cookie alone: accepted",
    requirement="The positive control of FSRV-UV-F01: a user-verified credential for options that required user "
    "verification, the session known only by its cookie.",
    anchor=REGISTRATION,
    fido_ref="Server-ServerAuthenticatorAttestationResponse-Resp-1 F-15",
    requires=("fido-server:cookie-session", "user-verification"),
    profile="fido-server",
))
def test_uv_required_and_set(fidoconf):
    submission = _cookie_session_registration(fidoconf, user_verified=True)
    assert submission.accepted, f"{submission.code}: {submission.message}"


@case(Case(
    id="FSRV-UV-F01",
    title="UV required, UV clear, bound by the cookie alone: refused",
    requirement="If user verification is required for this registration, verify that the UV bit of the flags in "
    "authData is set: the session the FIDO tool's cookie names must remember the requirement (Resp-1 F-15).",
    anchor=REGISTRATION,
    fido_ref="Server-ServerAuthenticatorAttestationResponse-Resp-1 F-15",
    requires=("fido-server:cookie-session", "user-verification"),
    profile="fido-server",
))
def test_uv_required_and_clear(fidoconf):
    submission = _cookie_session_registration(fidoconf, user_verified=False)
    assert not submission.accepted, "a credential without UV was accepted for userVerification 'required'"
    if fidoconf.config.has("error-codes"):
        assert submission.code == "auth_data.flags.uv_missing", submission.code
