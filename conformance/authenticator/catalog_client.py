"""Appendix B "Client data": the collected client data and its JSON text (docs/attacks.md G1-G5). The credential
JSON around it (G6) is catalog_credential."""

from __future__ import annotations

import base64
import json

from . import requirements
from .authenticator import b64url
from .hooks import DROP, func, set_fields
from .mutations import Mutation

_REG = "#sctn-registering-a-new-credential"
_TYPE_REQ = "Verify that the value of C.type is webauthn.create."
_CHALLENGE_REQ = "Verify that the value of C.challenge equals the base64url encoding of pkOptions.challenge."
_ORIGIN_REQ = "Verify that the value of C.origin is an origin expected by the Relying Party."
_CROSS_REQ = (
    "If C.crossOrigin is present and set to true, verify that the Relying Party expects that this credential would "
    "have been created within an iframe that is not same-origin with its ancestors."
)
_TOP_REQ = (
    "If C.topOrigin is present: Verify that the Relying Party expects that this credential would have been created "
    "within an iframe that is not same-origin with its ancestors."
)
_JSON_REQ = (
    "Let JSONtext be the result of running UTF-8 decode on the value of response.clientDataJSON. ... Let C, the "
    "client data claimed as collected during the credential creation, be the result of running an "
    "implementation-specific JSON parser on JSONtext."
)
_ACCEPT = {"expect": "accept"}
#: A challenge whose base64url spelling contains '-' and '_' (so the standard alphabet differs) and needs padding.
_URL_CHALLENGE = bytes.fromhex("fbefbeffbffe") * 5 + b"\xfb\xff"


def _cd(name, description, hook, code, *, requirement, anchor=_REG, **kw) -> Mutation:
    return Mutation(name, "client_data", description, requirement, anchor, {"client_data": hook}, code, **kw)


def _cdj(name, description, fn, code, *, requirement=_JSON_REQ, anchor=_REG, **kw) -> Mutation:
    return Mutation(name, "client_data", description, requirement, anchor, {"client_data_json": func(fn)}, code, **kw)


def _origin(name, description, origin, **kw) -> Mutation:
    return _cd(name, description, set_fields(origin=origin), "client_data.origin.mismatch", requirement=_ORIGIN_REQ, **kw)


def std_padded(b64url_value: str) -> str:
    """The same bytes in padded standard base64 (the spelling base64url forbids)."""
    raw = base64.urlsafe_b64decode(b64url_value + "=" * (-len(b64url_value) % 4))
    return base64.b64encode(raw).decode("ascii")


def _json_text(fields: list[tuple[str, object]]) -> bytes:
    return ("{" + ",".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in fields) + "}").encode()


def _duplicate(key: str, first_value=None):
    """Write `key` twice: first `first_value` (default: the same value), then the real one."""

    def fn(data: bytes) -> bytes:
        fields = list(json.loads(data).items())
        value = dict(fields)[key]
        return _json_text([(key, value if first_value is None else first_value), *fields])

    return fn


