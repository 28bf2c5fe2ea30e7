"""StrongKey FIDO Server (SKFS) REST: preregister → register (RP backend to server), keys via getkeysinfo,
updatekeyinfo and deregister; every call `{svcinfo, payload}`, authenticated by PASSWORD or HMAC.

Facts: seed 001 and docs/server_apis.md §3; the reference RP's choices are in verifier/rp/API.md.
The HMAC scheme is implemented here from those notes, independently of the reference RP's, so the two check each
other. Settings come from the config file's `[skfs]` table (SuiteConfig.extra["skfs"]), see `SkfsSettings`.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass, field, fields
from email.utils import format_datetime
from typing import Any

import httpx

from ..config import ConfigError, SuiteConfig
from ..schemas import SchemaViolation, errors_of
from . import Ceremony, Profile, ProfileError, Submission

BASE = "/skfs/rest"
#: SKFS re-serialises `payload` in this key order before hashing it (skfsclient Payload.toJsonObject); sending it
#: in that order, compact, makes the hash the client computes the one the server recomputes.
PAYLOAD_ORDER = (
    "username", "oldusername", "newusername", "txid", "txpayload", "status", "modify_location", "displayname",
    "options", "extensions", "publicKeyCredential", "strongkeyMetadata", "keyid", "configurations", "usernames",
)  # fmt: skip
#: The reference RP closes a refusal's message with fidoconf's code: `... [fidoconf:client_data.challenge.mismatch]`.
FIDOCONF_TAG = re.compile(r"\[fidoconf:([a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+)\]")
VENDOR_CODE = re.compile(r"\b([A-Z]+(?:-[A-Z]+)?-(?:ERR|MSG)-[0-9]{4})\b")
ENVELOPES = ("4.16", "4.17")
#: Roles of the reference's service accounts (in-process and in the self-test's `fidoconf serve`).
FULL_ROLES = ("FIDO_REG", "FIDO", "FIDO_MONITOR")
MONITOR_ROLES = ("FIDO_MONITOR",)


@dataclass(frozen=True)
class SkfsSettings:
    """The `[skfs]` table of a target's config file."""

    did: int = 1
    authtype: str = "PASSWORD"
    svcusername: str | None = None
    svcpassword: str | None = field(default=None, repr=False)
    hmac_access_key: str | None = None
    hmac_secret: str | None = field(default=None, repr=False)
    #: "4.16" (Response/TXID, plain-text errors) or "4.17" (response/txid, JSON errors).
    envelope: str = "4.17"
    #: A second PASSWORD account that lacks FIDO_REG, for the role case (skipped without one).
    limited_svcusername: str | None = None
    limited_svcpassword: str | None = field(default=None, repr=False)
    #: The domain whose challenge window the timeout case waits out (default `did`), and that window.
    timeout_did: int | None = None
    challenge_window_s: float = 30
    #: SKFS removes expired sessions in a sweep every 5 s: the timeout case waits window + sweep + 1 s.
    sweep_s: float = 5
    create_location: str = "fidoconf conformance suite"
    api_version: str = "SK3_0"
    #: What strongkey-content-sha256 hashes: "body" (the whole request body, svcinfo included, as StrongKey's HMAC
    #: documentation says, and the reference RP requires) or "payload" (the payload alone, as SKFS 4.7's code does).
    hmac_content: str = "body"

    def __post_init__(self) -> None:
        if self.authtype not in ("PASSWORD", "HMAC"):
            raise ConfigError(f"skfs.authtype must be PASSWORD or HMAC, not {self.authtype!r}")
        if self.hmac_content not in ("body", "payload"):
            raise ConfigError(f"skfs.hmac_content must be body or payload, not {self.hmac_content!r}")
        if self.envelope not in ENVELOPES:
            raise ConfigError(f"skfs.envelope must be one of {ENVELOPES}, not {self.envelope!r}")
        if self.authtype == "HMAC" and not self.has_hmac:
            raise ConfigError("skfs.authtype HMAC needs skfs.hmac_access_key and skfs.hmac_secret (hex)")
        if self.authtype == "PASSWORD" and not (self.svcusername and self.svcpassword):
            raise ConfigError("skfs.authtype PASSWORD needs skfs.svcusername and skfs.svcpassword")

    @property
    def has_hmac(self) -> bool:
        return bool(self.hmac_access_key and self.hmac_secret)

    @property
    def window_did(self) -> int:
        return self.timeout_did if self.timeout_did is not None else self.did

    @classmethod
    def from_config(cls, config: SuiteConfig) -> SkfsSettings:
        given = dict(config.extra.get("skfs") or {})
        known = sorted(f.name for f in fields(cls))
        for key in sorted(set(given) - set(known)):
            near = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else f"; known: {', '.join(known)}"
            raise ConfigError(f"unknown [skfs] setting {key!r}{hint}")
        base = reference_settings(config.access_key or "") if config.inprocess else {}
        return cls(**{**base, **given})


