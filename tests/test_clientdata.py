"""Client data checks (#sctn-registering-a-new-credential steps 5-11)."""

import json

import pytest
from fidoconf.verifier.clientdata import (
    check_challenge,
    check_cross_origin,
    check_origin,
    check_token_binding,
    check_type,
    parse_client_data,
)
from fidoconf.verifier.encoding import b64url_encode
from fidoconf.verifier.errors import Code, VerificationError
from fidoconf.verifier.policy import Policy

CHALLENGE = bytes(range(32))
STRICT = Policy.preset("strict")
PERMISSIVE = Policy.preset("permissive")


def cd(**fields):
    base = {"type": "webauthn.create", "challenge": b64url_encode(CHALLENGE), "origin": "https://example.com"}
    base.update(fields)
    return parse_client_data(json.dumps({k: v for k, v in base.items() if v is not None}).encode(), policy=STRICT)


def code_of(fn, *args, **kwargs) -> Code:
    with pytest.raises(VerificationError) as info:
        fn(*args, **kwargs)
    return info.value.code


def test_bom_is_stripped_as_utf8_decode_does():
    raw = "\ufeff" + json.dumps({"type": "webauthn.create"})
    assert parse_client_data(raw.encode(), policy=STRICT).fields["type"] == "webauthn.create"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"\xff\xfe", Code.CLIENT_DATA_JSON_INVALID),
        (b"[1]", Code.CLIENT_DATA_JSON_INVALID),
        (b'{"type":"webauthn.create"} {}', Code.CLIENT_DATA_JSON_INVALID),
        (b'{"challenge":"a","challenge":"b"}', Code.CLIENT_DATA_JSON_DUPLICATE_KEY),
        (b"[" * 100000, Code.CLIENT_DATA_JSON_INVALID),
    ],
)
def test_parse_refusals(raw, code):
    assert code_of(parse_client_data, raw, policy=STRICT) is code


def test_duplicate_keys_allowed_by_permissive_policy():
    assert parse_client_data(b'{"a":1,"a":2}', policy=PERMISSIVE).fields == {"a": 2}


def test_type():
    assert code_of(check_type, cd(type=None)) is Code.CLIENT_DATA_TYPE_MISSING
    assert code_of(check_type, cd(type="webauthn.get")) is Code.CLIENT_DATA_TYPE_MISMATCH
    check_type(cd())


@pytest.mark.parametrize(
    "value",
    [b64url_encode(CHALLENGE) + "=", b64url_encode(CHALLENGE).replace("_", "/").replace("-", "+") + "+", "", 5],
)
def test_challenge_mismatch_variants(value):
    assert code_of(check_challenge, cd(challenge=value), expected_challenge=CHALLENGE) is Code.CLIENT_DATA_CHALLENGE_MISMATCH


def test_challenge_missing_and_ok():
    assert code_of(check_challenge, cd(challenge=None), expected_challenge=CHALLENGE) is Code.CLIENT_DATA_CHALLENGE_MISSING
    check_challenge(cd(), expected_challenge=CHALLENGE)


@pytest.mark.parametrize(
    "origin",
    ["https://example.com:8443", "https://sub.example.com", "https://EXAMPLE.com", "https://example.com/",
     "http://example.com", "https://example.com/path", "null"],
)
def test_origin_variants_are_refused(origin):
    assert code_of(check_origin, cd(origin=origin), expected_origins=("https://example.com",)) is Code.CLIENT_DATA_ORIGIN_MISMATCH


def test_origin_list_and_missing():
    check_origin(cd(origin="https://b.example"), expected_origins=("https://a.example", "https://b.example"))
    assert code_of(check_origin, cd(origin=None), expected_origins=("https://x",)) is Code.CLIENT_DATA_ORIGIN_MISSING


def test_cross_origin_and_top_origin_by_policy():
    assert code_of(check_cross_origin, cd(crossOrigin=True), policy=STRICT) is Code.CLIENT_DATA_CROSS_ORIGIN_FORBIDDEN
    assert code_of(check_cross_origin, cd(crossOrigin="true"), policy=STRICT) is Code.CLIENT_DATA_CROSS_ORIGIN_TYPE_INVALID
    check_cross_origin(cd(crossOrigin=False), policy=STRICT)
    check_cross_origin(cd(crossOrigin=True), policy=PERMISSIVE)
    assert code_of(check_cross_origin, cd(topOrigin="https://top.example"), policy=STRICT) is Code.CLIENT_DATA_TOP_ORIGIN_FORBIDDEN
    listed = Policy.from_json({"allowed_top_origins": ["https://top.example"]})
    check_cross_origin(cd(topOrigin="https://top.example"), policy=listed)
    assert code_of(check_cross_origin, cd(topOrigin="https://evil.example"), policy=listed) is Code.CLIENT_DATA_TOP_ORIGIN_MISMATCH


def test_token_binding():
    check_token_binding(cd(tokenBinding={"status": "present", "id": "x"}), policy=STRICT)
    check_token_binding(cd(tokenBinding={"status": "supported"}), policy=STRICT)
    assert code_of(check_token_binding, cd(tokenBinding={"status": "not-supported"}), policy=STRICT) is Code.CLIENT_DATA_TOKEN_BINDING_INVALID
    assert code_of(check_token_binding, cd(tokenBinding="unused"), policy=STRICT) is Code.CLIENT_DATA_TOKEN_BINDING_INVALID
    check_token_binding(cd(tokenBinding="unused"), policy=PERMISSIVE)


def test_policy_from_json_rejects_unknown_fields():
    with pytest.raises(ValueError):
        Policy.from_json({"no_such_field": True})
    with pytest.raises(ValueError):
        Policy.preset("nope")
