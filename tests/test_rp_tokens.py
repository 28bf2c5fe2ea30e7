"""TokenService: HS256 JWTs with a kind and audience, time from the injected clock, every refusal coded."""

from __future__ import annotations

import json

import jwt
import pytest
from fidoconf.verifier.errors import Code, VerificationError
from fidoconf.verifier.rp.errors import RpCode
from fidoconf.verifier.rp.tokens import AUDIENCE, MAX_TOKEN_LENGTH, TokenService

from .rp_support import ManualClock

KEY = b"k" * 32
ISSUER = "https://rp.example/"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def tokens(clock) -> TokenService:
    return TokenService(KEY, ISSUER, clock)


def code_of(tokens: TokenService, token: object, kinds=("status",)) -> Code:
    with pytest.raises(VerificationError) as refused:
        tokens.decode(token, kinds=kinds)
    return refused.value.code


@pytest.mark.parametrize("kind", sorted(AUDIENCE))
def test_every_kind_round_trips_with_its_claims(tokens, kind):
    token = tokens.issue(kind, sub="user-1", ttl_s=60, txn="tx-1")
    claims = tokens.decode(token, kinds=(kind,))
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert claims["kind"] == kind and claims["aud"] == AUDIENCE[kind] and claims["iss"] == ISSUER
    assert claims["sub"] == "user-1" and claims["txn"] == "tx-1" and claims["exp"] == claims["iat"] + 60
    assert len(claims["jti"]) == 32


def test_fixed_iat_and_jti_reproduce_the_same_token(tokens):
    one = tokens.issue("transaction", sub="u", ttl_s=300, txn="t", iat=1_700_000_000, jti="j")
    two = tokens.issue("transaction", sub="u", ttl_s=300, txn="t", iat=1_700_000_000, jti="j")
    assert one == two


def test_expiry_follows_the_injected_clock(tokens, clock):
    token = tokens.issue("status", sub="u", ttl_s=10)
    clock.advance(seconds=9)
    assert tokens.decode(token, kinds=("status",))["sub"] == "u"
    clock.advance(seconds=1)  # RFC 7519: not accepted "on or after" exp
    assert code_of(tokens, token) is RpCode.TOKEN_JWT_EXPIRED


def test_access_keys_never_expire(tokens, clock):
    token = tokens.issue("access", sub="client", ttl_s=None)
    clock.advance(days=3650)
    assert "exp" not in tokens.decode(token, kinds=("access",))


def test_missing_and_malformed(tokens):
    assert code_of(tokens, None) is RpCode.TOKEN_VALUE_MISSING
    assert code_of(tokens, "") is RpCode.TOKEN_VALUE_MISSING
    assert code_of(tokens, 12) is RpCode.TOKEN_JWT_INVALID
    assert code_of(tokens, "a.b.c") is RpCode.TOKEN_JWT_INVALID
    assert code_of(tokens, "x" * (MAX_TOKEN_LENGTH + 1)) is RpCode.TOKEN_JWT_INVALID


def test_tampering_and_foreign_keys(tokens):
    token = tokens.issue("status", sub="u", ttl_s=60)
    header, payload, signature = token.split(".")
    assert (
        code_of(tokens, f"{header}.{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}")
        is RpCode.TOKEN_JWT_INVALID
    )
    other = TokenService(b"o" * 32, ISSUER, tokens.clock).issue("status", sub="u", ttl_s=60)
    assert code_of(tokens, other) is RpCode.TOKEN_JWT_INVALID
    other_issuer = TokenService(KEY, "https://elsewhere/", tokens.clock).issue("status", sub="u", ttl_s=60)
    assert code_of(tokens, other_issuer) is RpCode.TOKEN_JWT_INVALID


def test_alg_none_and_other_algorithms_are_refused(tokens, clock):
    claims = {"iss": ISSUER, "aud": "status", "sub": "u", "iat": 1, "jti": "j", "kind": "status"}
    assert code_of(tokens, jwt.encode(claims, None, algorithm="none")) is RpCode.TOKEN_JWT_INVALID
    assert code_of(tokens, jwt.encode(claims, KEY * 2, algorithm="HS512")) is RpCode.TOKEN_JWT_INVALID


def test_kind_and_audience_must_agree(tokens):
    forged = {"iss": ISSUER, "aud": "api", "sub": "u", "iat": 1, "jti": "j", "kind": "status"}
    assert code_of(tokens, jwt.encode(forged, KEY, algorithm="HS256")) is RpCode.TOKEN_JWT_INVALID
    missing_kind = {"iss": ISSUER, "aud": "status", "sub": "u", "iat": 1, "jti": "j"}
    assert code_of(tokens, jwt.encode(missing_kind, KEY, algorithm="HS256")) is RpCode.TOKEN_JWT_INVALID
    transaction = tokens.issue("transaction", sub="u", ttl_s=60)
    assert code_of(tokens, transaction, kinds=("status",)) is RpCode.TOKEN_KIND_MISMATCH


def test_non_numeric_exp_is_invalid(tokens):
    claims = {"iss": ISSUER, "aud": "status", "sub": "u", "iat": 1, "jti": "j", "kind": "status", "exp": "soon"}
    assert code_of(tokens, jwt.encode(claims, KEY, algorithm="HS256")) is RpCode.TOKEN_JWT_INVALID


def test_tokens_are_the_ones_pyjwt_writes(tokens):
    token = tokens.issue("status", sub="u", ttl_s=60, txn="t", iat=1_700_000_000, jti="j")
    claims = {"iss": ISSUER, "aud": "status", "sub": "u", "iat": 1_700_000_000, "jti": "j", "kind": "status",
              "scope": "status", "exp": 1_700_000_060, "txn": "t"}  # fmt: skip
    assert token == jwt.encode(claims, KEY, algorithm="HS256")


@pytest.mark.parametrize(
    "change",
    [
        {"kind": ["status"]},  # unhashable: must not reach a dict lookup as a TypeError
        {"sub": 7},
        {"jti": None},
        {"iss": [ISSUER]},
    ],
    ids=["kind-list", "sub-int", "jti-null", "iss-list"],
)
def test_correctly_signed_claims_of_the_wrong_shape_are_invalid(tokens, change):
    claims = {"iss": ISSUER, "aud": "status", "sub": "u", "iat": 1, "jti": "j", "kind": "status", **change}
    signed = jwt.PyJWS().encode(json.dumps(claims).encode(), KEY, algorithm="HS256")  # jwt.encode refuses some
    assert code_of(tokens, signed) is RpCode.TOKEN_JWT_INVALID


@pytest.mark.parametrize("payload", [b"[1]", b"\xff\xfe", b"not json"], ids=["array", "not-utf8", "text"])
def test_a_signed_payload_that_is_no_claims_object_is_invalid(tokens, payload):
    assert code_of(tokens, jwt.PyJWS().encode(payload, KEY, algorithm="HS256")) is RpCode.TOKEN_JWT_INVALID


def test_another_key_is_still_vetted_by_pyjwt():
    pem = b"-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"
    with pytest.raises(jwt.InvalidKeyError):
        TokenService(pem, ISSUER, ManualClock())