def reference_settings(access_key: str) -> dict[str, Any]:
    """What the in-process reference RP is set up with: secrets derived from the run's access key, a second
    domain (2) with a 2 s challenge window so the timeout case runs in seconds, and no sweep delay."""

    def derive(label: str) -> str:
        return hashlib.sha256(f"fidoconf-skfs-{label}:{access_key}".encode()).hexdigest()

    return {
        "svcusername": "svcfidouser",
        "svcpassword": derive("password")[:32],
        "hmac_access_key": "fidoconf-suite",
        "hmac_secret": derive("hmac"),
        "limited_svcusername": "svcmonitor",
        "limited_svcpassword": derive("monitor")[:32],
        "timeout_did": 2,
        "challenge_window_s": 2,
        "sweep_s": 0,
    }


def reference_rp_settings(config: SuiteConfig) -> dict[str, Any]:
    """RPConfig settings that make the in-process reference RP accept exactly `SkfsSettings.from_config(config)`."""
    s = SkfsSettings.from_config(config)
    domains = {s.did: 30, s.window_did: max(1, round(s.challenge_window_s))}
    accounts: list[tuple[str, str, tuple[str, ...]]] = []
    if s.svcusername and s.svcpassword:
        accounts.append((s.svcusername, s.svcpassword, FULL_ROLES))
    if s.limited_svcusername and s.limited_svcpassword:
        accounts.append((s.limited_svcusername, s.limited_svcpassword, MONITOR_ROLES))
    return {
        "skfs_domains": tuple(domains.items()),
        "skfs_service_accounts": tuple(accounts),
        "skfs_hmac_keys": ((s.hmac_access_key, s.hmac_secret),) if s.has_hmac else (),
        "skfs_envelope": s.envelope,
        "skfs_hmac_payload_hash": s.hmac_content == "payload",
    }


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def body_text(svcinfo: dict[str, Any], payload_text: str | None) -> str:
    return '{"svcinfo":' + compact(svcinfo) + (f',"payload":{payload_text}' if payload_text else "") + "}"


def ordered_payload(payload: dict[str, Any]) -> str:
    ordered = {k: payload[k] for k in PAYLOAD_ORDER if k in payload}
    ordered.update((k, v) for k, v in payload.items() if k not in ordered)
    return compact(ordered)


@dataclass(frozen=True)
class Refusal:
    """What an SKFS error says: HTTP status, the vendor code (FIDO-ERR-xxxx) and fidoconf's code, when given."""

    status: int
    vendor_code: str | None
    code: str | None
    message: str


