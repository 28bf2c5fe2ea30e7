"""The SQLite side of the RP's store: the schema and its migration, how records become rows and back, and the
checks that run inside a write (caps on pending registrations, the user a ceremony planned)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .errors import RpCode
from .records import PENDING, Authenticator, StoreConflict, Transaction, User

#: The member of `Transaction.data` holding the user a ceremony will create when (and only when) it succeeds.
NEW_USER = "newUser"


@dataclass(frozen=True, slots=True)
class PendingLimits:
    """Caps on live (pending, unexpired) transactions, checked in the transaction that would add one."""

    per_user: int | None = None
    total: int | None = None


SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    user_id      TEXT PRIMARY KEY,
    realm        TEXT NOT NULL,
    username     TEXT,
    display_name TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (realm, username)
);
CREATE TABLE IF NOT EXISTS authenticators (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    authenticator_id TEXT NOT NULL UNIQUE,
    user_id          TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    credential_id    BLOB NOT NULL UNIQUE,
    public_key       BLOB NOT NULL,
    alg              INTEGER NOT NULL,
    sign_count       INTEGER NOT NULL,
    aaguid           BLOB NOT NULL,
    fmt              TEXT NOT NULL,
    attestation_type TEXT NOT NULL,
    trusted          INTEGER NOT NULL,
    name             TEXT NOT NULL,
    transports       TEXT NOT NULL,
    user_agent       TEXT,
    state            TEXT NOT NULL,
    data             TEXT NOT NULL,
    enrolled_at      TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS authenticators_user ON authenticators(user_id);
CREATE TABLE IF NOT EXISTS transactions (
    transaction_id   TEXT PRIMARY KEY,
    flavour          TEXT NOT NULL,
    channel          TEXT NOT NULL,
    -- No foreign key: a fido-server ceremony names the user it will create only on success (data.newUser).
    user_id          TEXT NOT NULL,
    challenge        BLOB NOT NULL UNIQUE,
    options          TEXT NOT NULL,
    status           TEXT NOT NULL,
    error_code       TEXT,
    error_message    TEXT,
    authenticator_id TEXT,
    data             TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    redeemed_at      TEXT
);
CREATE INDEX IF NOT EXISTS transactions_user ON transactions(user_id, status);
CREATE INDEX IF NOT EXISTS transactions_expiry ON transactions(status, expires_at);
CREATE INDEX IF NOT EXISTS transactions_planned_user ON transactions(json_extract(data, '$.newUser.username'));
CREATE TABLE IF NOT EXISTS consumed_tokens (
    jti         TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    consumed_at TEXT NOT NULL,
    expires_at  INTEGER
);
"""
SCHEMA_VERSION = 2
#: Version 1 → 2: transactions lose their foreign key to users (copied over, same columns).
MIGRATE_1_TO_2 = """
ALTER TABLE transactions RENAME TO transactions_v1;
{create}
INSERT INTO transactions SELECT * FROM transactions_v1;
DROP TABLE transactions_v1;
"""
TABLES = ("users", "authenticators", "transactions", "consumed_tokens")


def ts(value: datetime) -> str:
    # One zone and a fixed width, so that stored instants compare correctly as text (expiry queries).
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def check_pending_limits(conn: sqlite3.Connection, t: Transaction, limits: PendingLimits) -> None:
    live = "SELECT COUNT(*) FROM transactions WHERE status=? AND expires_at>?"
    now = ts(t.created_at)
    if limits.per_user is not None:
        (count,) = conn.execute(live + " AND user_id=?", (PENDING, now, t.user_id)).fetchone()
        if count >= limits.per_user:
            raise StoreConflict(
                RpCode.TRANSACTION_PENDING_LIMIT_REACHED, f"the user already has {count} registrations pending"
            )
    if limits.total is not None:
        (count,) = conn.execute(live, (PENDING, now)).fetchone()
        if count >= limits.total:
            raise StoreConflict(RpCode.TRANSACTION_PENDING_LIMIT_REACHED, f"{count} registrations are pending")


def create_planned_user(conn: sqlite3.Connection, user_id: str, planned: Any, *, now: datetime) -> None:
    """Create the user a ceremony planned (data.newUser), unless it exists: another ceremony created it."""
    if not isinstance(planned, dict) or conn.execute("SELECT 1 FROM users WHERE user_id=?", (user_id,)).fetchone():
        return
    user = User(user_id, planned["username"], now, now, realm=planned["realm"], display_name=planned.get("displayName"))
    try:
        insert_user(conn, user)
    except sqlite3.IntegrityError:
        raise StoreConflict(RpCode.TRANSACTION_STATUS_NOT_PENDING, "the username was registered meanwhile") from None


def insert_user(conn: sqlite3.Connection, u: User) -> None:
    conn.execute(
        "INSERT INTO users VALUES (?,?,?,?,?,?)",
        (u.user_id, u.realm, u.username, u.display_name, ts(u.created_at), ts(u.updated_at)),
    )


def user_of(row: sqlite3.Row) -> User:
    return User(
        user_id=row["user_id"],
        username=row["username"],
        created_at=dt(row["created_at"]),
        updated_at=dt(row["updated_at"]),
        realm=row["realm"],
        display_name=row["display_name"],
    )


def authenticator_of(row: sqlite3.Row) -> Authenticator:
    return Authenticator(
        authenticator_id=row["authenticator_id"],
        user_id=row["user_id"],
        credential_id=bytes(row["credential_id"]),
        public_key=bytes(row["public_key"]),
        alg=row["alg"],
        sign_count=row["sign_count"],
        aaguid=bytes(row["aaguid"]),
        fmt=row["fmt"],
        attestation_type=row["attestation_type"],
        trusted=bool(row["trusted"]),
        name=row["name"],
        enrolled_at=dt(row["enrolled_at"]),
        updated_at=dt(row["updated_at"]),
        transports=tuple(json.loads(row["transports"])),
        user_agent=row["user_agent"],
        state=row["state"],
        data=json.loads(row["data"]),
        seq=row["seq"],
    )


def transaction_of(row: sqlite3.Row) -> Transaction:
    return Transaction(
        transaction_id=row["transaction_id"],
        user_id=row["user_id"],
        challenge=bytes(row["challenge"]),
        options=json.loads(row["options"]),
        created_at=dt(row["created_at"]),
        expires_at=dt(row["expires_at"]),
        updated_at=dt(row["updated_at"]),
        flavour=row["flavour"],
        channel=row["channel"],
        status=row["status"],
        error_code=row["error_code"],
        error_message=row["error_message"],
        authenticator_id=row["authenticator_id"],
        redeemed_at=dt(row["redeemed_at"]),
        data=json.loads(row["data"]),
    )
