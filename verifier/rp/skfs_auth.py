"""SKFS service authentication: the `svcinfo` envelope, PASSWORD service accounts with roles, HMAC-signed requests.

Facts: docs/server_apis.md §3.0 (SKFS 4.7: `SKFSCommon.checkAndSetSvcInfo`, `authenticateRestRequestBean`,
skfsclient `RestFidoRegister` and `common`). A malformed `svcinfo` is a 400 with its FIDO-ERR code; every
credential failure (unknown account, wrong password, missing role, any HMAC defect) is a 401 with an empty body,
so a caller learns nothing about which part was wrong. The reason is only logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from ..errors import Code
from .errors import RpCode

PASSWORD, HMAC = "PASSWORD", "HMAC"
PROTOCOL = "FIDO2_0"
ROLES = frozenset({"FIDO_REG", "FIDO", "FIDO_ADMIN", "FIDO_MONITOR"})
#: Roles that may call each operation (SKFSServlet → authorizebean.execute(..., LDAP_ROLE_*)).
OPERATION_ROLES: dict[str, frozenset[str]] = {
    "preregister": frozenset({"FIDO_REG"}),
    "register": frozenset({"FIDO_REG"}),
    "getkeysinfo": frozenset({"FIDO", "FIDO_ADMIN"}),
    "updatekeyinfo": frozenset({"FIDO", "FIDO_ADMIN"}),
    "deregister": frozenset({"FIDO", "FIDO_ADMIN"}),
    "ping": frozenset({"FIDO_MONITOR", "FIDO_ADMIN"}),
}
#: The `strongkey-api-version` the skfsclient sends (Constants.API_VERSION).
API_VERSION = "SK3_0"
#: SKFS 4.7 never checks `Date` ("TODO Check if date is expired"); the reference refuses a signature older or
#: newer than this, so a captured request cannot be replayed for ever.
MAX_DATE_SKEW_S = 300
#: The server's parse of the header (authenticateRestRequestBean: `HMAC ([^:]+):(.*)`).
_AUTHORIZATION = re.compile(r"HMAC ([^:\s]+):(\S+)")
_DID = re.compile(r"[0-9]{1,9}")
#: The key order of SKFS's own re-serialisation of `payload` (skfsclient Payload.toJsonObject), over which the
#: server recomputes strongkey-content-sha256.
SKFS_PAYLOAD_ORDER = (
    "username", "oldusername", "newusername", "txid", "txpayload", "status", "modify_location", "displayname",
    "options", "extensions", "publicKeyCredential", "strongkeyMetadata", "keyid", "configurations", "usernames",
)  # fmt: skip


class SkfsError(Exception):
    """A refusal answered with HTTP `status`, a vendor code (FIDO-ERR-xxxx) and, when one applies, fidoconf's code."""

    def __init__(self, status: int, fido_code: str, message: str, *, code: Code | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.fido_code = fido_code
        self.message = message
        self.code = code


class Unauthorized(Exception):
    """Service credentials refused: 401 with an empty body. The message is for the log only."""


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    did: int
    authtype: str
    svcusername: str | None = None
    svcpassword: str | None = field(default=None, repr=False)


def _bad(fido_code: str, message: str) -> SkfsError:
    return SkfsError(400, fido_code, f"{fido_code}: {message}", code=RpCode.REQUEST_BODY_INVALID)


def parse_svcinfo(value: Any, *, domains: Iterable[int]) -> ServiceInfo:
    """svcinfo, validated in SKFS's order: did, protocol, authtype, then the PASSWORD credential's fields."""
    if not isinstance(value, dict):
        raise _bad("FIDO-ERR-0041", "Invalid svcinfo: missing or not a JSON object")
    did = value.get("did")
    # SKFS reads did as a Long: a JSON number or a numeric string, never a boolean or a fraction.
    text = str(did) if isinstance(did, int) and not isinstance(did, bool) else did
    if not isinstance(text, str) or not _DID.fullmatch(text) or int(text) < 1:
        raise _bad("FIDO-ERR-0042", "Invalid did: must be a positive integer")
    if int(text) not in set(domains):
        raise _bad("FIDO-ERR-1501", f"SKFS Domain does not exist: skfs did= {int(text)}")
    protocol = value.get("protocol")
    # checkAndSetSvcInfo compares protocol and authtype case-insensitively.
    if not isinstance(protocol, str) or protocol.upper() != PROTOCOL:
        raise _bad("FIDO-ERR-0043", f"Invalid protocol: only {PROTOCOL} is served")
    authtype = value.get("authtype")
    if not isinstance(authtype, str) or authtype.upper() not in (PASSWORD, HMAC):
        raise _bad("FIDO-ERR-0044", "Invalid authtype: must be PASSWORD or HMAC")
    if authtype.upper() == HMAC:
        return ServiceInfo(int(text), HMAC)
    username, password = value.get("svcusername"), value.get("svcpassword")
    if not isinstance(username, str) or not username:
        raise _bad("FIDO-ERR-0045", "Invalid svcusername: missing or empty")
    if not isinstance(password, str) or not password:
        raise _bad("FIDO-ERR-0046", "Invalid svcpassword: missing or empty")
    return ServiceInfo(int(text), PASSWORD, username, password)


# --- PASSWORD ---------------------------------------------------------------------------------------------


def check_password(
    svcinfo: ServiceInfo, *, accounts: Iterable[tuple[str, str, tuple[str, ...]]], operation: str
) -> None:
    """The service account exists, its password matches and it holds a role for `operation`."""
    name = (svcinfo.svcusername or "").encode("utf-8", "surrogateescape")
    secret = (svcinfo.svcpassword or "").encode("utf-8", "surrogateescape")
    granted: tuple[str, ...] | None = None
    # Every account is compared, so the time taken does not reveal which usernames exist.
    for username, password, roles in accounts:
        same_name = hmac.compare_digest(name, username.encode("utf-8"))
        same_password = hmac.compare_digest(secret, password.encode("utf-8"))
        if same_name and same_password:
            granted = roles
    if granted is None:
        raise Unauthorized("invalid service credentials (FIDO-ERR-0033)")
    if not set(granted) & OPERATION_ROLES[operation]:
        raise Unauthorized(f"service account {svcinfo.svcusername!r} holds no role for {operation}")


# --- HMAC -------------------------------------------------------------------------------------------------


def compact_json(value: Any) -> str:
    """JSON the way SKFS's Java serialisers write it: no whitespace, non-ASCII as is, '/' unescaped."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def payload_forms(payload: dict[str, Any]) -> tuple[str, ...]:
    """The serialisations of `payload` whose hash the reference accepts: as received, and in SKFS's key order
    (unknown members after the known ones, in received order), both compact."""
    ordered = {k: payload[k] for k in SKFS_PAYLOAD_ORDER if k in payload}
    ordered.update((k, v) for k, v in payload.items() if k not in ordered)
    return tuple(dict.fromkeys((compact_json(payload), compact_json(ordered))))


def content_sha256(text: str) -> str:
    """strongkey-content-sha256: base64 (standard alphabet, padded) of SHA-256 over the UTF-8 text."""
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def string_to_sign(
    *, method: str, content_hash: str, content_type: str, date: str, api_version: str, request_uri: str
) -> str:
    """authenticateRestRequestBean: METHOD, content hash, Content-Type, Date, API version, URI[?query], by '\\n'."""
    return "\n".join((method, content_hash, content_type, date, api_version, request_uri))


def hmac_signature(secret_hex: str, text: str) -> str:
    """base64(HMAC-SHA256(key = the hex-decoded secret key, data = the string to sign))."""
    return base64.b64encode(hmac.new(bytes.fromhex(secret_hex), text.encode("utf-8"), hashlib.sha256).digest()).decode(
        "ascii"
    )


class ReplayCache:
    """Signatures already accepted, each kept while its Date is still inside the window (so a captured request
    cannot be sent again), at most `max_entries` of them: when every slot holds a live signature a new one is
    refused rather than an old one forgotten. In memory: a restart forgets it (API.md)."""

    def __init__(self, *, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._until: OrderedDict[str, datetime] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._until)

    def remember(self, signature: str, *, sent: datetime, now: datetime) -> None:
        """Record `signature` (of a request dated `sent`), or raise Unauthorized when it was seen before."""
        with self._lock:
            self._forget_expired(now)
            if signature in self._until:
                raise Unauthorized("HMAC signature replayed: this request was already served")
            if len(self._until) >= self.max_entries:
                raise Unauthorized(f"replay cache full ({self.max_entries} live signatures)")
            self._until[signature] = sent + timedelta(seconds=MAX_DATE_SKEW_S)

    def _forget_expired(self, now: datetime) -> None:
        # Insertion order is nearly expiry order (Dates are within the window of arrival); scan until a live one.
        expired = [sig for sig, until in self._until.items() if until < now]
        for sig in expired:
            del self._until[sig]


def _request_date(value: str | None, *, now: datetime) -> datetime:
    if not value:
        raise Unauthorized("missing Date header")
    try:
        sent = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise Unauthorized("Date header does not parse") from None
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    if abs((now - sent).total_seconds()) > MAX_DATE_SKEW_S:
        raise Unauthorized(f"Date header is more than {MAX_DATE_SKEW_S} s away from the server clock")
    return sent


def check_hmac(
    *,
    headers: Mapping[str, str],
    method: str,
    request_uri: str,
    payload: dict[str, Any] | None,
    keys: Mapping[str, str],
    now: datetime,
    check_signature: bool = True,
    body: bytes = b"",
    accept_payload_hash: bool = False,
    replays: ReplayCache | None = None,
) -> str:
    """Verify an HMAC-authenticated request; returns the access key id. `payload` None means the request has
    none (ping): its content hash and Content-Type lines are then empty, as the server computes them.

    The content hash must be over the `body` as received (StrongKey's HMAC documentation: "the sha256 digest of
    the body"), so the signature also covers `svcinfo` and its `did`; with `accept_payload_hash` also over the
    payload alone (what SKFS 4.7's code computes), which leaves svcinfo unsigned. A signature is accepted once
    (`replays`)."""
    match = _AUTHORIZATION.fullmatch((headers.get("authorization") or "").strip())
    if match is None:
        raise Unauthorized("Authorization is not 'HMAC <access key>:<signature>'")
    access_key, signature = match.groups()
    secret = keys.get(access_key)
    if secret is None:
        raise Unauthorized("unknown HMAC access key")
    api_version = headers.get("strongkey-api-version")
    if not api_version:
        raise Unauthorized("missing strongkey-api-version header")
    date = headers.get("date")
    sent = _request_date(date, now=now)
    content_hash = content_type = ""
    if payload is not None:
        content_hash = headers.get("strongkey-content-sha256") or ""
        hashes = [base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")]
        if accept_payload_hash:
            hashes.extend(content_sha256(form) for form in payload_forms(payload))
        if not any(hmac.compare_digest(content_hash.encode("latin-1"), h.encode("ascii")) for h in hashes):
            raise Unauthorized("strongkey-content-sha256 does not match the body")
        content_type = headers.get("content-type") or ""
    expected = hmac_signature(
        secret,
        string_to_sign(
            method=method, content_hash=content_hash, content_type=content_type, date=date or "",
            api_version=api_version, request_uri=request_uri,
        ),
    )  # fmt: skip
    if check_signature and not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
        raise Unauthorized("HMAC signature does not verify")
    # A call without payload (ping) acts on nothing and two clients pinging in the same second sign the same text:
    # only calls that act on something are kept out of a second hearing.
    if replays is not None and payload is not None:
        replays.remember(f"{access_key}:{signature}", sent=sent, now=now)
    return access_key


def validate_settings(*, accounts: Iterable[tuple[str, str, tuple[str, ...]]], keys: Iterable[tuple[str, str]]) -> None:
    """Configuration errors surface when the app is built, not at the first request."""
    for username, password, roles in accounts:
        if not username or not password:
            raise ValueError("skfs service accounts need a non-empty username and password")
        unknown = set(roles) - ROLES
        if unknown:
            raise ValueError(f"skfs service account {username!r}: unknown role(s) {sorted(unknown)}")
    for access_key, secret in keys:
        if not access_key or ":" in access_key or any(c.isspace() for c in access_key):
            raise ValueError(f"skfs HMAC access key id {access_key!r} must be non-empty, without ':' or spaces")
        try:
            if len(bytes.fromhex(secret)) < 16:
                raise ValueError
        except ValueError:
            raise ValueError(f"skfs HMAC key {access_key!r}: the secret must be at least 16 bytes of hex") from None