class SkfsProfile(Profile):
    name = "skfs"
    schema_dir = "skfs"
    #: How this flavour's reference RP names its refusal reasons (conformance/reasons.py):
    #: the SKFS message ends in a [fidoconf:<code>] tag.
    reference_reasons = {r"\[fidoconf:([a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+)\]": r"\1"}

    def __init__(self, config: SuiteConfig, target: Any) -> None:
        super().__init__(config, target)
        self.settings = SkfsSettings.from_config(config)

    # --- the wire ------------------------------------------------------------------------------------------

    def svcinfo(self, *, authtype: str | None = None, did: int | None = None, account: tuple | None = None) -> dict:
        authtype = authtype or self.settings.authtype
        info: dict[str, Any] = {"did": self.settings.did if did is None else did, "protocol": "FIDO2_0",
                                "authtype": authtype}  # fmt: skip
        if authtype == "PASSWORD":
            username, password = account or (self.settings.svcusername, self.settings.svcpassword)
            info.update(svcusername=username, svcpassword=password)
        return info

    def hmac_headers(
        self,
        path: str,
        payload_text: str | None,
        *,
        key: str | None = None,
        secret: str | None = None,
        date: str | None = None,
        fresh: bool = False,
    ) -> dict[str, str]:
        """`Authorization: HMAC key:sig` over METHOD, content hash, Content-Type, Date, API version and the path,
        joined by newlines; for a call without payload (ping) the hash and Content-Type lines are empty.
        `payload_text` is the text hashed (`hashed_text`). With `fresh`, a signature identical to the previous one
        (same request within the same second of Date) waits for the next second: a server keeping a replay cache
        would refuse it."""
        digest = base64.b64encode(hashlib.sha256(payload_text.encode()).digest()).decode() if payload_text else ""
        if fresh and date is None:
            date = self._fresh_date((path, digest))
        date = date or format_datetime(_utc_now(), usegmt=True)
        content_type = "application/json" if payload_text else ""
        text = "\n".join(("POST", digest, content_type, date, self.settings.api_version, path))
        secret_hex = secret or self.settings.hmac_secret or ""
        mac = hmac.new(bytes.fromhex(secret_hex), text.encode(), hashlib.sha256).digest()
        return {
            "Authorization": f"HMAC {key or self.settings.hmac_access_key}:{base64.b64encode(mac).decode()}",
            "strongkey-content-sha256": digest,
            "Date": date,
            "strongkey-api-version": self.settings.api_version,
        }

    def hashed_text(self, body: str, payload_text: str | None) -> str | None:
        """What strongkey-content-sha256 covers ([skfs] hmac_content): the body, or the payload; None without one."""
        if payload_text is None:
            return None
        return body if self.settings.hmac_content == "body" else payload_text

    def _fresh_date(self, request: tuple[str, str]) -> str:
        """A Date under which this request was not signed yet (any earlier request of this second counts)."""
        date = format_datetime(_utc_now(), usegmt=True)
        second, signed = getattr(self, "_signed", (None, set()))
        if second != date:
            signed = set()
        if request in signed:
            time.sleep(1.0 - _utc_now().microsecond / 1_000_000 + 0.01)
            date, signed = format_datetime(_utc_now(), usegmt=True), set()
        signed.add(request)
        self._signed = (date, signed)
        return date

    def call(
        self,
        operation: str,
        payload: dict[str, Any] | None = None,
        *,
        svcinfo: dict[str, Any] | None = None,
        headers: dict[str, str | None] | None = None,
        sign: bool = True,
        body: str | None = None,
        check: bool = True,
    ) -> httpx.Response:
        """POST one operation; signed when svcinfo says HMAC (and `sign`); `headers` override (None drops one)."""
        path = f"{BASE}/{operation}"
        svcinfo = svcinfo if svcinfo is not None else self.svcinfo()
        payload_text = ordered_payload(payload) if payload is not None else None
        if body is None:
            body = body_text(svcinfo, payload_text)
        sent: dict[str, str | None] = {"Content-Type": "application/json"}
        if sign and svcinfo.get("authtype") == "HMAC":
            sent.update(self.hmac_headers(path, self.hashed_text(body, payload_text), fresh=True))
        sent.update(headers or {})
        response = self.target.request(
            "POST", path, content=body.encode(), headers={k: v for k, v in sent.items() if v is not None}
        )
        if check:
            self.check(operation, response)
        return response

    def check(self, operation: str, response: httpx.Response) -> None:
        """Every answer against schemas/api/skfs: a 200 against its operation's schema for the configured
        envelope, an error against that envelope's error body. 401 bodies are the auth cases' business."""
        if response.status_code == 401:
            return
        if response.status_code == 200:
            name = "ping-response" if operation == "ping" else f"{operation}-response-v{self.settings.envelope}"
        else:
            name = f"error-response-v{self.settings.envelope}"
        value = _body(response) if name != "ping-response" else response.text
        problems = errors_of("skfs", name, value)
        if self.target.exchanges:
            self.target.exchanges[-1].schema_errors.extend(f"{name}: {p}" for p in problems)
        if problems:
            raise SchemaViolation(
                f"POST {response.request.url.path} answered HTTP {response.status_code} with a body that violates "
                f"schemas/api/skfs/{name}.json: " + "; ".join(problems[:5])
            )

    def member(self, body: dict[str, Any], name: str) -> Any:
        """`response`/`txid` (4.17) or `Response`/`TXID` (4.16), per the configured envelope."""
        return body.get(name.capitalize() if name == "response" else name.upper()) if self.legacy else body.get(name)

    @property
    def legacy(self) -> bool:
        return self.settings.envelope == "4.16"

    def ok(self, operation: str, payload: dict[str, Any] | None = None, **kwargs: Any) -> tuple[Any, dict]:
        response = self.call(operation, payload, **kwargs)
        if response.status_code != 200:
            raise ProfileError(f"{operation} answered HTTP {response.status_code}: {response.text[:300]}")
        body = response.json()
        return self.member(body, "response"), body

    # --- the Profile interface ----------------------------------------------------------------------------

    def probe(self) -> httpx.Response:
        return self.call("ping", check=False)

    def preregister_payload(
        self,
        username: str,
        *,
        display_name: str | None = None,
        attestation: str | None = "direct",
        authenticator_selection: dict[str, Any] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if attestation is not None:
            options["attestation"] = attestation
        if authenticator_selection is not None:
            options["authenticatorSelection"] = authenticator_selection
        return {"username": username, "displayname": display_name or username, "options": options,
                "extensions": compact(extensions or {})}  # fmt: skip

    def start_registration(
        self,
        *,
        username: str | None = None,
        display_name: str | None = None,
        attestation: str | None = "direct",
        authenticator_selection: dict[str, Any] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> Ceremony:
        username = username or self.username()
        payload = self.preregister_payload(
            username, display_name=display_name, attestation=attestation,
            authenticator_selection=authenticator_selection, extensions=extensions,
        )  # fmt: skip
        options, body = self.ok("preregister", payload)
        if not isinstance(options, dict) or "challenge" not in options:
            raise ProfileError("preregister answered no creation options")
        challenge = self.challenge_of(options)
        return Ceremony(
            options=options,
            challenge=challenge.value,
            challenge_sent=challenge,
            rp_id=(options.get("rp") or {}).get("id") or self.config.rp_id,
            username=username,
            user_id=None,
            handle={"did": self.settings.did},
            raw=body,
        )

    def register_payload(self, ceremony: Ceremony, credential: dict[str, Any], **metadata: Any) -> dict[str, Any]:
        strongkey = {"version": "1.0", "create_location": self.settings.create_location,
                     "username": ceremony.username, "origin": self.config.origin, **metadata}  # fmt: skip
        return {"publicKeyCredential": credential, "strongkeyMetadata": strongkey}

    def finish_registration(self, ceremony: Ceremony, credential: dict[str, Any]) -> Submission:
        return self.submission(self.call("register", self.register_payload(ceremony, credential)))

    def submission(self, response: httpx.Response) -> Submission:
        body = _body(response)
        if response.status_code == 200 and isinstance(body, dict):
            accepted = body.get("responseCode") == "FIDO-MSG-0004"
            return Submission(accepted, None, str(self.member(body, "response")), 200, body)
        refusal = self.refusal(response)
        return Submission(False, refusal.code, refusal.message or f"HTTP {response.status_code}", response.status_code,
                          body)  # fmt: skip

    def refusal(self, response: httpx.Response) -> Refusal:
        body = _body(response)
        if isinstance(body, dict):
            message = str(body.get("response") or body.get("Response") or "")
            vendor = body.get("responseCode") if isinstance(body.get("responseCode"), str) else None
        else:
            message = body if isinstance(body, str) else ""
            vendor = None
        if vendor is None and (found := VENDOR_CODE.search(message)):
            vendor = found.group(1)
        tag = FIDOCONF_TAG.search(message)
        return Refusal(response.status_code, vendor, tag.group(1) if tag else None, message)

    def status(self, ceremony: Ceremony) -> str:
        """SKFS exposes no ceremony state (docs/server_apis.md §0): the register answer is the only result."""
        return "unknown"

    # --- key management -------------------------------------------------------------------------------------

    def keys(self, username: str) -> list[dict[str, Any]]:
        response, _ = self.ok("getkeysinfo", {"username": username})
        return list((response or {}).get("keys") or [])


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _utc_now():
    from datetime import UTC, datetime

    return datetime.now(UTC)
