"""Registration extensions at the RP: the inputs a client may ask for, and the outputs checked against them.

Inputs are the AuthenticationExtensionsClientInputs of seed 002 (appid, appidExclude, uvm, credProps, the credProtect
pair, hmacCreateSecret, hmacGetSecret). They are type-checked and then echoed exactly as requested; an identifier the
RP does not know is echoed untouched, since only the client decides what it supports.

Outputs: #sctn-registering-a-new-credential step 19, "Verify that the values of the client extension outputs in
clientExtensionResults and the authenticator extension outputs in the extensions in authData are as expected,
considering the client extension input values that were given in options.extensions and any specific policy of the
Relying Party regarding unsolicited extensions". The reference checks the outputs of credProtect, hmac-secret and
credProps when they were requested, and ignores unsolicited outputs and the outputs of other extensions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..encoding import b64url_decode, is_int
from ..errors import VerificationError, fail
from .errors import RpCode

#: CTAP 2.1 #sctn-credProtect-extension: credentialProtectionPolicy names and the credProtect values they map to.
CRED_PROTECT_LEVELS: dict[str, int] = {
    "userVerificationOptional": 1,
    "userVerificationOptionalWithCredentialIDList": 2,
    "userVerificationRequired": 3,
}
_HMAC_SALT_BYTES = 32


def _boolean(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise fail(RpCode.REQUEST_BODY_INVALID, f"extensions.{name} must be a boolean")


def _text(name: str, value: Any) -> None:
    if not isinstance(value, str) or not value or len(value) > 2048:
        raise fail(RpCode.REQUEST_BODY_INVALID, f"extensions.{name} must be a non-empty string (a URL)")


def _policy(name: str, value: Any) -> None:
    if not isinstance(value, str) or value not in CRED_PROTECT_LEVELS:
        raise fail(RpCode.REQUEST_BODY_INVALID, f"extensions.{name} must be one of {', '.join(CRED_PROTECT_LEVELS)}")


def _salts(name: str, value: Any) -> None:
    # CTAP 2.1 #sctn-hmac-secret-extension: "salt1(32 bytes)" and the optional "salt2(32 bytes)".
    if not isinstance(value, dict) or "salt1" not in value or set(value) - {"salt1", "salt2"}:
        raise fail(RpCode.REQUEST_BODY_INVALID, f"extensions.{name} must be {{salt1, salt2?}}")
    for salt in value:
        try:
            raw = b64url_decode(value[salt], field=f"extensions.{name}.{salt}")
        except VerificationError:
            raise fail(RpCode.REQUEST_BODY_INVALID, f"extensions.{name}.{salt} must be base64url") from None
        if len(raw) != _HMAC_SALT_BYTES:
            raise fail(RpCode.REQUEST_BODY_INVALID, f"extensions.{name}.{salt} must be {_HMAC_SALT_BYTES} bytes")


_INPUT_CHECKS: dict[str, Callable[[str, Any], None]] = {
    "appid": _text,
    "appidExclude": _text,
    "uvm": _boolean,
    "credProps": _boolean,
    "credentialProtectionPolicy": _policy,
    "enforceCredentialProtectionPolicy": _boolean,
    "hmacCreateSecret": _boolean,
    "hmacGetSecret": _salts,
}


def parse_inputs(value: Any) -> dict[str, Any] | None:
    """The requested extensions, unchanged, once every known member has the type its definition gives it."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise fail(RpCode.REQUEST_BODY_INVALID, "extensions must be an object")
    for name, member in value.items():
        check = _INPUT_CHECKS.get(name)
        if check is not None:
            check(name, member)
    return value


def check_outputs(
    *,
    requested: Mapping[str, Any] | None,
    selection: Mapping[str, Any] | None,
    authenticator_outputs: Mapping[Any, Any] | None,
    client_outputs: Mapping[str, Any] | None,
) -> None:
    """Refuse credProtect / hmac-secret / credProps outputs that contradict what `requested` asked for.

    Outputs of extensions that were not requested are ignored: "Client platforms MAY enact local policy that sets
    additional authenticator extensions or client extensions ... Relying Parties MUST be prepared to handle such
    situations, whether it be to ignore the unsolicited extensions or reject the attestation" (the note to step 19 of
    #sctn-registering-a-new-credential);
    an authenticator's default credProtect level is one such output, so rejecting would refuse real devices."""
    requested = requested or {}
    authenticator_outputs = authenticator_outputs or {}
    client_outputs = client_outputs or {}
    if "credentialProtectionPolicy" in requested:
        _check_cred_protect(requested, authenticator_outputs)
    if requested.get("hmacCreateSecret") is True:
        _check_hmac_secret(authenticator_outputs, client_outputs)
    if requested.get("credProps") is True and "credProps" in client_outputs:
        _check_cred_props(selection or {}, client_outputs["credProps"])


