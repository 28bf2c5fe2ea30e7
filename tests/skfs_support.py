"""The SKFS flavour of the reference RP as its tests drive it: an independent HMAC signer, schema checks of every
answer in the envelope in use, and the FIDO-ERR / fidoconf codes of a refusal (tests/test_rp_skfs*.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from contextlib import ExitStack
from email.utils import format_datetime
from typing import Any

from fidoconf.conformance.authenticator.authenticator import make_credential
from fidoconf.verifier.encoding import b64url_decode
from fidoconf.verifier.rp import RPConfig, create_app

from . import seeded
from .rp_support import ManualClock, asgi_client, assert_valid

RP_ID, ORIGIN = "rp.example", "https://rp.example"
SVC = ("svcfidouser", "Abcd1234!")
MONITOR = ("svcmonitor", "Monitor-only-1")
HMAC_KEY, HMAC_SECRET = "ak-fidoconf", seeded.token_hex(32)
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

    @staticmethod
    def body_text(svcinfo: dict, payload: dict | None) -> str:
        payload_text = compact(payload) if payload is not None else None
        return '{"svcinfo":' + compact(svcinfo) + (f',"payload":{payload_text}' if payload_text else "") + "}"

    def hmac_headers(self, path: str, payload_text: str | None, *, secret: str = HMAC_SECRET, key: str = HMAC_KEY):
        """Headers signing `payload_text`: the text whose hash is sent (the body, or a payload in SKFS 4.7's mode)."""
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
            body = self.body_text(svcinfo, payload)
        sent = {"Content-Type": "application/json"}
        if authtype == "HMAC":
            # The content hash covers the whole body (svcinfo included); a call without payload hashes nothing.
            sent.update(self.hmac_headers(path, body if payload_text else None))
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
        rp_id=RP_ID, origin=ORIGIN, challenge=challenge, fmt=fmt, alg="ES256", seed=seed or seeded.token_hex(8),
        **kwargs,
    ).credential  # fmt: skip


def user() -> str:
    return f"user_{seeded.token_hex(4)}"


def refusal(skfs: Skfs, response) -> tuple[str, str | None]:
    assert response.status_code == 400, response.text
    return skfs.error(response)


def open_skfs(stack: ExitStack, clock: ManualClock, envelope: str = "4.17", **overrides: Any) -> Skfs:
    """An in-process RP with two domains (1: 30 s window, 2: 5 s), two PASSWORD accounts and one HMAC key."""
    settings: dict[str, Any] = {
        "skfs_domains": ((1, 30), (2, 5)),
        "skfs_service_accounts": ACCOUNTS,
        "skfs_hmac_keys": ((HMAC_KEY, HMAC_SECRET),),
        "skfs_envelope": envelope,
        **overrides,
    }
    config = RPConfig(rp_id=RP_ID, origins=(ORIGIN,), issuer=ORIGIN + "/", flavours=("skfs",), **settings)
    return Skfs(stack.enter_context(asgi_client(create_app(config, clock=clock))), envelope, clock)
