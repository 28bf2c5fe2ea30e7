"""Persistence of the reference RP: users, registered authenticators, ceremony transactions, one-time token ids.

`Store` is the interface the routers use (a PostgreSQL store can implement it later); `SqliteStore` is the
stdlib implementation: WAL, and every state change is one `BEGIN IMMEDIATE` transaction, so a registration the
server acknowledged has been committed before the answer leaves: with synchronous=NORMAL it survives the process
being killed (kill -9), with synchronous=FULL also a power cut (`SqliteStore(synchronous=...)`).
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
from datetime import datetime, timedelta
from typing import Any, Protocol

from . import store_sql
from .errors import RpCode
from .records import FAILED, PENDING, SUCCEEDED, Authenticator, StoreConflict, Transaction, User
from .store_sql import (
    NEW_USER,
    SCHEMA,
    SCHEMA_VERSION,
    TABLES,
    PendingLimits,
    authenticator_of,
    check_pending_limits,
    create_planned_user,
    dt,
    insert_user,
    transaction_of,
    ts,
    user_of,
)

__all__ = [
    "FAILED", "NEW_USER", "PENDING", "SUCCEEDED", "Authenticator", "PendingLimits", "SqliteStore", "Store", "StoreConflict",
    "Transaction", "User",
]  # fmt: skip


class Store(Protocol):
    def start_transaction(
        self,
        transaction: Transaction,
        *,
        new_user: User | None = None,
        consume_jti: tuple[str, str, int] | None = None,
        limits: PendingLimits | None = None,
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
        self,
        authenticator_id: str,
        *,
        name: str | None = None,
        state: str | None = None,
        data: dict[str, Any] | None = None,
        now: datetime,
    ) -> Authenticator | None: ...
    def consume_jti(self, jti: str, kind: str, *, expires_at: int | None, now: datetime) -> bool: ...
    def jti_consumed(self, jti: str) -> bool: ...
    def find_planned_user(self, realm: str, username: str, *, now: datetime) -> User | None: ...
    def sweep(self, *, now: datetime, retention: timedelta) -> dict[str, int]: ...
    def row_counts(self) -> dict[str, int]: ...
    def close(self) -> None: ...


class SqliteStore:
    """`Store` over one sqlite3 connection shared by uvicorn's threads behind a lock."""

    def __init__(self, path: str = ":memory:", *, synchronous: str = "FULL") -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError("synchronous must be FULL or NORMAL")
        self.path = path
        self._lock = threading.RLock()
        # isolation_level=None: no implicit transactions; every write opens its own BEGIN IMMEDIATE.
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
        self._conn.row_factory = sqlite3.Row
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL still writes every commit to the WAL before COMMIT returns (the OS keeps it if the
            # process dies); FULL adds an fsync per commit so it also survives a power cut.
            self._conn.execute(f"PRAGMA synchronous={synchronous}")
            self._conn.execute("PRAGMA foreign_keys=ON")
            (version,) = self._conn.execute("PRAGMA user_version").fetchone()
            if version == 1:
                self._migrate_from_1()
            self._conn.executescript(SCHEMA)
            self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _migrate_from_1(self) -> None:
        create = SCHEMA.split("CREATE TABLE IF NOT EXISTS transactions", 1)[1].split(";", 1)[0]
        script = store_sql.MIGRATE_1_TO_2.format(create=f"CREATE TABLE transactions{create};")
        self._conn.execute("PRAGMA foreign_keys=OFF")
        self._conn.executescript(f"BEGIN IMMEDIATE; {script} PRAGMA user_version=2; COMMIT;")
        self._conn.execute("PRAGMA foreign_keys=ON")

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
                for table in TABLES
            }

    # --- transactions -------------------------------------------------------------------------------------

    def start_transaction(
        self,
        transaction: Transaction,
        *,
        new_user: User | None = None,
        consume_jti: tuple[str, str, int] | None = None,
        limits: PendingLimits | None = None,
    ) -> None:
        """Create the user (if new), the pending transaction and consume a one-time token, all or nothing; refused
        with `transaction.pending.limit_reached` when it would exceed `limits`."""
        with self._write() as conn:
            if limits is not None:
                check_pending_limits(conn, transaction, limits)
            if consume_jti is not None and not self._consume(conn, *consume_jti, now=transaction.created_at):
                raise StoreConflict(RpCode.TOKEN_JTI_CONSUMED, "one-time token already used")
            if new_user is not None:
                try:
                    insert_user(conn, new_user)
                except sqlite3.IntegrityError:
                    raise StoreConflict(RpCode.REQUEST_BODY_INVALID, "username taken concurrently") from None
            t = transaction
            conn.execute(
                "INSERT INTO transactions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    t.transaction_id, t.flavour, t.channel, t.user_id, t.challenge, json.dumps(t.options), t.status,
                    t.error_code, t.error_message, t.authenticator_id, json.dumps(t.data), ts(t.created_at),
                    ts(t.updated_at), ts(t.expires_at), ts(t.redeemed_at) if t.redeemed_at else None,
                ),
            )  # fmt: skip

    def get_transaction(self, transaction_id: str) -> Transaction | None:
        row = self._one("SELECT * FROM transactions WHERE transaction_id = ?", transaction_id)
        return transaction_of(row) if row else None

    def fail_transaction(self, transaction_id: str, *, code: str, message: str, now: datetime) -> bool:
        """pending → failed; False when the transaction was not pending (someone else ended it first)."""
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE transactions SET status=?, error_code=?, error_message=?, updated_at=? "
                "WHERE transaction_id=? AND status=?",
                (FAILED, str(code), message, ts(now), transaction_id, PENDING),
            )
            return cur.rowcount == 1

    def redeem_transaction(
        self, transaction_id: str, *, jti: str, expires_at: int | None, now: datetime
    ) -> Transaction:
        """Spend an app-channel dispatch token: once per token and once per pending transaction."""
        with self._write() as conn:
            if not self._consume(conn, jti, "dispatch", expires_at, now=now):
                raise StoreConflict(RpCode.TOKEN_JTI_CONSUMED, "the dispatch token was already redeemed")
            cur = conn.execute(
                "UPDATE transactions SET redeemed_at=?, updated_at=? "
                "WHERE transaction_id=? AND status=? AND redeemed_at IS NULL",
                (ts(now), ts(now), transaction_id, PENDING),
            )
            if cur.rowcount != 1:
                raise StoreConflict(RpCode.TRANSACTION_STATUS_NOT_PENDING, "the transaction cannot be redeemed")
            row = conn.execute("SELECT * FROM transactions WHERE transaction_id=?", (transaction_id,)).fetchone()
            return transaction_of(row)

    def complete_registration(
        self, transaction_id: str, authenticator: Authenticator, *, limit: int | None, now: datetime
    ) -> Authenticator:
        """Store the verified credential and end the transaction `succeeded`, or raise StoreConflict."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT status, user_id, data FROM transactions WHERE transaction_id=?", (transaction_id,)
            ).fetchone()
            if row is None:
                raise StoreConflict(RpCode.TRANSACTION_ID_UNKNOWN, "transaction no longer exists")
            if row["status"] != PENDING:
                raise StoreConflict(RpCode.TRANSACTION_STATUS_NOT_PENDING, f"transaction is {row['status']}")
            create_planned_user(conn, row["user_id"], json.loads(row["data"]).get(NEW_USER), now=now)
            taken = conn.execute(
                "SELECT 1 FROM authenticators WHERE credential_id=?", (authenticator.credential_id,)
            ).fetchone()
            if taken:
                raise StoreConflict(RpCode.CREDENTIAL_ID_ALREADY_REGISTERED, "credential id is already registered")
            if limit is not None:
                (count,) = conn.execute(
                    "SELECT COUNT(*) FROM authenticators WHERE user_id=?", (authenticator.user_id,)
                ).fetchone()
                if count >= limit:
                    raise StoreConflict(
                        RpCode.USER_AUTHENTICATORS_LIMIT_REACHED, f"user already has {count} of {limit} authenticators"
                    )
            a = authenticator
            cur = conn.execute(
                "INSERT INTO authenticators (authenticator_id, user_id, credential_id, public_key, alg, sign_count,"
                " aaguid, fmt, attestation_type, trusted, name, transports, user_agent, state, data, enrolled_at,"
                " updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    a.authenticator_id, a.user_id, a.credential_id, a.public_key, a.alg, a.sign_count, a.aaguid,
                    a.fmt, a.attestation_type, int(a.trusted), a.name, json.dumps(list(a.transports)), a.user_agent,
                    a.state, json.dumps(a.data), ts(a.enrolled_at), ts(a.updated_at),
                ),
            )  # fmt: skip
            conn.execute(
                "UPDATE transactions SET status=?, authenticator_id=?, updated_at=? WHERE transaction_id=?",
                (SUCCEEDED, a.authenticator_id, ts(now), transaction_id),
            )
            conn.execute("UPDATE users SET updated_at=? WHERE user_id=?", (ts(now), a.user_id))
            return replace(a, seq=cur.lastrowid)

    # --- users and authenticators -------------------------------------------------------------------------

    def get_user(self, user_id: str) -> User | None:
        row = self._one("SELECT * FROM users WHERE user_id=?", user_id)
        return user_of(row) if row else None

    def find_user(self, realm: str, username: str) -> User | None:
        row = self._one("SELECT * FROM users WHERE realm=? AND username=?", realm, username)
        return user_of(row) if row else None

    def delete_user(self, user_id: str) -> bool:
        with self._write() as conn:
            conn.execute("DELETE FROM transactions WHERE user_id=?", (user_id,))
            return conn.execute("DELETE FROM users WHERE user_id=?", (user_id,)).rowcount == 1

    def find_planned_user(self, realm: str, username: str, *, now: datetime) -> User | None:
        """The user a live ceremony will create for `username` (so concurrent ceremonies share one user handle)."""
        row = self._one(
            "SELECT user_id, data, created_at FROM transactions INDEXED BY transactions_planned_user "
            "WHERE json_extract(data, '$.newUser.username')=? "
            "AND json_extract(data, '$.newUser.realm')=? AND status=? AND expires_at>? ORDER BY rowid LIMIT 1",
            username, realm, PENDING, ts(now),
        )  # fmt: skip
        if row is None:
            return None
        planned = json.loads(row["data"])[NEW_USER]
        created = dt(row["created_at"])
        return User(row["user_id"], username, created, created, realm=realm, display_name=planned.get("displayName"))

    # --- bounded state ------------------------------------------------------------------------------------

    def sweep(self, *, now: datetime, retention: timedelta) -> dict[str, int]:
        """Forget what no request can use any more; returns the rows deleted per table.

        - transactions whose deadline passed more than `retention` ago (status polls and transaction tokens
          outlive the deadline by at most that);
        - consumed one-time token ids whose token has expired (an expired token is refused before its id is
          looked up);
        - users with no authenticator and no transaction left, last changed more than `retention` ago."""
        horizon = ts(now - retention)
        with self._write() as conn:
            transactions = conn.execute("DELETE FROM transactions WHERE expires_at<?", (horizon,)).rowcount
            tokens = conn.execute(
                "DELETE FROM consumed_tokens WHERE expires_at IS NOT NULL AND expires_at<?", (int(now.timestamp()),)
            ).rowcount
            users = conn.execute(
                "DELETE FROM users WHERE updated_at<? "
                "AND NOT EXISTS (SELECT 1 FROM authenticators a WHERE a.user_id=users.user_id) "
                "AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.user_id=users.user_id)",
                (horizon,),
            ).rowcount
        if transactions or tokens or users:
            with self._lock:
                # Give the WAL's pages back after a large delete; the main file's free pages are reused.
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return {"transactions": transactions, "consumed_tokens": tokens, "users": users}

    def list_authenticators(self, user_id: str) -> list[Authenticator]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM authenticators WHERE user_id=? ORDER BY seq", (user_id,))
            return [authenticator_of(r) for r in rows.fetchall()]

    def get_authenticator(self, authenticator_id: str) -> Authenticator | None:
        row = self._one("SELECT * FROM authenticators WHERE authenticator_id=?", authenticator_id)
        return authenticator_of(row) if row else None

    def rename_authenticator(self, authenticator_id: str, name: str, *, now: datetime) -> Authenticator | None:
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE authenticators SET name=?, updated_at=? WHERE authenticator_id=?",
                (name, ts(now), authenticator_id),
            )
            if cur.rowcount != 1:
                return None
            row = conn.execute("SELECT * FROM authenticators WHERE authenticator_id=?", (authenticator_id,))
            return authenticator_of(row.fetchone())

    def delete_authenticator(self, authenticator_id: str, *, now: datetime) -> bool:
        with self._write() as conn:
            row = conn.execute(
                "SELECT user_id FROM authenticators WHERE authenticator_id=?", (authenticator_id,)
            ).fetchone()
            if row is None:
                return False
            conn.execute("DELETE FROM authenticators WHERE authenticator_id=?", (authenticator_id,))
            conn.execute("UPDATE users SET updated_at=? WHERE user_id=?", (ts(now), row["user_id"]))
            return True

    def find_pending_transaction(self, user_id: str, *, flavour: str) -> Transaction | None:
        """The user's newest pending transaction of `flavour` (SKFS binds a register call to the user, not a handle)."""
        row = self._one(
            "SELECT * FROM transactions WHERE user_id=? AND flavour=? AND status=? ORDER BY rowid DESC LIMIT 1",
            user_id, flavour, PENDING,
        )  # fmt: skip
        return transaction_of(row) if row else None

    def get_authenticator_by_seq(self, seq: int) -> Authenticator | None:
        row = self._one("SELECT * FROM authenticators WHERE seq=?", seq)
        return authenticator_of(row) if row else None

    def update_authenticator(
        self,
        authenticator_id: str,
        *,
        name: str | None = None,
        state: str | None = None,
        data: dict[str, Any] | None = None,
        now: datetime,
    ) -> Authenticator | None:
        """Change the given fields (None keeps a field as it is); None when there is no such authenticator."""
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE authenticators SET name=COALESCE(?, name), state=COALESCE(?, state), "
                "data=COALESCE(?, data), updated_at=? WHERE authenticator_id=?",
                (name, state, json.dumps(data) if data is not None else None, ts(now), authenticator_id),
            )
            if cur.rowcount != 1:
                return None
            row = conn.execute("SELECT * FROM authenticators WHERE authenticator_id=?", (authenticator_id,))
            return authenticator_of(row.fetchone())

    # --- one-time tokens ----------------------------------------------------------------------------------

    def consume_jti(self, jti: str, kind: str, *, expires_at: int | None, now: datetime) -> bool:
        """Record a one-time token as used; False when it already was."""
        with self._write() as conn:
            return self._consume(conn, jti, kind, expires_at, now=now)

    @staticmethod
    def _consume(conn: sqlite3.Connection, jti: str, kind: str, expires_at: int | None, *, now: datetime) -> bool:
        cur = conn.execute("INSERT OR IGNORE INTO consumed_tokens VALUES (?,?,?,?)", (jti, kind, ts(now), expires_at))
        return cur.rowcount == 1

    def jti_consumed(self, jti: str) -> bool:
        return self._one("SELECT 1 FROM consumed_tokens WHERE jti=?", jti) is not None
