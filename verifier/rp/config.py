"""Configuration of the reference relying party: one immutable value, built by `fidoconf serve` or by a test.

Secrets (the token-signing key and the generated access key) live in the data directory so a restarted server
keeps honouring the tokens and the access key it issued before; `load_or_create_secret` writes them once, 0600.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

#: Flavours the app knows how to mount; `verifier.rp.app` maps each name to its routes.
DEFAULT_FLAVOURS: tuple[str, ...] = ("nevis-cloud",)
#: RPConfig.durability -> the SQLite synchronous setting that gives it.
SQLITE_SYNCHRONOUS: dict[str, str] = {"process": "NORMAL", "full": "FULL"}
DURABILITY = tuple(SQLITE_SYNCHRONOUS)


@dataclass(frozen=True, slots=True)
class RPConfig:
    rp_id: str = "localhost"
    rp_name: str = "fidoconf reference RP"
    #: Origins accepted in clientDataJSON (#dom-collectedclientdata-origin).
    origins: tuple[str, ...] = ("http://localhost:8000",)
    #: Bearer keys accepted on the REST API; compared in constant time, never logged.
    access_keys: tuple[str, ...] = ()
    #: HS256 key for every JWT the RP issues (status, transaction, intent, dispatch, generated access key).
    token_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    #: `iss` of issued tokens and the base of appLinkUri; the URL the server is reached at.
    issuer: str = "http://localhost:8000/"
    data_dir: Path | None = None
    #: SQLite file; ":memory:" keeps everything in the process (tests).
    db_path: str = ":memory:"
    #: What a commit waits for. "process": the WAL is written before the answer leaves (synchronous=NORMAL), so an
    #: acknowledged registration survives the server process being killed, not a power cut; "full": every commit
    #: is also fsynced (synchronous=FULL, ~3 ms a commit on this machine's disk), so it survives a power cut too.
    durability: str = "process"
    flavours: tuple[str, ...] = DEFAULT_FLAVOURS
    #: PublicKeyCredentialCreationOptions.timeout, in ms; a pending transaction fails once it has passed.
    registration_timeout_ms: int = 120_000
    #: How long a status token stays usable after its transaction's deadline, so pollers can see `failed`.
    status_token_grace_s: int = 300
    transaction_token_ttl_s: int = 300
    intent_token_ttl_s: int = 120
    challenge_bytes: int = 32
    #: "Allowed Authenticators per User" (Nevis default 10); None means no limit.
    authenticator_limit: int | None = 10
    max_body_bytes: int = 256 * 1024
    #: Live (pending, unexpired) registrations one user may have at once; None means no cap.
    max_pending_per_user: int | None = 8
    #: Live registrations across all users; None means no cap. With the deadline this bounds the transactions table.
    max_pending_transactions: int | None = 10_000
    #: Seconds between sweeps of expired state while serving (one also runs at start-up); 0 disables the timer.
    sweep_interval_s: float = 60.0
    #: A `verifier.policy.PRESETS` name.
    policy: str = "strict"
    #: PEM files or directories of attestation trust anchors.
    trust_dirs: tuple[str, ...] = ()
    #: fido-server flavour: path prefix of its routes; "" for the FIDO conformance tool's API, "/nevisfido/fido2"
    #: for nevisFIDO's (API.md, "fido-server flavour").
    fido_server_prefix: str = ""
    #: skfs flavour (API.md, "skfs flavour"): this server's id, the first part of every keyid
    #: (`<server>-<domain>-<counter>`).
    skfs_server_id: int = 1
    #: skfs: the cryptographic domains (did) served, each with its challenge window in seconds (SKFS's
    #: user-session cutoff, 30 s by default).
    skfs_domains: tuple[tuple[int, int], ...] = ((1, 30),)
    #: skfs: PASSWORD service accounts as (svcusername, svcpassword, roles); roles are FIDO_REG, FIDO,
    #: FIDO_ADMIN, FIDO_MONITOR.
    skfs_service_accounts: tuple[tuple[str, str, tuple[str, ...]], ...] = field(default=(), repr=False)
    #: skfs: HMAC access keys as (access key id, secret key in hex).
    skfs_hmac_keys: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    #: skfs: "4.16" answers `Response`/`TXID` and plain-text errors, "4.17" `response`/`txid` and JSON errors.
    skfs_envelope: str = "4.17"
    #: skfs: False only in the negative control that accepts any HMAC signature made with a known access key.
    skfs_hmac_signature_check: bool = True
    #: skfs: also accept strongkey-content-sha256 over the payload alone (SKFS 4.7's code) besides the body (the
    #: public docs); svcinfo, its did included, is then not covered by the signature (API.md).
    skfs_hmac_payload_hash: bool = False

    def __post_init__(self) -> None:
        if not self.rp_id:
            raise ValueError("rp_id must not be empty")
        if not self.origins:
            raise ValueError("at least one origin is required")
        if len(self.token_key) < 32:
            raise ValueError("token_key must be at least 32 bytes (HS256)")
        if self.challenge_bytes < 16:
            # #sctn-cryptographic-challenges: "challenges SHOULD therefore be at least 16 bytes long".
            raise ValueError("challenge_bytes must be at least 16")
        for name in ("max_pending_per_user", "max_pending_transactions"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1 or None")
        if self.durability not in DURABILITY:
            raise ValueError(f"durability must be one of {sorted(DURABILITY)}")
        if self.sweep_interval_s < 0:
            raise ValueError("sweep_interval_s must not be negative")
        if self.authenticator_limit is not None and self.authenticator_limit < 1:
            raise ValueError("authenticator_limit must be at least 1 or None")
        if self.fido_server_prefix and (
            not self.fido_server_prefix.startswith("/") or self.fido_server_prefix.endswith("/")
        ):
            raise ValueError("fido_server_prefix must be empty or start with '/' and not end with '/'")

    @property
    def retention_s(self) -> int:
        """How long a transaction outlives its deadline: a status token's grace or a transaction token's life."""
        return max(self.status_token_grace_s, self.transaction_token_ttl_s)

    @property
    def base_url(self) -> str:
        return self.issuer if self.issuer.endswith("/") else self.issuer + "/"


def load_or_create_secret(path: Path, *, make: Callable[[], str]) -> tuple[str, bool]:
    """The secret stored at `path`, creating it with `make()` (mode 0600) if absent. Returns (value, created)."""
    try:
        return path.read_text(encoding="ascii").strip(), False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = make()
    # O_EXCL: two servers started at once on one data dir must not end up with different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip(), False
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return value, True
