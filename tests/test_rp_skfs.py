"""The reference RP's StrongKey FIDO Server (SKFS) REST flavour in-process: preregister, register, key management,
challenge windows and envelopes, in both envelopes (service authentication: test_rp_skfs_auth.py).

REST refusals are asserted by HTTP status and FIDO-ERR code, ceremony refusals also by fidoconf's code (the
`[fidoconf:<code>]` tag); every response body is validated against schemas/api/skfs by `Skfs`.
"""

from __future__ import annotations

import re
from contextlib import ExitStack

import pytest
from fidoconf.verifier.encoding import b64url_decode
from fidoconf.verifier.errors import Code
from fidoconf.verifier.rp import RPConfig, create_app
from fidoconf.verifier.rp.errors import RpCode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .rp_support import ManualClock, asgi_client, assert_valid
from .skfs_support import ACCOUNTS, RP_ID, Skfs, compact, credential_for, open_skfs, refusal, user


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def make_skfs(clock):
    with ExitStack() as stack:
        yield lambda envelope="4.17", **overrides: open_skfs(stack, clock, envelope, **overrides)


@pytest.fixture(params=["4.16", "4.17"])
def skfs(request, make_skfs) -> Skfs:
    return make_skfs(request.param)


# --- preregister ----------------------------------------------------------------------------------------------


def test_preregister_answers_creation_options_in_the_envelope(skfs):
    name = user()
    response, body = skfs.ok("preregister", {"username": name, "displayname": "Initial Registration",
                                             "options": {"attestation": "direct"}, "extensions": "{}",
                                             "appTXID": "exampleappTXID"})  # fmt: skip
    assert body["responseCode"] == "FIDO-MSG-0002"
    assert ("TXID" in body) == (skfs.envelope == "4.16") and ("txid" in body) == (skfs.envelope == "4.17")
    assert body["appTXID"] == "exampleappTXID"
    assert response["user"]["name"] == name and response["user"]["displayName"] == "Initial Registration"
    assert len(b64url_decode(response["user"]["id"], field="user.id")) == 16
    assert len(b64url_decode(response["challenge"], field="challenge")) == 32
    assert response["rp"] == {"id": RP_ID, "name": "fidoconf reference RP"}
    assert response["attestation"] == "direct" and response["timeout"] == 30_000
    assert "extensions" not in response


def test_preregister_echoes_selection_and_extensions(make_skfs):
    skfs = make_skfs()
    options = skfs.ok("preregister", {
        "username": user(), "displayname": "k", "extensions": '{"credProps": true}',
        "options": {"attestation": "none", "authenticatorSelection": {"requireResidentKey": "required",
                                                                     "userVerification": "required"}},
    })[0]  # fmt: skip
    assert options["authenticatorSelection"] == {
        "residentKey": "required", "requireResidentKey": True, "userVerification": "required",
    }  # fmt: skip
    assert options["extensions"] == {"credProps": True} and options["attestation"] == "none"


@pytest.mark.parametrize(
    ("payload", "vendor"),
    [
        ({"displayname": "k", "options": {}}, "FIDO-ERR-0048"),
        ({"username": "", "displayname": "k", "options": {}}, "FIDO-ERR-0048"),
        ({"username": "u" * 257, "displayname": "k", "options": {}}, "FIDOJPA-ERR-1002"),
        ({"username": "u", "options": {}}, "FIDO-ERR-0049"),
        ({"username": "u", "displayname": "k"}, "FIDO-ERR-0050"),
        ({"username": "u", "displayname": "k", "options": "{}"}, "FIDO-ERR-0050"),
        ({"username": "u", "displayname": "k", "options": {"attestation": ["direct"]}}, "FIDO-ERR-0050"),
        ({"username": "u", "displayname": "k", "options": {"authenticatorSelection": {"userVerification": 1}}},
         "FIDO-ERR-0050"),
        ({"username": "u", "displayname": "k", "options": {}, "extensions": "{not json"}, "FIDO-ERR-0014"),
        ({"username": "u", "displayname": "k", "options": {}, "appTXID": 7}, "FIDO-ERR-0020"),
    ],
)  # fmt: skip
def test_preregister_payload_errors(skfs, payload, vendor):
    response = skfs.call("preregister", payload)
    assert response.status_code == 400
    assert skfs.error(response) == (vendor, RpCode.REQUEST_BODY_INVALID.value)


