"""CollectedClientData (#dictdef-collectedclientdata) and the registration checks on it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from .encoding import STRICT_JSON, DuplicateMember, b64url_encode
from .errors import Code, fail
from .policy import Policy

_BOM = "\ufeff"


class ClientData(NamedTuple):
    raw: bytes
    fields: dict[str, Any]


_LENIENT_JSON = json.JSONDecoder()


def parse_client_data(raw: bytes, *, policy: Policy) -> ClientData:
    # #sctn-registering-a-new-credential step 5: "Let JSONtext be the result of running UTF-8 decode on the
    # value of response.clientDataJSON." UTF-8 decode (WHATWG) removes a leading BOM, so a BOM is accepted.
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise fail(Code.CLIENT_DATA_JSON_INVALID, "clientDataJSON is not UTF-8") from None
    if text.startswith(_BOM):
        text = text[1:]
    # Two parsers may read two different challenges from one text with duplicate keys; strict refuses it.
    decoder = STRICT_JSON if policy.reject_duplicate_client_data_keys else _LENIENT_JSON
    try:
        fields = decoder.decode(text)
    except DuplicateMember as exc:
        raise fail(Code.CLIENT_DATA_JSON_DUPLICATE_KEY, f"duplicate key(s) {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise fail(Code.CLIENT_DATA_JSON_INVALID, f"clientDataJSON does not parse: {exc}") from None
    if not isinstance(fields, dict):
        raise fail(Code.CLIENT_DATA_JSON_INVALID, "clientDataJSON is not a JSON object")
    return ClientData(raw, fields)


def check_type(client_data: ClientData) -> None:
    # step 7: "Verify that the value of C.type is webauthn.create."
    value = client_data.fields.get("type")
    if value is None:
        raise fail(Code.CLIENT_DATA_TYPE_MISSING, "clientData has no type")
    if value != "webauthn.create":
        raise fail(Code.CLIENT_DATA_TYPE_MISMATCH, f"type is {value!r}, expected 'webauthn.create'")


def check_challenge(client_data: ClientData, *, expected_challenge: bytes) -> None:
    # step 8: "Verify that the value of C.challenge equals the base64url encoding of pkOptions.challenge."
    # Compared as the exact unpadded base64url string: a padded or std-alphabet spelling is a different value.
    value = client_data.fields.get("challenge")
    if value is None:
        raise fail(Code.CLIENT_DATA_CHALLENGE_MISSING, "clientData has no challenge")
    if not isinstance(value, str) or value != b64url_encode(expected_challenge):
        raise fail(Code.CLIENT_DATA_CHALLENGE_MISMATCH, "challenge does not equal the one issued")


def check_origin(client_data: ClientData, *, expected_origins: Sequence[str]) -> None:
    # step 9: "Verify that the value of C.origin is an origin expected by the Relying Party."
    # Exact string match: scheme, host case, port and trailing slash all matter (docs/attacks.md G).
    value = client_data.fields.get("origin")
    if value is None:
        raise fail(Code.CLIENT_DATA_ORIGIN_MISSING, "clientData has no origin")
    if not isinstance(value, str) or value not in expected_origins:
        raise fail(Code.CLIENT_DATA_ORIGIN_MISMATCH, f"origin {value!r} is not expected")


def check_cross_origin(client_data: ClientData, *, policy: Policy) -> None:
    # step 10: "If C.crossOrigin is present and set to true, verify that the Relying Party expects that this
    # credential would have been created within an iframe that is not same-origin with its ancestors."
    value = client_data.fields.get("crossOrigin")
    if value is not None and not isinstance(value, bool):
        raise fail(Code.CLIENT_DATA_CROSS_ORIGIN_TYPE_INVALID, "crossOrigin is not a boolean")
    if value is True and not policy.allow_cross_origin:
        raise fail(Code.CLIENT_DATA_CROSS_ORIGIN_FORBIDDEN, "crossOrigin is true and the policy forbids it")
    # step 11: "If C.topOrigin is present: Verify that the Relying Party expects that this credential would
    # have been created within an iframe ... Verify that the value of C.topOrigin matches the origin of a
    # page that the Relying Party expects to be sub-framed within."
    top = client_data.fields.get("topOrigin")
    if top is not None:
        if not policy.allowed_top_origins and not policy.allow_cross_origin:
            raise fail(Code.CLIENT_DATA_TOP_ORIGIN_FORBIDDEN, "topOrigin present and the policy expects no iframe")
        if policy.allowed_top_origins and top not in policy.allowed_top_origins:
            raise fail(Code.CLIENT_DATA_TOP_ORIGIN_MISMATCH, f"topOrigin {top!r} is not expected")


_TOKEN_BINDING_STATUSES = ("present", "supported")


def check_token_binding(client_data: ClientData, *, policy: Policy) -> None:
    # #dom-collectedclientdata-tokenbinding (Level 2): "status ... present | supported". Level 3 reserves the
    # member; a value that is present must still be well formed under the strict policy.
    value = client_data.fields.get("tokenBinding")
    if value is None:
        return
    if not isinstance(value, dict):
        if policy.token_binding == "lenient":
            return
        raise fail(Code.CLIENT_DATA_TOKEN_BINDING_INVALID, "tokenBinding is not an object")
    if value.get("status") not in _TOKEN_BINDING_STATUSES:
        raise fail(Code.CLIENT_DATA_TOKEN_BINDING_INVALID, f"tokenBinding status {value.get('status')!r} is invalid")
