"""Persistence of the reference RP: users, registered authenticators, ceremony transactions, one-time token ids.

`Store` is the interface the routers use (a PostgreSQL store can implement it later); `SqliteStore` is the
stdlib implementation: WAL, synchronous=FULL, and every state change is one `BEGIN IMMEDIATE` transaction, so a
registration the server acknowledged has been committed to disk before the answer leaves (kill -9 safe).
Each method is atomic on its own; the checks that must hold at commit time (still pending, credential id unused,
authenticator limit) run inside the same transaction as the write they guard.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from ..errors import Code
from .records import FAILED, PENDING, SUCCEEDED, Authenticator, StoreConflict, Transaction, User

__all__ = [
    "FAILED", "PENDING", "SUCCEEDED", "Authenticator", "SqliteStore", "Store", "StoreConflict", "Transaction", "User",
]  # fmt: skip


class Store(Protocol):
    def start_transaction(
        self, transaction: Transaction, *, new_user: User | None = None, consume_jti: tuple[str, str, int] | None = None
    ) -> None: ...
    def get_transaction(self, transaction_id: str) -> Transaction | None: ...
    def fail_transaction(self, transaction_id: str, *, code: str, message: str, now: datetime) -> bool: ...
    def redeem_transaction(
        self, transaction_id: str, *, jti: str, expires_at: int | None, now: datetime
    ) -> Transaction: ...
    def complete_registration(
        self, transaction_id: str, authenticator: Authenticator, *, limit: int | None, now: datetime
    ) -> Authenticator: ...
    def get_user(self, user_id: str) -> User | None: ...
    def find_user(self, realm: str, username: str) -> User | None: ...
    def delete_user(self, user_id: str) -> bool: ...
    def list_authenticators(self, user_id: str) -> list[Authenticator]: ...
    def get_authenticator(self, authenticator_id: str) -> Authenticator | None: ...
    def rename_authenticator(self, authenticator_id: str, name: str, *, now: datetime) -> Authenticator | None: ...
    def delete_authenticator(self, authenticator_id: str, *, now: datetime) -> bool: ...
    def find_pending_transaction(self, user_id: str, *, flavour: str) -> Transaction | None: ...
    def get_authenticator_by_seq(self, seq: int) -> Authenticator | None: ...
    def update_authenticator(
        self, authenticator_id: str, *, name: str | None = None, state: str | None = None,
        data: dict[str, Any] | None = None, now: datetime,
    ) -> Authenticator | None: ...
    def consume_jti(self, jti: str, kind: str, *, expires_at: int | None, now: datetime) -> bool: ...
    def jti_consumed(self, jti: str) -> bool: ...
    def close(self) -> None: ...


_SCHEMA = """
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
    user_id          TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
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
CREATE TABLE IF NOT EXISTS consumed_tokens (
    jti         TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    consumed_at TEXT NOT NULL,
    expires_at  INTEGER
);
"""
_SCHEMA_VERSION = 1
_TABLES = ("users", "authenticators", "transactions", "consumed_tokens")


def _ts(value: datetime) -> str:
    return value.isoformat()


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


class SqliteStore:
    """`Store` over one sqlite3 connection shared by uvicorn's threads behind a lock."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._lock = threading.RLock()
        # isolation_level=None: no implicit transactions; every write opens its own BEGIN IMMEDIATE.
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
        self._conn.row_factory = sqlite3.Row
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            # FULL: the WAL is fsynced at every commit, so an acknowledged registration survives even a power cut.
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.executescript(_SCHEMA)
            self._conn.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _one(self, sql: str, *params: Any) -> sqlite3.Row | None:
        with self._lock:
            return self._conn.execute(sql, params).fetchone()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def row_counts(self) -> dict[str, int]:
        """Rows per table: what the bounded-state guarantees (API.md, "Bounded state") are stated in."""
        with self._lock:
            return {
                table: self._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608 (fixed names)
                for table in _TABLES
            }

    # --- transactions -------------------------------------------------------------------------------------

    def start_transaction(
        self, transaction: Transaction, *, new_user: User | None = None, consume_jti: tuple[str, str, int] | None = None
    ) -> None:
        """Create the user (if new), the pending transaction and consume a one-time token, all or nothing."""
        with self._write() as conn:
            if consume_jti is not None and not self._consume(conn, *consume_jti, now=transaction.created_at):
                raise StoreConflict(Code.TOKEN_JTI_CONSUMED, "one-time token already used")
            if new_user is not None:
                try:
                    _insert_user(conn, new_user)
                except sqlite3.IntegrityError:
                    raise StoreConflict(Code.REQUEST_BODY_INVALID, "username taken concurrently") from None
            t = transaction
            conn.execute(
                "INSERT INTO transactions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    t.transaction_id, t.flavour, t.channel, t.user_id, t.challenge, json.dumps(t.options), t.status,
                    t.error_code, t.error_message, t.authenticator_id, json.dumps(t.data), _ts(t.created_at),
                    _ts(t.updated_at), _ts(t.expires_at), _ts(t.redeemed_at) if t.redeemed_at else None,
                ),
            )  # fmt: skip

    def get_transaction(self, transaction_id: str) -> Transaction | None:
        row = self._one("SELECT * FROM transactions WHERE transaction_id = ?", transaction_id)
        return _transaction(row) if row else None

    def fail_transaction(self, transaction_id: str, *, code: str, message: str, now: datetime) -> bool:
        """pending → failed; False when the transaction was not pending (someone else ended it first)."""
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE transactions SET status=?, error_code=?, error_message=?, updated_at=? "
                "WHERE transaction_id=? AND status=?",
                (FAILED, str(code), message, _ts(now), transaction_id, PENDING),
            )
            return cur.rowcount == 1

    def redeem_transaction(
        self, transaction_id: str, *, jti: str, expires_at: int | None, now: datetime
    ) -> Transaction:
        """Spend an app-channel dispatch token: once per token and once per pending transaction."""
        with self._write() as conn:
            if not self._consume(conn, jti, "dispatch", expires_at, now=now):
                raise StoreConflict(Code.TOKEN_JTI_CONSUMED, "the dispatch token was already redeemed")
            cur = conn.execute(
                "UPDATE transactions SET redeemed_at=?, updated_at=? "
                "WHERE transaction_id=? AND status=? AND redeemed_at IS NULL",
                (_ts(now), _ts(now), transaction_id, PENDING),
            )
            if cur.rowcount != 1:
                raise StoreConflict(Code.TRANSACTION_STATUS_NOT_PENDING, "the transaction cannot be redeemed")
            row = conn.execute("SELECT * FROM transactions WHERE transaction_id=?", (transaction_id,)).fetchone()
            return _transaction(row)

    def complete_registration(
        self, transaction_id: str, authenticator: Authenticator, *, limit: int | None, now: datetime
    ) -> Authenticator:
        """Store the verified credential and end the transaction `succeeded`, or raise StoreConflict."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT status, user_id FROM transactions WHERE transaction_id=?", (transaction_id,)
            ).fetchone()
            if row is None:
                raise StoreConflict(Code.TRANSACTION_ID_UNKNOWN, "transaction no longer exists")
            if row["status"] != PENDING:
                raise StoreConflict(Code.TRANSACTION_STATUS_NOT_PENDING, f"transaction is {row['status']}")
            taken = conn.execute(
                "SELECT 1 FROM authenticators WHERE credential_id=?", (authenticator.credential_id,)
            ).fetchone()
            if taken:
                raise StoreConflict(Code.CREDENTIAL_ID_ALREADY_REGISTERED, "credential id is already registered")
            if limit is not None:
                (count,) = conn.execute(
                    "SELECT COUNT(*) FROM authenticators WHERE user_id=?", (authenticator.user_id,)
                ).fetchone()
                if count >= limit:
                    raise StoreConflict(
                        Code.USER_AUTHENTICATORS_LIMIT_REACHED, f"user already has {count} of {limit} authenticators"
                    )
            a = authenticator
            cur = conn.execute(
                "INSERT INTO authenticators (authenticator_id, user_id, credential_id, public_key, alg, sign_count,"
                " aaguid, fmt, attestation_type, trusted, name, transports, user_agent, state, data, enrolled_at,"
                " updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    a.authenticator_id, a.user_id, a.credential_id, a.public_key, a.alg, a.sign_count, a.aaguid,
                    a.fmt, a.attestation_type, int(a.trusted), a.name, json.dumps(list(a.transports)), a.user_agent,
                    a.state, json.dumps(a.data), _ts(a.enrolled_at), _ts(a.updated_at),
                ),
            )  # fmt: skip
            conn.execute(
                "UPDATE transactions SET status=?, authenticator_id=?, updated_at=? WHERE transaction_id=?",
                (SUCCEEDED, a.authenticator_id, _ts(now), transaction_id),
            )
            conn.execute("UPDATE users SET updated_at=? WHERE user_id=?", (_ts(now), a.user_id))
            return replace(a, seq=cur.lastrowid)

    # --- users and authenticators -------------------------------------------------------------------------

    def get_user(self, user_id: str) -> User | None:
        row = self._one("SELECT * FROM users WHERE user_id=?", user_id)
        return _user(row) if row else None

    def find_user(self, realm: str, username: str) -> User | None:
        row = self._one("SELECT * FROM users WHERE realm=? AND username=?", realm, username)
        return _user(row) if row else None

    def delete_user(self, user_id: str) -> bool:
        with self._write() as conn:
            return conn.execute("DELETE FROM users WHERE user_id=?", (user_id,)).rowcount == 1

    def list_authenticators(self, user_id: str) -> list[Authenticator]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM authenticators WHERE user_id=? ORDER BY seq", (user_id,))
            return [_authenticator(r) for r in rows.fetchall()]

    def get_authenticator(self, authenticator_id: str) -> Authenticator | None:
        row = self._one("SELECT * FROM authenticators WHERE authenticator_id=?", authenticator_id)
        return _authenticator(row) if row else None

    def rename_authenticator(self, authenticator_id: str, name: str, *, now: datetime) -> Authenticator | None:
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE authenticators SET name=?, updated_at=? WHERE authenticator_id=?",
                (name, _ts(now), authenticator_id),
            )
            if cur.rowcount != 1:
                return None
            row = conn.execute("SELECT * FROM authenticators WHERE authenticator_id=?", (authenticator_id,))
            return _authenticator(row.fetchone())

    def delete_authenticator(self, authenticator_id: str, *, now: datetime) -> bool:
        with self._write() as conn:
            row = conn.execute(
                "SELECT user_id FROM authenticators WHERE authenticator_id=?", (authenticator_id,)
            ).fetchone()
            if row is None:
                return False
            conn.execute("DELETE FROM authenticators WHERE authenticator_id=?", (authenticator_id,))
            conn.execute("UPDATE users SET updated_at=? WHERE user_id=?", (_ts(now), row["user_id"]))
            return True

    def find_pending_transaction(self, user_id: str, *, flavour: str) -> Transaction | None:
        """The user's newest pending transaction of `flavour` (SKFS binds a register call to the user, not a handle)."""
        row = self._one(
            "SELECT * FROM transactions WHERE user_id=? AND flavour=? AND status=? ORDER BY rowid DESC LIMIT 1",
            user_id, flavour, PENDING,
        )  # fmt: skip
        return _transaction(row) if row else None

    def get_authenticator_by_seq(self, seq: int) -> Authenticator | None:
        row = self._one("SELECT * FROM authenticators WHERE seq=?", seq)
        return _authenticator(row) if row else None

    def update_authenticator(
        self, authenticator_id: str, *, name: str | None = None, state: str | None = None,
        data: dict[str, Any] | None = None, now: datetime,
    ) -> Authenticator | None:
        """Change the given fields (None keeps a field as it is); None when there is no such authenticator."""
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE authenticators SET name=COALESCE(?, name), state=COALESCE(?, state), "
                "data=COALESCE(?, data), updated_at=? WHERE authenticator_id=?",
                (name, state, json.dumps(data) if data is not None else None, _ts(now), authenticator_id),
            )
            if cur.rowcount != 1:
                return None
            row = conn.execute("SELECT * FROM authenticators WHERE authenticator_id=?", (authenticator_id,))
            return _authenticator(row.fetchone())

    # --- one-time tokens ----------------------------------------------------------------------------------

    def consume_jti(self, jti: str, kind: str, *, expires_at: int | None, now: datetime) -> bool:
        """Record a one-time token as used; False when it already was."""
        with self._write() as conn:
            return self._consume(conn, jti, kind, expires_at, now=now)

    @staticmethod
    def _consume(conn: sqlite3.Connection, jti: str, kind: str, expires_at: int | None, *, now: datetime) -> bool:
        cur = conn.execute("INSERT OR IGNORE INTO consumed_tokens VALUES (?,?,?,?)", (jti, kind, _ts(now), expires_at))
        return cur.rowcount == 1

    def jti_consumed(self, jti: str) -> bool:
        return self._one("SELECT 1 FROM consumed_tokens WHERE jti=?", jti) is not None