def test_username_of_256_characters_is_accepted(skfs):
    assert skfs.preregister("u" * 256)["user"]["name"] == "u" * 256


# --- register ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["none", "packed-self", "packed-x5c"])
def test_register_and_manage_keys(skfs, fmt):
    name = user()
    options = skfs.preregister(name)
    credential = credential_for(options, fmt=fmt)
    assert_valid(
        "skfs", "register-request", {"svcinfo": skfs.svcinfo(), "payload": skfs.register_payload(name, credential)}
    )
    response = skfs.register(name, credential)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["responseCode"] == "FIDO-MSG-0004" and body["pkixValidated"] is False
    [key] = skfs.keys(name)
    assert re.fullmatch(r"1-1-[0-9]+", key["keyid"]) and key["status"] == "Active"
    assert key["credentialId"] == credential["id"] and key["displayName"] == f"{name} key"
    assert key["createLocation"] == "Sunnyvale, CA" and key["attestationFormat"] == fmt.split("-")[0]
    update = {"keyid": key["keyid"], "displayname": "Blue Security Key", "status": "Inactive", "modify_location": "Lab"}
    assert_valid("skfs", "updatekeyinfo-request", {"svcinfo": skfs.svcinfo(), "payload": update})
    assert skfs.ok("updatekeyinfo", update)[1]["responseCode"] == "FIDO-MSG-0020"
    [key] = skfs.keys(name)
    assert (key["displayName"], key["status"], key["modifyLocation"]) == ("Blue Security Key", "Inactive", "Lab")
    assert skfs.ok("deregister", {"keyid": key["keyid"]})[1]["responseCode"] == "FIDO-MSG-0010"
    assert skfs.keys(name) == []
    again = skfs.call("deregister", {"keyid": key["keyid"]})
    assert again.status_code == 400 and skfs.error(again) == ("FIDO-ERR-0022", None)


def test_second_preregister_excludes_the_registered_credential_and_keeps_the_user_handle(skfs):
    name = user()
    first = skfs.preregister(name)
    credential = credential_for(first)
    assert skfs.register(name, credential).status_code == 200
    second = skfs.preregister(name)
    assert [e["id"] for e in second["excludeCredentials"]] == [credential["id"]]
    assert second["user"]["id"] == first["user"]["id"]


