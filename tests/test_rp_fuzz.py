"""No input makes the reference RP answer 500: random JSON, random bytes, random media types, on every route.

REST answers must be < 500 with a schema-valid error envelope; ceremony answers must be 200 with a code other
than `internal.unexpected.error` (the catch-all a bug would land in).
"""

from __future__ import annotations

import json

import pytest
from fidoconf.verifier.errors import Code
from fidoconf.verifier.rp import RPConfig, create_app
from fidoconf.verifier.rp.errors import RpCode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .rp_support import asgi_client, assert_valid, check_response

KEY = "fuzz-access-key"
UUID = "6f1d3c55-2b8e-4f0e-9a53-5f3f3b6a9d11"
ROUTES = [
    ("POST", "/api/v1/users/enroll"),
    ("POST", "/api/v1/status"),
    ("POST", "/api/v1/introspect"),
    ("POST", "/api/v1/intent"),
    ("GET", f"/api/v1/users/{UUID}"),
    ("DELETE", f"/api/v1/users/{UUID}"),
    ("PATCH", f"/api/v1/authenticators/{UUID}"),
    ("DELETE", f"/api/v1/authenticators/{UUID}"),
    ("POST", "/_app/attestation/result"),
    ("POST", "/_app/dispatch/redeem"),
    ("GET", "/ping"),
]
CEREMONY = {"/_app/attestation/result", "/_app/dispatch/redeem"}
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
#: Objects that look like the real requests, so the fuzz gets past "not an object" into the field checks.
field_names = st.sampled_from(
    ["username", "userId", "channel", "displayName", "fido2Options", "statusToken", "dispatchToken", "token",
     "operation", "channels", "name", "id", "rawId", "type", "response", "userFriendlyName", "userAgent"]
)  # fmt: skip
plausible = st.dictionaries(field_names, json_values, max_size=6)
selection_names = st.sampled_from(["authenticatorAttachment", "residentKey", "requireResidentKey", "userVerification"])
#: Valid-looking enroll/intent bodies with one nested member at a time replaced by anything.
nested = st.fixed_dictionaries(
    {"username": st.just("fuzzer") | json_values, "channel": st.sampled_from(["fido2", "app"]) | json_values},
    optional={
        "displayName": st.just("F") | json_values,
        "operation": st.just("enroll") | json_values,
        "channels": st.lists(st.sampled_from(["app", "fido2", "sms"]) | json_values, max_size=3) | json_values,
        "name": json_values,
        "fido2Options": st.fixed_dictionaries(
            {},
            optional={
                "attestation": st.sampled_from(["none", "direct"]) | json_values,
                "authenticatorSelection": st.dictionaries(selection_names, json_values, max_size=4) | json_values,
            },
        )
        | json_values,
    },
)
media_types = st.sampled_from(
    [
        None,
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain",
        "application/cbor",
        "multipart/form-data",
    ]
)
auth_headers = st.sampled_from([None, f"Bearer {KEY}", "Bearer wrong", "Basic a2V5", "Bearer", ""])


@pytest.fixture(scope="module")
def client():
    config = RPConfig(rp_id="rp.example", origins=("https://rp.example",), access_keys=(KEY,), max_body_bytes=4096)
    with asgi_client(create_app(config)) as c:
        yield c


def _check(response, method: str, path: str) -> None:
    assert response.status_code < 500, (path, response.status_code, response.text[:300])
    check_response(method, path, response)
    if path in CEREMONY:
        body = response.json()
        assert body["status"] == "failed" and body["errorCode"] != Code.INTERNAL_UNEXPECTED.value, body


def _send(client, method: str, path: str, content: bytes, media_type: str | None, auth: str | None):
    headers = {}
    if media_type is not None:
        headers["content-type"] = media_type
    if auth is not None:
        headers["authorization"] = auth
    return client.request(method, path, content=content, headers=headers)


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
@FUZZ
@given(body=json_values | plausible | nested, media_type=media_types, auth=auth_headers)
def test_random_json_never_500(client, method, path, body, media_type, auth):
    content = json.dumps(body).encode()
    _check(_send(client, method, path, content, media_type, auth), method, path)


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
@FUZZ
@given(content=st.binary(max_size=5000), media_type=media_types, auth=auth_headers)
def test_random_bytes_never_500(client, method, path, content, media_type, auth):
    _check(_send(client, method, path, content, media_type, auth), method, path)


