"""SqliteStore: WAL on disk, atomic state changes with their guards, one-time tokens, thread safety."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta

import pytest
from fidoconf.verifier.rp.errors import RpCode
from fidoconf.verifier.rp.store import (
    FAILED,
    PENDING,
    SUCCEEDED,
    Authenticator,
    SqliteStore,
    StoreConflict,
    Transaction,
    User,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def user(user_id: str = "u1", username: str = "alice") -> User:
    return User(user_id, username, NOW, NOW)


def transaction(tx_id: str = "t1", user_id: str = "u1", challenge: bytes = b"c" * 32) -> Transaction:
    return Transaction(tx_id, user_id, challenge, {"rp": {"id": "x"}}, NOW, NOW + timedelta(minutes=2), NOW)


def authenticator(auth_id: str = "a1", user_id: str = "u1", credential_id: bytes = b"cred-1") -> Authenticator:
    return Authenticator(
        auth_id, user_id, credential_id, b"\xa1\x01\x02", -7, 0, bytes(16), "none", "none", False, "key", NOW, NOW,
        transports=("usb",), data={"flags": {"up": True}},
    )  # fmt: skip


@pytest.fixture
def store(tmp_path):
    s = SqliteStore(str(tmp_path / "rp.sqlite3"))
    yield s
    s.close()


def test_file_database_uses_wal_and_full_sync(store):
    assert store._one("PRAGMA journal_mode")[0] == "wal"
    assert store._one("PRAGMA synchronous")[0] == 2  # FULL
    assert store._one("PRAGMA foreign_keys")[0] == 1


@pytest.mark.parametrize(("durability", "level"), [("process", 1), ("full", 2)])  # NORMAL = 1, FULL = 2
def test_rp_durability_sets_the_sqlite_sync_level(tmp_path, durability, level):
    from fidoconf.verifier.rp import RPConfig, create_app

    config = RPConfig(
        rp_id="localhost", origins=("http://localhost:8000",), access_keys=("k" * 32,),
        db_path=str(tmp_path / "rp.sqlite3"), durability=durability,
    )  # fmt: skip
    app = create_app(config)
    assert app.state.rp.store._one("PRAGMA synchronous")[0] == level


def test_rp_durability_refuses_an_unknown_level():
    from fidoconf.verifier.rp import RPConfig

    with pytest.raises(ValueError, match="durability"):
        RPConfig(rp_id="localhost", origins=("http://localhost:8000",), access_keys=("k" * 32,), durability="none")


def test_registration_round_trip_survives_reopen(tmp_path):
    path = str(tmp_path / "rp.sqlite3")
    first = SqliteStore(path)
    first.start_transaction(transaction(), new_user=user())
    stored = first.complete_registration("t1", authenticator(), limit=10, now=NOW)
    assert stored.seq == 1
    first.close()
    second = SqliteStore(path)
    assert second.get_transaction("t1").status == SUCCEEDED
    assert second.get_transaction("t1").authenticator_id == "a1"
    assert second.list_authenticators("u1") == [stored]
    assert second.find_user("nevis-cloud", "alice") == user()
    second.close()


def test_complete_registration_guards(store):
    store.start_transaction(transaction("t1"), new_user=user())
    store.start_transaction(transaction("t2", challenge=b"d" * 32))
    store.start_transaction(transaction("t3", challenge=b"e" * 32))
    store.complete_registration("t1", authenticator("a1"), limit=2, now=NOW)
    with pytest.raises(StoreConflict) as again:
        store.complete_registration("t1", authenticator("a9", credential_id=b"other"), limit=2, now=NOW)
    assert again.value.code is RpCode.TRANSACTION_STATUS_NOT_PENDING
    with pytest.raises(StoreConflict) as duplicate:
        store.complete_registration("t2", authenticator("a2"), limit=2, now=NOW)
    assert duplicate.value.code is RpCode.CREDENTIAL_ID_ALREADY_REGISTERED
    store.complete_registration("t2", authenticator("a2", credential_id=b"cred-2"), limit=2, now=NOW)
    with pytest.raises(StoreConflict) as limit:
        store.complete_registration("t3", authenticator("a3", credential_id=b"cred-3"), limit=2, now=NOW)
    assert limit.value.code is RpCode.USER_AUTHENTICATORS_LIMIT_REACHED
    with pytest.raises(StoreConflict) as unknown:
        store.complete_registration("nope", authenticator("a4", credential_id=b"cred-4"), limit=None, now=NOW)
    assert unknown.value.code is RpCode.TRANSACTION_ID_UNKNOWN
    # A refused write leaves nothing behind.
    assert [a.authenticator_id for a in store.list_authenticators("u1")] == ["a1", "a2"]
    assert store.get_transaction("t3").status == PENDING


def test_fail_transaction_only_moves_pending(store):
    store.start_transaction(transaction(), new_user=user())
    assert store.fail_transaction("t1", code=RpCode.TRANSACTION_TIMEOUT_EXPIRED, message="late", now=NOW) is True
    assert store.fail_transaction("t1", code=RpCode.REQUEST_BODY_INVALID, message="x", now=NOW) is False
    tx = store.get_transaction("t1")
    assert (tx.status, tx.error_code, tx.error_message) == (FAILED, "transaction.timeout.expired", "late")


def test_challenges_are_unique(store):
    store.start_transaction(transaction("t1"), new_user=user())
    with pytest.raises(sqlite3.IntegrityError):
        store.start_transaction(transaction("t2"))


def test_start_transaction_is_all_or_nothing_with_its_one_time_token(store):
    store.start_transaction(transaction("t1"), new_user=user(), consume_jti=("intent-1", "intent", None))
    with pytest.raises(StoreConflict) as spent:
        store.start_transaction(
            transaction("t2", user_id="u2", challenge=b"z" * 32), new_user=user("u2", "bob"),
            consume_jti=("intent-1", "intent", None),
        )  # fmt: skip
    assert spent.value.code is RpCode.TOKEN_JTI_CONSUMED
    assert store.get_user("u2") is None and store.get_transaction("t2") is None


def test_redeem_once(store):
    store.start_transaction(transaction(), new_user=user())
    assert store.redeem_transaction("t1", jti="d1", expires_at=None, now=NOW).redeemed_at == NOW
    with pytest.raises(StoreConflict) as twice:
        store.redeem_transaction("t1", jti="d1", expires_at=None, now=NOW)
    assert twice.value.code is RpCode.TOKEN_JTI_CONSUMED
    with pytest.raises(StoreConflict) as other_token:
        store.redeem_transaction("t1", jti="d2", expires_at=None, now=NOW)
    assert other_token.value.code is RpCode.TRANSACTION_STATUS_NOT_PENDING
    assert store.jti_consumed("d1") and not store.jti_consumed("d2")


def test_deleting_a_user_cascades(store):
    store.start_transaction(transaction(), new_user=user())
    store.complete_registration("t1", authenticator(), limit=None, now=NOW)
    assert store.delete_user("u1") is True
    assert store.get_authenticator("a1") is None and store.get_transaction("t1") is None
    assert store.delete_user("u1") is False


def test_rename_and_delete_authenticator(store):
    store.start_transaction(transaction(), new_user=user())
    store.complete_registration("t1", authenticator(), limit=None, now=NOW)
    later = NOW + timedelta(seconds=5)
    renamed = store.rename_authenticator("a1", "Work key", now=later)
    assert (renamed.name, renamed.updated_at) == ("Work key", later)
    assert store.rename_authenticator("a0", "x", now=later) is None
    assert store.delete_authenticator("a1", now=later) is True
    assert store.delete_authenticator("a1", now=later) is False
    assert store.get_user("u1").updated_at == later


def test_concurrent_completions_register_exactly_once(store):
    store.start_transaction(transaction(), new_user=user())
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            store.complete_registration(
                "t1", authenticator(f"a{n}", credential_id=f"c{n}".encode()), limit=None, now=NOW
            )
            outcomes.append("ok")
        except StoreConflict as conflict:
            outcomes.append(conflict.code.value)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] + ["transaction.status.not_pending"] * 7
    assert len(store.list_authenticators("u1")) == 1