def _insert_user(conn: sqlite3.Connection, u: User) -> None:
    conn.execute(
        "INSERT INTO users VALUES (?,?,?,?,?,?)",
        (u.user_id, u.realm, u.username, u.display_name, _ts(u.created_at), _ts(u.updated_at)),
    )


def _user(row: sqlite3.Row) -> User:
    return User(
        user_id=row["user_id"],
        username=row["username"],
        created_at=_dt(row["created_at"]),
        updated_at=_dt(row["updated_at"]),
        realm=row["realm"],
        display_name=row["display_name"],
    )


def _authenticator(row: sqlite3.Row) -> Authenticator:
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
        enrolled_at=_dt(row["enrolled_at"]),
        updated_at=_dt(row["updated_at"]),
        transports=tuple(json.loads(row["transports"])),
        user_agent=row["user_agent"],
        state=row["state"],
        data=json.loads(row["data"]),
        seq=row["seq"],
    )


def _transaction(row: sqlite3.Row) -> Transaction:
    return Transaction(
        transaction_id=row["transaction_id"],
        user_id=row["user_id"],
        challenge=bytes(row["challenge"]),
        options=json.loads(row["options"]),
        created_at=_dt(row["created_at"]),
        expires_at=_dt(row["expires_at"]),
        updated_at=_dt(row["updated_at"]),
        flavour=row["flavour"],
        channel=row["channel"],
        status=row["status"],
        error_code=row["error_code"],
        error_message=row["error_message"],
        authenticator_id=row["authenticator_id"],
        redeemed_at=_dt(row["redeemed_at"]),
        data=json.loads(row["data"]),
    )
