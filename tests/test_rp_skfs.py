"""The reference RP's StrongKey FIDO Server (SKFS) REST flavour in-process, in both response envelopes.

REST refusals are asserted by HTTP status and FIDO-ERR code, ceremony refusals also by fidoconf's code (the
`[fidoconf:<code>]` tag); every response body is validated against schemas/api/skfs. HMAC requests are signed
here independently of verifier.rp.skfs_auth, from the scheme in research/api_surface.md §3.0.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from contextlib import ExitStack
from email.utils import format_datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.authenticator.authenticator import make_credential
from verifier.encoding import b64url_decode
from verifier.errors import Code
from verifier.rp import RPConfig, create_app
from verifier.rp.testing import ManualClock, asgi_client, assert_valid

RP_ID, ORIGIN = "rp.example", "https://rp.example"
SVC = ("svcfidouser", "Abcd1234!")
MONITOR = ("svcmonitor", "Monitor-only-1")
HMAC_KEY, HMAC_SECRET = "ak-fidoconf", secrets.token_hex(32)
ACCOUNTS = ((*SVC, ("FIDO_REG", "FIDO", "FIDO_MONITOR")), (*MONITOR, ("FIDO_MONITOR",)))
TAG = re.compile(r"\[fidoconf:([a-z0-9_.]+)\]")


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Skfs:
    """The SKFS flavour over the ASGI app; checks every answer against its schema for the envelope in use."""

    def __init__(self, client: Any, envelope: str, clock: ManualClock) -> None:
        self.client, self.envelope, self.clock = client, envelope, clock

    def svcinfo(self, authtype: str = "PASSWORD", *, did: int = 1, account: tuple[str, str] = SVC) -> dict:
        info: dict[str, Any] = {"did": did, "protocol": "FIDO2_0", "authtype": authtype}
        if authtype == "PASSWORD":
            info.update(svcusername=account[0], svcpassword=account[1])
        return info

    def hmac_headers(self, path: str, payload_text: str | None, *, secret: str = HMAC_SECRET, key: str = HMAC_KEY):
        digest = base64.b64encode(hashlib.sha256(payload_text.encode()).digest()).decode() if payload_text else ""
        date = format_datetime(self.clock.now, usegmt=True)
        content_type = "application/json" if payload_text else ""
        text = "\n".join(("POST", digest, content_type, date, "SK3_0", path))
        signature = base64.b64encode(hmac.new(bytes.fromhex(secret), text.encode(), hashlib.sha256).digest()).decode()
        return {
            "Authorization": f"HMAC {key}:{signature}",
            "strongkey-content-sha256": digest,
            "Date": date,
            "strongkey-api-version": "SK3_0",
        }

    def call(
        self,
        operation: str,
        payload: dict | None = None,
        *,
        svcinfo: dict | None = None,
        authtype: str = "PASSWORD",
        did: int = 1,
        headers: dict | None = None,
        body: str | None = None,
    ):
        path = f"/skfs/rest/{operation}"
        svcinfo = svcinfo if svcinfo is not None else self.svcinfo(authtype, did=did)
        payload_text = compact(payload) if payload is not None else None
        if body is None:
            body = '{"svcinfo":' + compact(svcinfo) + (f',"payload":{payload_text}' if payload_text else "") + "}"
        sent = {"Content-Type": "application/json"}
        if authtype == "HMAC":
            sent.update(self.hmac_headers(path, payload_text))
        sent.update(headers or {})
        response = self.client.post(
            path, content=body.encode(), headers={k: v for k, v in sent.items() if v is not None}
        )
        self.check(operation, response)
        return response

    def check(self, operation: str, response) -> None:
        if response.status_code == 401:
            assert response.content == b"", "401 must have an empty body"
        elif response.status_code == 200 and operation == "ping":
            assert_valid("skfs", "ping-response", response.text)
        elif response.status_code == 200:
            assert_valid("skfs", f"{operation}-response-v{self.envelope}", response.json())
        elif self.envelope == "4.16":
            assert response.headers["content-type"].startswith("text/plain")
            assert_valid("skfs", "error-response-v4.16", response.text)
        else:
            assert_valid("skfs", "error-response-v4.17", response.json())

    def ok(self, operation: str, payload: dict | None = None, **kwargs) -> Any:
        response = self.call(operation, payload, **kwargs)
        assert response.status_code == 200, response.text
        body = response.json()
        return body["Response" if self.envelope == "4.16" else "response"], body

    # --- ceremony -------------------------------------------------------------------------------------------

    def preregister(self, username: str, **options: Any) -> dict:
        payload = {
            "username": username,
            "displayname": f"{username} key",
            "options": {"attestation": "direct", **options},
        }
        assert_valid("skfs", "preregister-request", {"svcinfo": self.svcinfo(), "payload": payload})
        return self.ok("preregister", payload)[0]

    def register_payload(self, username: str, credential: dict, *, origin: str = ORIGIN) -> dict:
        metadata = {"version": "1.0", "create_location": "Sunnyvale, CA", "username": username, "origin": origin}
        return {"publicKeyCredential": credential, "strongkeyMetadata": metadata}

    def register(self, username: str, credential: dict, **kwargs):
        return self.call("register", self.register_payload(username, credential), **kwargs)

    def keys(self, username: str, *, did: int = 1) -> list[dict]:
        return self.ok("getkeysinfo", {"username": username}, did=did)[0]["keys"]

    def error(self, response) -> tuple[str, str | None]:
        """(FIDO-ERR code, fidoconf code) of a refusal, in either envelope."""
        text = response.text if self.envelope == "4.16" else response.json()["response"]
        vendor = text.split(":", 1)[0] if self.envelope == "4.16" else response.json()["responseCode"]
        tag = TAG.search(text)
        return vendor, tag.group(1) if tag else None


def credential_for(options: dict, *, fmt: str = "none", seed: str | None = None, **kwargs) -> dict:
    challenge = b64url_decode(options["challenge"], field="challenge")
    return make_credential(
        rp_id=RP_ID, origin=ORIGIN, challenge=challenge, fmt=fmt, alg="ES256", seed=seed or secrets.token_hex(8),
        **kwargs,
    ).credential  # fmt: skip


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def make_skfs(clock):
    with ExitStack() as stack:

        def make(envelope: str = "4.17", **overrides: Any) -> Skfs:
            settings: dict[str, Any] = {
                "skfs_domains": ((1, 30), (2, 5)),
                "skfs_service_accounts": ACCOUNTS,
                "skfs_hmac_keys": ((HMAC_KEY, HMAC_SECRET),),
                "skfs_envelope": envelope,
                **overrides,
            }
            config = RPConfig(rp_id=RP_ID, origins=(ORIGIN,), issuer=ORIGIN + "/", flavours=("skfs",), **settings)
            return Skfs(stack.enter_context(asgi_client(create_app(config, clock=clock))), envelope, clock)

        yield make


@pytest.fixture(params=["4.16", "4.17"])
def skfs(request, make_skfs) -> Skfs:
    return make_skfs(request.param)


def user() -> str:
    return f"user_{secrets.token_hex(4)}"


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
    assert skfs.error(response) == (vendor, Code.REQUEST_BODY_INVALID.value)


def test_username_of_256_characters_is_accepted(skfs):
    assert skfs.preregister("u" * 256)["user"]["name"] == "u" * 256


# --- svcinfo and service credentials --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("svcinfo", "vendor"),
    [
        (None, "FIDO-ERR-0041"),
        ({"did": 0, "protocol": "FIDO2_0", "authtype": "HMAC"}, "FIDO-ERR-0042"),
        ({"did": "one", "protocol": "FIDO2_0", "authtype": "HMAC"}, "FIDO-ERR-0042"),
        ({"did": True, "protocol": "FIDO2_0", "authtype": "HMAC"}, "FIDO-ERR-0042"),
        ({"did": 3, "protocol": "FIDO2_0", "authtype": "HMAC"}, "FIDO-ERR-1501"),
        ({"did": 1, "protocol": "U2F_V2", "authtype": "HMAC"}, "FIDO-ERR-0043"),
        ({"did": 1, "protocol": "FIDO2_0", "authtype": "BASIC"}, "FIDO-ERR-0044"),
        ({"did": 1, "protocol": "FIDO2_0", "authtype": "PASSWORD", "svcpassword": "x"}, "FIDO-ERR-0045"),
        ({"did": 1, "protocol": "FIDO2_0", "authtype": "PASSWORD", "svcusername": "x"}, "FIDO-ERR-0046"),
    ],
)
def test_svcinfo_errors(skfs, svcinfo, vendor):
    body = compact({"payload": {"username": "u"}} | ({"svcinfo": svcinfo} if svcinfo is not None else {}))
    response = skfs.call("getkeysinfo", body=body)
    assert response.status_code == 400
    assert skfs.error(response)[0] == vendor


def test_missing_payload_is_0047_and_case_insensitive_svcinfo_is_accepted(skfs):
    response = skfs.call("getkeysinfo", body=compact({"svcinfo": skfs.svcinfo()}))
    assert response.status_code == 400 and skfs.error(response)[0] == "FIDO-ERR-0047"
    lower = {**skfs.svcinfo(), "did": "1", "protocol": "fido2_0", "authtype": "password"}
    assert skfs.call("getkeysinfo", {"username": "u"}, svcinfo=lower).status_code == 200


@pytest.mark.parametrize(
    ("operation", "account", "status"),
    [
        ("preregister", (SVC[0], "wrong"), 401),
        ("preregister", ("nobody", SVC[1]), 401),
        ("preregister", MONITOR, 401),  # holds FIDO_MONITOR, not FIDO_REG
        ("getkeysinfo", MONITOR, 401),
        ("ping", MONITOR, 200),
        ("ping", SVC, 200),
        ("getkeysinfo", SVC, 200),
    ],
)
def test_password_accounts_and_roles(skfs, operation, account, status):
    payload = {"username": "u", "displayname": "k", "options": {}} if operation != "ping" else None
    response = skfs.call(operation, payload, svcinfo=skfs.svcinfo(account=account))
    assert response.status_code == status, response.text


def test_hmac_signed_requests_are_accepted(skfs):
    name = user()
    assert (
        skfs.call("preregister", {"username": name, "displayname": "k", "options": {}}, authtype="HMAC").status_code
        == 200
    )
    ping = skfs.call("ping", authtype="HMAC")
    assert ping.status_code == 200 and "FIDO Server Domain 1 is alive!" in ping.text


def _reordered(payload: dict) -> str:
    return compact(dict(reversed(list(payload.items()))))


@pytest.mark.parametrize(
    "defect",
    ["wrong-secret", "unknown-key", "hash-mismatch", "no-authorization", "no-hash", "no-date", "no-api-version",
     "other-path", "stale-date", "future-date", "malformed-authorization", "date-garbage"],
)  # fmt: skip
def test_hmac_defects_are_401_with_an_empty_body(skfs, clock, defect):
    payload = {"username": user(), "displayname": "k", "options": {}}
    text = compact(payload)
    headers = skfs.hmac_headers("/skfs/rest/preregister", text)
    if defect == "wrong-secret":
        headers = skfs.hmac_headers("/skfs/rest/preregister", text, secret=secrets.token_hex(32))
    elif defect == "unknown-key":
        headers = skfs.hmac_headers("/skfs/rest/preregister", text, key="ak-unknown")
    elif defect == "hash-mismatch":
        headers["strongkey-content-sha256"] = base64.b64encode(hashlib.sha256(b"{}").digest()).decode()
    elif defect == "other-path":
        headers = skfs.hmac_headers("/skfs/rest/getkeysinfo", text)
    elif defect in ("stale-date", "future-date"):
        clock.advance(seconds=-301 if defect == "stale-date" else 301)
        headers = skfs.hmac_headers("/skfs/rest/preregister", text)
        clock.advance(seconds=301 if defect == "stale-date" else -301)
    elif defect == "malformed-authorization":
        headers["Authorization"] = headers["Authorization"].replace(":", " ")
    elif defect == "date-garbage":
        headers["Date"] = "yesterday"
    else:
        header = {"no-authorization": "Authorization", "no-hash": "strongkey-content-sha256", "no-date": "Date",
                  "no-api-version": "strongkey-api-version"}[defect]  # fmt: skip
        headers[header] = None
    response = skfs.call("preregister", payload, authtype="PASSWORD", svcinfo=skfs.svcinfo("HMAC"), headers=headers)
    assert response.status_code == 401 and response.content == b""


def test_hmac_hash_over_skfs_key_order_or_the_received_order(make_skfs):
    skfs = make_skfs()
    payload = {"options": {}, "displayname": "k", "username": user()}  # not SKFS's order
    for hashed in (compact({k: payload[k] for k in ("username", "displayname", "options")}), compact(payload)):
        headers = skfs.hmac_headers("/skfs/rest/preregister", hashed)
        response = skfs.call("preregister", payload, svcinfo=skfs.svcinfo("HMAC"), headers=headers)
        assert response.status_code == 200, hashed
    headers = skfs.hmac_headers("/skfs/rest/preregister", _reordered({"a": 1, **payload}))
    assert skfs.call("preregister", payload, svcinfo=skfs.svcinfo("HMAC"), headers=headers).status_code == 401


def test_signature_control_accepts_any_signature_of_a_known_key(make_skfs):
    skfs = make_skfs(skfs_hmac_signature_check=False)
    payload = {"username": user(), "displayname": "k", "options": {}}
    headers = skfs.hmac_headers("/skfs/rest/preregister", compact(payload), secret=secrets.token_hex(32))
    assert skfs.call("preregister", payload, svcinfo=skfs.svcinfo("HMAC"), headers=headers).status_code == 200
    headers = skfs.hmac_headers("/skfs/rest/preregister", compact(payload), key="ak-unknown")
    assert skfs.call("preregister", payload, svcinfo=skfs.svcinfo("HMAC"), headers=headers).status_code == 401


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


def _refusal(skfs: Skfs, response) -> tuple[str, str | None]:
    assert response.status_code == 400, response.text
    return skfs.error(response)


def test_register_binds_metadata_user_origin_and_challenge(skfs):
    alice, bob = user(), user()
    options = skfs.preregister(alice)
    skfs.preregister(bob)
    credential = credential_for(options)
    other_origin = skfs.call("register", skfs.register_payload(alice, credential, origin="https://evil.example"))
    assert _refusal(skfs, other_origin) == ("FIDO-ERR-2001", Code.REQUEST_BODY_INVALID.value)
    assert "Invalid Origin" in other_origin.text
    assert _refusal(skfs, skfs.register(bob, credential)) == ("FIDO-ERR-0037", Code.REQUEST_BODY_INVALID.value)
    nobody = skfs.register(user(), credential)
    assert _refusal(skfs, nobody) == ("FIDO-ERR-0006", Code.TRANSACTION_ID_UNKNOWN.value)
    # A challenge that was never issued: the user's pending session answers, and the verifier says why not.
    forged = credential_for({"challenge": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
    assert _refusal(skfs, skfs.register(alice, forged)) == ("FIDO-ERR-2001", Code.CLIENT_DATA_CHALLENGE_MISMATCH.value)
    # That refusal ended the session (single use), so alice's real credential now finds it spent.
    replay = skfs.register(alice, credential)
    assert _refusal(skfs, replay) == ("FIDO-ERR-0006", Code.TRANSACTION_STATUS_NOT_PENDING.value)


def test_a_registered_challenge_cannot_be_replayed(skfs):
    name = user()
    credential = credential_for(skfs.preregister(name))
    assert skfs.register(name, credential).status_code == 200
    replay = skfs.register(name, credential)
    assert _refusal(skfs, replay) == ("FIDO-ERR-0006", Code.TRANSACTION_STATUS_NOT_PENDING.value)


@pytest.mark.parametrize(
    ("edit", "vendor", "code"),
    [
        (lambda p: p.pop("publicKeyCredential"), "FIDO-ERR-0053", Code.REQUEST_BODY_INVALID),
        (lambda p: p.pop("strongkeyMetadata"), "FIDO-ERR-0052", Code.REQUEST_BODY_INVALID),
        (lambda p: p["strongkeyMetadata"].pop("version"), "FIDO-ERR-0054", Code.REQUEST_BODY_INVALID),
        (lambda p: p["strongkeyMetadata"].pop("create_location"), "FIDO-ERR-0055", Code.REQUEST_BODY_INVALID),
        (lambda p: p["strongkeyMetadata"].pop("username"), "FIDO-ERR-0048", Code.REQUEST_BODY_INVALID),
        (lambda p: p["strongkeyMetadata"].pop("origin"), "FIDO-ERR-0057", Code.REQUEST_BODY_INVALID),
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
    assert _refusal(skfs, skfs.call("register", payload)) == (vendor, code.value)


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
    assert _refusal(skfs, refused) == ("FIDO-ERR-2001", Code.TRANSACTION_TIMEOUT_EXPIRED.value)
    assert "Request timed out, please try again" in refused.text


def test_domains_keep_their_own_users_and_keys(skfs):
    name = user()
    assert skfs.register(name, credential_for(skfs.preregister(name))).status_code == 200
    [key] = skfs.keys(name)
    assert skfs.keys(name, did=2) == []
    foreign = skfs.call("deregister", {"keyid": key["keyid"]}, did=2)
    assert _refusal(skfs, foreign) == ("FIDO-ERR-0022", None)
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
    assert _refusal(skfs, skfs.call("updatekeyinfo", payload))[0] == vendor


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
    assert not_json.status_code == 400 and skfs.error(not_json) == ("FIDO-ERR-5011", Code.REQUEST_BODY_INVALID.value)
    too_large = skfs.call("getkeysinfo", {"username": "u" * 5000})
    assert too_large.status_code == 413 and skfs.error(too_large)[0] == "FIDO-ERR-0027"


def test_skfs_mounts_next_to_nevis(clock):
    config = RPConfig(flavours=("nevis-cloud", "skfs"), access_keys=("k",), skfs_service_accounts=ACCOUNTS)
    with asgi_client(create_app(config, clock=clock)) as client:
        assert client.get("/ping", headers={"Authorization": "Bearer k"}).text == "PONG"
        skfs = Skfs(client, "4.17", clock)
        assert skfs.call("ping").status_code == 200


@pytest.mark.parametrize(
    "settings",
    [
        {"skfs_envelope": "4.18"},
        {"skfs_domains": ()},
        {"skfs_domains": ((1, 30), (1, 5))},
        {"skfs_domains": ((1, 0),)},
        {"skfs_service_accounts": (("svc", "pw", ("ROOT",)),)},
        {"skfs_hmac_keys": (("ak", "not-hex"),)},
        {"skfs_hmac_keys": (("a:k", "00" * 32),)},
    ],
)
def test_bad_configuration_is_refused_when_the_app_is_built(settings):
    with pytest.raises(ValueError):
        create_app(RPConfig(flavours=("skfs",), **settings))


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