def test_register_binds_metadata_user_origin_and_challenge(skfs):
    alice, bob = user(), user()
    options = skfs.preregister(alice)
    skfs.preregister(bob)
    credential = credential_for(options)
    other_origin = skfs.call("register", skfs.register_payload(alice, credential, origin="https://evil.example"))
    assert refusal(skfs, other_origin) == ("FIDO-ERR-2001", RpCode.REQUEST_BODY_INVALID.value)
    assert "Invalid Origin" in other_origin.text
    assert refusal(skfs, skfs.register(bob, credential)) == ("FIDO-ERR-0037", RpCode.REQUEST_BODY_INVALID.value)
    nobody = skfs.register(user(), credential)
    assert refusal(skfs, nobody) == ("FIDO-ERR-0006", RpCode.TRANSACTION_ID_UNKNOWN.value)
    # A challenge that was never issued: the user's pending session answers, and the verifier says why not.
    forged = credential_for({"challenge": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
    assert refusal(skfs, skfs.register(alice, forged)) == ("FIDO-ERR-2001", Code.CLIENT_DATA_CHALLENGE_MISMATCH.value)
    # That refusal ended the session (single use), so alice's real credential now finds it spent.
    replay = skfs.register(alice, credential)
    assert refusal(skfs, replay) == ("FIDO-ERR-0006", RpCode.TRANSACTION_STATUS_NOT_PENDING.value)


def test_a_registered_challenge_cannot_be_replayed(skfs):
    name = user()
    credential = credential_for(skfs.preregister(name))
    assert skfs.register(name, credential).status_code == 200
    replay = skfs.register(name, credential)
    assert refusal(skfs, replay) == ("FIDO-ERR-0006", RpCode.TRANSACTION_STATUS_NOT_PENDING.value)


@pytest.mark.parametrize(
    ("edit", "vendor", "code"),
    [
        (lambda p: p.pop("publicKeyCredential"), "FIDO-ERR-0053", RpCode.REQUEST_BODY_INVALID),
        (lambda p: p.pop("strongkeyMetadata"), "FIDO-ERR-0052", RpCode.REQUEST_BODY_INVALID),
        (lambda p: p["strongkeyMetadata"].pop("version"), "FIDO-ERR-0054", RpCode.REQUEST_BODY_INVALID),
        (lambda p: p["strongkeyMetadata"].pop("create_location"), "FIDO-ERR-0055", RpCode.REQUEST_BODY_INVALID),
        (lambda p: p["strongkeyMetadata"].pop("username"), "FIDO-ERR-0048", RpCode.REQUEST_BODY_INVALID),
        (lambda p: p["strongkeyMetadata"].pop("origin"), "FIDO-ERR-0057", RpCode.REQUEST_BODY_INVALID),
        (lambda p: p["publicKeyCredential"].pop("id"), "FIDO-ERR-0058", Code.CREDENTIAL_ID_MISSING),
        (lambda p: p["publicKeyCredential"].pop("rawId"), "FIDO-ERR-0059", Code.CREDENTIAL_RAW_ID_MISSING),
        (lambda p: p["publicKeyCredential"].pop("response"), "FIDO-ERR-0060", Code.CREDENTIAL_RESPONSE_MISSING),
        (lambda p: p["publicKeyCredential"].update(type="x"), "FIDO-ERR-0061", Code.CREDENTIAL_TYPE_INVALID),
        (lambda p: p["publicKeyCredential"]["response"].pop("attestationObject"), "FIDO-ERR-0062",
         Code.CREDENTIAL_ATTESTATION_OBJECT_MISSING),
        (lambda p: p["publicKeyCredential"]["response"].pop("clientDataJSON"), "FIDO-ERR-0063",
         Code.CREDENTIAL_CLIENT_DATA_JSON_MISSING),
    ],
)  # fmt: skip
def test_register_payload_errors(skfs, edit, vendor, code):
    name = user()
    payload = skfs.register_payload(name, credential_for(skfs.preregister(name)))
    edit(payload)
    assert refusal(skfs, skfs.call("register", payload)) == (vendor, code.value)


@pytest.mark.parametrize(("did", "window"), [(1, 30), (2, 5)])
def test_challenge_window_per_domain(skfs, clock, did, window):
    name = user()
    options, _ = skfs.ok("preregister", {"username": name, "displayname": "k", "options": {}}, did=did)
    assert options["timeout"] == window * 1000
    clock.advance(seconds=window - 1)
    late = credential_for(options)
    assert skfs.register(name, late, did=did).status_code == 200
    options, _ = skfs.ok("preregister", {"username": name, "displayname": "k", "options": {}}, did=did)
    clock.advance(seconds=window)
    refused = skfs.register(name, credential_for(options), did=did)
    assert refusal(skfs, refused) == ("FIDO-ERR-2001", RpCode.TRANSACTION_TIMEOUT_EXPIRED.value)
    assert "Request timed out, please try again" in refused.text


def test_domains_keep_their_own_users_and_keys(skfs):
    name = user()
    assert skfs.register(name, credential_for(skfs.preregister(name))).status_code == 200
    [key] = skfs.keys(name)
    assert skfs.keys(name, did=2) == []
    foreign = skfs.call("deregister", {"keyid": key["keyid"]}, did=2)
    assert refusal(skfs, foreign) == ("FIDO-ERR-0022", None)
    for keyid in ("1-1-999999", "2-1-1", "1-1-johndoe-154", "x"):
        response = skfs.call("deregister", {"keyid": keyid})
        assert response.status_code == 400 and skfs.error(response)[0] in ("FIDO-ERR-0022", "FIDO-ERR-0068")


@pytest.mark.parametrize(
    ("payload", "vendor"),
    [
        ({"displayname": "k", "status": "Active", "modify_location": "x"}, "FIDO-ERR-0068"),
        ({"keyid": "1-1-1", "status": "Active", "modify_location": "x"}, "FIDO-ERR-0049"),
        ({"keyid": "1-1-1", "displayname": "k", "status": "Deleted", "modify_location": "x"}, "FIDO-ERR-0069"),
        ({"keyid": "1-1-1", "displayname": "k", "status": "Active"}, "FIDO-ERR-0070"),
    ],
)
def test_updatekeyinfo_errors(skfs, payload, vendor):
    assert refusal(skfs, skfs.call("updatekeyinfo", payload))[0] == vendor


# --- envelopes and transport ------------------------------------------------------------------------------------


def test_error_envelopes(make_skfs):
    legacy, current = make_skfs("4.16"), make_skfs("4.17")
    old = legacy.call("getkeysinfo", {})
    assert old.headers["content-type"].startswith("text/plain") and old.text.startswith("FIDO-ERR-0048: ")
    new = current.call("getkeysinfo", {})
    body = new.json()
    assert body["responseCode"] == "FIDO-ERR-0048" and body["response"].startswith("FIDO-ERR-0048: ") and body["txid"]


def test_media_type_json_and_size(make_skfs):
    skfs = make_skfs(max_body_bytes=4096)
    wrong_type = skfs.call("getkeysinfo", {"username": "u"}, headers={"Content-Type": "text/plain"})
    assert wrong_type.status_code == 415 and skfs.error(wrong_type)[0] == "FIDO-ERR-0020"
    not_json = skfs.call("getkeysinfo", body="{svcinfo")
    assert not_json.status_code == 400 and skfs.error(not_json) == ("FIDO-ERR-5011", RpCode.REQUEST_BODY_INVALID.value)
    too_large = skfs.call("getkeysinfo", {"username": "u" * 5000})
    assert too_large.status_code == 413 and skfs.error(too_large)[0] == "FIDO-ERR-0027"


def test_skfs_mounts_next_to_nevis(clock):
    config = RPConfig(flavours=("nevis-cloud", "skfs"), access_keys=("k",), skfs_service_accounts=ACCOUNTS)
    with asgi_client(create_app(config, clock=clock)) as client:
        assert client.get("/ping", headers={"Authorization": "Bearer k"}).text == "PONG"
        skfs = Skfs(client, "4.17", clock)
        assert skfs.call("ping").status_code == 200


OPERATIONS = ["preregister", "register", "getkeysinfo", "updatekeyinfo", "deregister", "ping"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=12,
)
payload_names = st.sampled_from(
    ["username", "displayname", "options", "extensions", "appTXID", "publicKeyCredential", "strongkeyMetadata",
     "keyid", "status", "modify_location"]
)  # fmt: skip


@pytest.fixture
def both_envelopes(make_skfs) -> tuple[Skfs, Skfs]:
    return make_skfs("4.16"), make_skfs("4.17")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    operation=st.sampled_from(OPERATIONS),
    payload=st.dictionaries(payload_names, json_values, max_size=5) | json_values,
    svcinfo=st.sampled_from(["good", "hmac"]) | json_values,
)
def test_no_input_gives_a_server_error(both_envelopes, operation, payload, svcinfo):
    skfs = both_envelopes[len(operation) % 2]
    info = skfs.svcinfo() if svcinfo == "good" else skfs.svcinfo("HMAC") if svcinfo == "hmac" else svcinfo
    response = skfs.call(operation, body=compact({"svcinfo": info, "payload": payload}))
    assert response.status_code < 500, response.text