@FUZZ
@given(
    path=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789/_-.%", max_size=40),
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
)
def test_random_paths_never_500(client, path, method):
    response = client.request(method, "/" + path)
    assert response.status_code < 500
    if response.status_code >= 400:
        assert_valid("nevis-cloud", "error-response", response.json())


def test_deeply_nested_json_is_a_400_not_a_crash(client):
    deep = b"[" * 100_000 + b"]" * 100_000
    headers = {"content-type": "application/json", "authorization": f"Bearer {KEY}"}
    config_limit = 4096
    assert len(deep) > config_limit  # the body limit answers first ...
    assert client.post("/api/v1/users/enroll", content=deep, headers=headers).status_code == 413
    shallow_but_deep = b"[" * 2000 + b"]" * 2000  # ... and within the limit the parser's recursion is caught
    assert client.post("/api/v1/users/enroll", content=shallow_but_deep, headers=headers).status_code == 400
    answer = client.post("/_app/attestation/result", content=shallow_but_deep).json()
    assert answer["errorCode"] == RpCode.REQUEST_BODY_INVALID.value


@FUZZ
@given(
    field=st.sampled_from(["id", "rawId", "type", "response", "clientDataJSON", "attestationObject", "transports"]),
    value=json_values,
)
def test_random_credential_members_under_a_live_status_token(client, field, value):
    """Past the token checks, into the verifier: every refusal is coded, none is the internal catch-all."""
    from fidoconf.conformance.authenticator.authenticator import make_credential
    from fidoconf.verifier.encoding import b64url_decode

    headers = {"authorization": f"Bearer {KEY}"}
    enrolled = client.post(
        "/api/v1/users/enroll", json={"username": "fuzz", "channel": "fido2", "displayName": "F"}, headers=headers
    ).json()
    options = enrolled["enrollment"]["credentialCreationOptions"]
    cred = make_credential(
        rp_id="rp.example", origin="https://rp.example", challenge=b64url_decode(options["challenge"], field="c"),
        fmt="packed-self", alg="ES256", seed="fuzz",
    ).credential  # fmt: skip
    target = cred["response"] if field in ("clientDataJSON", "attestationObject", "transports") else cred
    target[field] = value
    # json.dumps, not httpx's json=: values such as Infinity are still JSON to Python's parser, so they go through.
    body = json.dumps({**cred, "statusToken": enrolled["enrollment"]["statusToken"]})
    response = client.post("/_app/attestation/result", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200
    answer = response.json()
    assert_valid("nevis-cloud", "attestation-result-response", answer)
    assert answer["errorCode"] != Code.INTERNAL_UNEXPECTED.value, answer


# --- text that is not Unicode, in every field of every route of every flavour (issue 15) -------------------------

#: Strings that UTF-8 cannot encode (a lone surrogate somewhere) mixed with the odd but valid (NUL, U+FFFF).
lone_surrogates = st.integers(0xD800, 0xDFFF).map(chr)
hostile_text = st.builds(
    lambda head, bad, tail: head + bad + tail,
    st.text(max_size=6),
    lone_surrogates
    | st.sampled_from(["\x00", "\uffff", "\ud83d\ude00"]).flatmap(lambda c: lone_surrogates.map(lambda s: c + s)),
    st.text(max_size=6),
)


def _plant(value, text: str, path: tuple):
    """`value` with the string at `path` replaced by `text` (a member name too, when the path ends in a key)."""
    if not path:
        return text
    head, *rest = path
    if isinstance(value, dict):
        out = dict(value)
        if head not in out:
            out[text] = 1
            return out
        out[head] = _plant(out[head], text, tuple(rest))
        return out
    out = list(value)
    out[head] = _plant(out[head], text, tuple(rest))
    return out


def _string_paths(value, prefix: tuple = ()) -> list[tuple]:
    if isinstance(value, str):
        return [prefix]
    if isinstance(value, dict):
        return [prefix + ("<new member>",)] + [p for k, v in value.items() for p in _string_paths(v, prefix + (k,))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _string_paths(v, prefix + (i,))]
    return []


SVCINFO = {"did": 1, "protocol": "FIDO2_0", "authtype": "PASSWORD", "svcusername": "svc", "svcpassword": "pw"}
#: A well-formed body of every route of every flavour: the fuzz puts a hostile string in one of its strings.
TEMPLATES = [
    ("nevis", "/api/v1/users/enroll", {"username": "u", "channel": "fido2", "displayName": "D",
                                       "fido2Options": {"attestation": "none", "authenticatorSelection": {"residentKey": "preferred"}}}),
    ("nevis", "/api/v1/status", {"statusToken": "t"}),
    ("nevis", "/api/v1/intent", {"username": "u", "operation": "enroll", "channels": ["fido2"]}),
    ("nevis", f"/api/v1/authenticators/{UUID}", {"name": "n"}),
    ("nevis-ceremony", "/_app/attestation/result", {"statusToken": "t", "id": "i", "rawId": "i", "type": "public-key",
                                                    "response": {"clientDataJSON": "c", "attestationObject": "a"},
                                                    "userFriendlyName": "n", "userAgent": "a"}),
    ("nevis-ceremony", "/_app/dispatch/redeem", {"dispatchToken": "t"}),
    ("fido", "/attestation/options", {"username": "u", "displayName": "D", "attestation": "direct",
                                      "authenticatorSelection": {"userVerification": "preferred"}, "extensions": {"credProps": True}}),
    ("fido", "/attestation/result", {"fido2SessionId": "s", "id": "i", "rawId": "i", "type": "public-key",
                                     "response": {"clientDataJSON": "c", "attestationObject": "a"}}),
    ("fido-status", "/status", {"fido2SessionId": "s"}),
    *[("skfs", f"/skfs/rest/{op}", {"svcinfo": SVCINFO, "payload": payload}) for op, payload in (
        ("preregister", {"username": "u", "displayname": "d", "options": {"attestation": "direct"}, "extensions": "{}"}),
        ("register", {"publicKeyCredential": {"id": "i", "type": "public-key"},
                      "strongkeyMetadata": {"version": "1.0", "username": "u", "origin": "o", "create_location": "l"}}),
        ("getkeysinfo", {"username": "u"}),
        ("updatekeyinfo", {"keyid": "1-1-1", "status": "Active", "modify_location": "l", "displayname": "d"}),
        ("deregister", {"keyid": "1-1-1"}),
        ("ping", {}),
    )],
]  # fmt: skip


@pytest.fixture(scope="module")
def every_flavour():
    from fidoconf.verifier.rp.store import SqliteStore

    store = SqliteStore(":memory:")
    config = RPConfig(
        rp_id="rp.example", origins=("https://rp.example",), access_keys=(KEY,), max_body_bytes=4096,
        flavours=("nevis-cloud", "fido-server", "skfs"), skfs_service_accounts=(("svc", "pw", ("FIDO_REG", "FIDO")),),
    )  # fmt: skip
    with asgi_client(create_app(config, store=store)) as c:
        yield c, store


@pytest.mark.parametrize(("kind", "path", "template"), TEMPLATES, ids=[p for _, p, _ in TEMPLATES])
@FUZZ
@given(data=st.data(), text=hostile_text)
def test_non_unicode_text_in_any_field_is_the_flavours_error_and_writes_nothing(
    every_flavour, kind, path, template, data, text
):
    client, store = every_flavour
    where = data.draw(st.sampled_from(_string_paths(template)))
    body = _plant(template, text, where)
    before = store.row_counts()
    headers = {"content-type": "application/json", "authorization": f"Bearer {KEY}"}
    method = "PATCH" if path.startswith("/api/v1/authenticators/") else "POST"
    response = client.request(method, path, content=json.dumps(body).encode("ascii"), headers=headers)
    if kind == "nevis":
        assert response.status_code == 400, (where, response.text)
        assert_valid("nevis-cloud", "error-response", response.json())
    elif kind == "fido-status":
        assert (response.status_code, response.json()["errorCode"]) == (400, RpCode.REQUEST_BODY_INVALID.value)
    elif kind in ("nevis-ceremony", "fido"):
        assert response.status_code == 200
        assert (response.json()["status"], response.json()["errorCode"]) == ("failed", RpCode.REQUEST_BODY_INVALID.value)
    else:
        assert response.status_code == 400, (where, response.text)
        answer = response.json()
        assert answer["responseCode"] == "FIDO-ERR-5011"
        assert answer["response"].endswith(f"[fidoconf:{RpCode.REQUEST_BODY_INVALID.value}]")
    assert store.row_counts() == before