MUTATIONS: tuple[Mutation, ...] = (
    # --- G4 type ---
    _cd(
        "client-data-type-get",
        "type is webauthn.get",
        set_fields(type="webauthn.get"),
        "client_data.type.mismatch",
        requirement=_TYPE_REQ,
        level="MUST",
    ),
    _cd(
        "client-data-type-missing",
        "no type member",
        set_fields(type=DROP),
        "client_data.type.missing",
        requirement=_TYPE_REQ,
        level="MUST",
    ),
    # --- G1 challenge ---
    _cd(
        "client-data-challenge-mismatch",
        "challenge of other bytes",
        set_fields(challenge=b64url(b"not the challenge the RP issued")),
        "client_data.challenge.mismatch",
        requirement=_CHALLENGE_REQ,
        level="MUST",
    ),
    _cd(
        "client-data-challenge-missing",
        "no challenge member",
        set_fields(challenge=DROP),
        "client_data.challenge.missing",
        requirement=_CHALLENGE_REQ,
        level="MUST",
    ),
    _cd(
        "client-data-challenge-padded",
        "challenge with '=' padding",
        lambda cd, b: {**cd, "challenge": cd["challenge"] + "=" * (-len(cd["challenge"]) % 4)},
        "client_data.challenge.mismatch",
        requirement=_CHALLENGE_REQ,
        challenge=_URL_CHALLENGE,
        level="MUST",
    ),
    _cd(
        "client-data-challenge-std-alphabet",
        "challenge in the standard base64 alphabet ('+' and '/')",
        lambda cd, b: {**cd, "challenge": std_padded(cd["challenge"]).rstrip("=")},
        "client_data.challenge.mismatch",
        requirement=_CHALLENGE_REQ,
        challenge=_URL_CHALLENGE,
        level="MUST",
    ),
    _cd(
        "client-data-challenge-number",
        "challenge is a JSON number",
        set_fields(challenge=12345),
        "client_data.challenge.mismatch",
        requirement=_CHALLENGE_REQ,
        level="MUST",
    ),
    # --- G2 origin ---
    _origin("client-data-origin-port", "origin with an explicit port :8443", "https://fidoconf.example:8443", level="MUST"),
    _origin("client-data-origin-subdomain", "origin of a subdomain", "https://sub.fidoconf.example", level="MUST"),
    _origin("client-data-origin-case", "origin host in upper case", "https://FIDOCONF.EXAMPLE", level="MUST"),
    _origin("client-data-origin-trailing-slash", "origin with a trailing slash", "https://fidoconf.example/", level="MUST"),
    _origin("client-data-origin-path", "origin with a path", "https://fidoconf.example/login", level="MUST"),
    _origin("client-data-origin-http", "origin with scheme http", "http://fidoconf.example", level="MUST"),
    _origin("client-data-origin-evil", "an unrelated origin", "https://evil.example", level="MUST"),
    _cd(
        "client-data-origin-missing",
        "no origin member",
        set_fields(origin=DROP),
        "client_data.origin.missing",
        requirement=_ORIGIN_REQ,
        level="MUST",
    ),
    # --- crossOrigin / topOrigin ---
    _cd(
        "client-data-cross-origin-true",
        "crossOrigin true (RP expects no iframe)",
        set_fields(crossOrigin=True),
        "client_data.cross_origin.forbidden",
        requirement=_CROSS_REQ,
        outcomes={"permissive": _ACCEPT},
        level="MUST",
    ),
    _cd(
        "client-data-cross-origin-string",
        "crossOrigin is the string 'true'",
        set_fields(crossOrigin="true"),
        "client_data.cross_origin.type_invalid",
        requirement=requirements.CLIENT_DATA_CROSS_ORIGIN_STRING,
        anchor="#dom-collectedclientdata-crossorigin",
        level="STRICT",
    ),
    _cd(
        "client-data-top-origin",
        "topOrigin present although the RP expects no iframe",
        set_fields(topOrigin="https://top.example"),
        "client_data.top_origin.forbidden",
        requirement=_TOP_REQ,
        level="MUST",
    ),
    _cd(
        "client-data-top-origin-unexpected",
        "topOrigin other than the one the RP allows",
        set_fields(crossOrigin=True, topOrigin="https://evil.example"),
        "client_data.top_origin.mismatch",
        requirement=_TOP_REQ,
        policy={"preset": "strict", "allow_cross_origin": True, "allowed_top_origins": ["https://top.example"]},
        level="SHOULD",
    ),
    # --- token binding (Level 2 member) ---
    _cd(
        "client-data-token-binding-bad-status",
        "tokenBinding.status is 'bogus'",
        set_fields(tokenBinding={"status": "bogus"}),
        "client_data.token_binding.invalid",
        requirement="tokenBinding status is one of present, supported.",
        anchor="#dom-collectedclientdata-tokenbinding",
        level="MUST",
    ),
    # --- G5 JSON text ---
    _cdj(
        "client-data-duplicate-challenge-same",
        "challenge member written twice with the same value",
        _duplicate("challenge"),
        "client_data.json.duplicate_key",
        outcomes={"permissive": _ACCEPT},
        level="SHOULD",
    ),
    _cdj(
        "client-data-duplicate-type-differs",
        "type written twice: 'webauthn.get' then 'webauthn.create'",
        _duplicate("type", "webauthn.get"),
        "client_data.json.duplicate_key",
        requirement=requirements.CLIENT_DATA_DUPLICATE_TYPE_DIFFERS,
        level="STRICT",
    ),
    _cdj(
        "client-data-trailing-json",
        "a second JSON value after the object",
        lambda d: d + b"{}",
        "client_data.json.invalid",
        requirement=requirements.CLIENT_DATA_TRAILING_JSON,
        level="STRICT",
    ),
    _cdj("client-data-not-json", "clientDataJSON is not JSON", lambda d: d[:-1], "client_data.json.invalid", requirement=requirements.CLIENT_DATA_JSON, level="MUST"),
    _cdj(
        "client-data-json-array",
        "clientDataJSON is a JSON array holding the object",
        lambda d: b"[" + d + b"]",
        "client_data.json.invalid",
        requirement=requirements.CLIENT_DATA_JSON,
        level="MUST",
    ),
    _cdj(
        "client-data-invalid-utf8",
        "clientDataJSON holds the invalid UTF-8 byte 0xff inside a string",
        lambda d: d.replace(b'"webauthn.create"', b'"webauthn.create\xff"'),
        "client_data.json.invalid",
        requirement=requirements.CLIENT_DATA_INVALID_UTF8,
        level="STRICT",
    ),
    _cdj(
        "valid-client-data-bom",
        "clientDataJSON starts with a UTF-8 BOM (UTF-8 decode strips it)",
        lambda d: b"\xef\xbb\xbf" + d,
        None,
        requirement=requirements.VALID_CLIENT_DATA_BOM,
        level="MUST",
    ),
    _cdj(
        "valid-client-data-reordered",
        "client data members in another order",
        lambda d: _json_text(sorted(json.loads(d).items())),
        None,
        requirement=requirements.CLIENT_DATA_JSON,
        level="MUST",
    ),
    _cd(
        "valid-client-data-extra-member",
        "an extra member, as Chrome adds ('other_keys_can_be_added_here')",
        set_fields(other_keys_can_be_added_here="do not compare clientDataJSON against a template"),
        None,
        requirement=requirements.VALID_CLIENT_DATA_EXTRA_MEMBER,
        anchor="#clientdatajson-verification",
        level="MUST",
    ),
    _cd(
        "valid-client-data-no-cross-origin",
        "no crossOrigin member",
        set_fields(crossOrigin=DROP),
        None,
        requirement=_CROSS_REQ,
        level="MUST",
    ),
    _cd(
        "valid-client-data-token-binding-supported",
        "tokenBinding {status: supported}",
        set_fields(tokenBinding={"status": "supported"}),
        None,
        requirement=requirements.VALID_CLIENT_DATA_TOKEN_BINDING_SUPPORTED,
        anchor="#dom-collectedclientdata-tokenbinding",
        level="INFO",
    ),
)