def _check_cred_protect(requested: Mapping[str, Any], outputs: Mapping[Any, Any]) -> None:
    wanted = CRED_PROTECT_LEVELS[requested["credentialProtectionPolicy"]]
    enforce = requested.get("enforceCredentialProtectionPolicy") is True
    if "credProtect" not in outputs:
        # CTAP 2.1 #sctn-credProtect-extension: "If enforceCredentialProtectionPolicy is present and set to true, and
        # credentialProtectionPolicy's value is either userVerificationOptionalWithCredentialIDList or
        # userVerificationRequired, and the authenticator does not support the credProtect extension, create() MUST
        # return an error." A credential that arrives anyway was made without the protection the RP insisted on.
        if enforce and wanted > 1:
            raise fail(
                RpCode.EXTENSION_CRED_PROTECT_NOT_ENFORCED,
                "credProtect was enforced but the authenticator reports no credential protection",
            )
        return
    applied = outputs["credProtect"]
    # The authenticator output is the credProtect policy it applied: 0x01, 0x02 or 0x03.
    if not is_int(applied) or applied not in (1, 2, 3):
        raise fail(RpCode.EXTENSION_CRED_PROTECT_INVALID, f"credProtect output {applied!r} is not 1, 2 or 3")
    if enforce and applied < wanted:
        raise fail(
            RpCode.EXTENSION_CRED_PROTECT_NOT_ENFORCED,
            f"credProtect {applied} is weaker than the enforced {requested['credentialProtectionPolicy']} ({wanted})",
        )


def _check_hmac_secret(authenticator_outputs: Mapping[Any, Any], client_outputs: Mapping[str, Any]) -> None:
    created = authenticator_outputs.get("hmac-secret")
    reported = client_outputs.get("hmacCreateSecret")
    # CTAP 2.1 #sctn-hmac-secret-extension: the makeCredential output is the boolean hmac-secret; the client reports
    # it as hmacCreateSecret, the same boolean.
    if "hmac-secret" in authenticator_outputs and not isinstance(created, bool):
        raise fail(RpCode.EXTENSION_HMAC_SECRET_INVALID, "authenticator output hmac-secret is not a boolean")
    if "hmacCreateSecret" in client_outputs and not isinstance(reported, bool):
        raise fail(RpCode.EXTENSION_HMAC_SECRET_INVALID, "client output hmacCreateSecret is not a boolean")
    if isinstance(created, bool) and isinstance(reported, bool) and created != reported:
        raise fail(
            RpCode.EXTENSION_HMAC_SECRET_INVALID,
            f"client reports hmacCreateSecret {reported} but the authenticator output is hmac-secret {created}",
        )


def _check_cred_props(selection: Mapping[str, Any], props: Any) -> None:
    # #sctn-authenticator-credential-properties-extension: "rk: This OPTIONAL property ... is a Boolean value
    # indicating whether the PublicKeyCredential returned as a result of a registration ceremony is a client-side
    # discoverable credential."
    if not isinstance(props, dict) or ("rk" in props and not isinstance(props["rk"], bool)):
        raise fail(RpCode.EXTENSION_CRED_PROPS_INVALID, "credProps output must be {rk?: boolean}")
    # #dom-residentkeyrequirement-required: "the client MUST return an error if a client-side discoverable
    # credential cannot be created", so rk false contradicts a required resident key.
    required = selection.get("residentKey") == "required" or (
        "residentKey" not in selection and selection.get("requireResidentKey") is True
    )
    if required and props.get("rk") is False:
        raise fail(RpCode.EXTENSION_CRED_PROPS_INVALID, "credProps.rk is false although residentKey is required")
