"""The records the reference RP keeps: users, registered authenticators, ceremony transactions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import Code

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"


@dataclass(frozen=True, slots=True)
class User:
    user_id: str
    username: str | None
    created_at: datetime
    updated_at: datetime
    #: Namespace of usernames: one per flavour (or per SKFS domain), so flavours never see each other's users.
    realm: str = "nevis-cloud"
    display_name: str | None = None


@dataclass(frozen=True, slots=True)
class Authenticator:
    authenticator_id: str
    user_id: str
    credential_id: bytes
    #: The COSE_Key bytes exactly as registered.
    public_key: bytes
    alg: int
    sign_count: int
    aaguid: bytes
    fmt: str
    attestation_type: str
    trusted: bool
    name: str
    enrolled_at: datetime
    updated_at: datetime
    transports: tuple[str, ...] = ()
    user_agent: str | None = None
    state: str = "active"
    #: Flavour-specific facts (flags, extension outputs, SKFS metadata, ...).
    data: dict[str, Any] = field(default_factory=dict)
    #: Monotonic registration counter assigned by the store (SKFS keyids are built from it).
    seq: int | None = None


@dataclass(frozen=True, slots=True)
class Transaction:
    transaction_id: str
    user_id: str
    challenge: bytes
    #: The creation options as sent (JSON), so verification checks against exactly what was offered.
    options: dict[str, Any]
    created_at: datetime
    expires_at: datetime
    updated_at: datetime
    flavour: str = "nevis-cloud"
    channel: str = "fido2"
    status: str = PENDING
    error_code: str | None = None
    error_message: str | None = None
    authenticator_id: str | None = None
    redeemed_at: datetime | None = None
    data: dict[str, Any] = field(default_factory=dict)


class StoreConflict(Exception):
    """A write refused because the state it depends on changed: carries the ceremony code to report."""

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
