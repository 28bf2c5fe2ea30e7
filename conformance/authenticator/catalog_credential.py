"""Appendix B "Client data", G6: the credential JSON around the client data and the attestation object: id, rawId,
type, the response members and their encodings (docs/attacks.md G6). The client data itself is catalog_client."""

from __future__ import annotations

from . import requirements
from .authenticator import b64url
from .catalog_client import std_padded
from .hooks import DROP
from .mutations import Mutation

_REG = "#sctn-registering-a-new-credential"
_CRED = "#iface-pkcredential"
_CRED_REQ = "id: the base64url encoding of rawId; rawId: the credential ID (#dom-publickeycredential-rawid)."


def _cred(name, description, hook, code, *, requirement=_CRED_REQ, anchor=_CRED, **kw) -> Mutation:
    return Mutation(name, "credential", description, requirement, anchor, {"credential": hook}, code, **kw)


def _response(**changes):
    def hook(credential, _build):
        response = dict(credential["response"])
        for key, value in changes.items():
            if value is DROP:
                response.pop(key, None)
            else:
                response[key] = value(response[key]) if callable(value) else value
        return {**credential, "response": response}

    return hook


def _pad_to_need_padding(client_data_json: bytes, _build) -> bytes:
    return client_data_json + b" " if len(client_data_json) % 3 == 0 else client_data_json


MUTATIONS: tuple[Mutation, ...] = (
    # --- G6 id / rawId / credentialId and the JSON envelope ---
    _cred(
        "credential-id-differs-from-raw-id",
        "id is the base64url of other bytes than rawId",
        lambda c, b: {**c, "id": b64url(b"another credential id")},
        "credential.id.mismatch",
        requirement=requirements.ID_IS_RAW_ID,
        level="STRICT",
    ),
    _cred(
        "credential-raw-id-differs-from-cred-id",
        "id and rawId agree but differ from the credentialId in authData",
        lambda c, b: {**c, "id": b64url(b"another credential id"), "rawId": b64url(b"another credential id")},
        "credential.raw_id.mismatch",
        requirement=requirements.ID_IS_RAW_ID,
        anchor=_REG,
        level="STRICT",
    ),
    _cred(
        "credential-id-padded",
        "id with '=' padding",
        lambda c, b: {**c, "id": c["id"] + "="},
        "encoding.base64url.invalid",
        requirement="Base64url Encoding ... with all trailing '=' characters omitted",
        anchor="#base64url-encoding",
        vector_file=False,
        level="MUST",
    ),
    _cred(
        "credential-id-missing",
        "no id member",
        lambda c, b: {k: v for k, v in c.items() if k != "id"},
        "credential.id.missing",
        vector_file=False,
        level="MUST",
    ),
    _cred(
        "credential-raw-id-missing",
        "no rawId member",
        lambda c, b: {k: v for k, v in c.items() if k != "rawId"},
        "credential.raw_id.missing",
        vector_file=False,
        requirement=requirements.ID_IS_RAW_ID,
        level="STRICT",
    ),
    _cred(
        "credential-type-wrong",
        "type 'public-key ' (trailing space)",
        lambda c, b: {**c, "type": "public-key "},
        "credential.type.invalid",
        requirement='Verify that credential.type is "public-key" (the PublicKeyCredential type).',
        anchor=_REG,
        level="MUST",
    ),
    _cred(
        "credential-response-missing",
        "no response member",
        lambda c, b: {k: v for k, v in c.items() if k != "response"},
        "credential.response.missing",
        vector_file=False,
        level="MUST",
    ),
    _cred(
        "credential-client-data-missing",
        "response without clientDataJSON",
        _response(clientDataJSON=DROP),
        "credential.client_data_json.missing",
        vector_file=False,
        level="MUST",
    ),
    _cred(
        "credential-attestation-object-missing",
        "response without attestationObject",
        _response(attestationObject=DROP),
        "credential.attestation_object.missing",
        vector_file=False,
        level="MUST",
    ),
    Mutation(
        "credential-client-data-std-base64",
        "credential",
        "clientDataJSON in padded standard base64",
        requirements.CREDENTIAL_CLIENT_DATA_STD_BASE64,
        "#base64url-encoding",
        # A JSON text whose length is a multiple of 3 has no padding, and may have no '+' or '/': one trailing
        # JSON space (signed over) makes the padded spelling always differ from the base64url one.
        {"client_data_json": _pad_to_need_padding, "credential": _response(clientDataJSON=std_padded)},
        "encoding.base64url.invalid",
        vector_file=False,
        level="STRICT",
    ),
    _cred(
        "credential-transports-string",
        "transports is the string 'usb', not a list",
        _response(transports="usb"),
        "credential.transports.invalid",
        anchor="#dom-authenticatorattestationresponse-gettransports",
        vector_file=False,
        requirement=requirements.CREDENTIAL_TRANSPORTS_STRING,
        level="STRICT",
    ),
    _cred("valid-credential-no-transports", "response without transports (optional)", _response(transports=DROP), None, requirement=requirements.OPTIONAL_MEMBERS, level="MUST"),
    _cred(
        "valid-credential-extension-results",
        "clientExtensionResults with credProps",
        lambda c, b: {**c, "clientExtensionResults": {"credProps": {"rk": True}}},
        None,
        requirement=requirements.OPTIONAL_MEMBERS,
        level="MUST",
    ),
)
