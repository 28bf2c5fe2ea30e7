"""The reference RP's state stays bounded (issue 15): abandoned ceremonies, spent tokens and users left without an
authenticator are swept after expiry; live registrations are capped per user and in total, with each flavour's
error; an unauthenticated fido-server options call creates no user.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fidoconf.verifier.rp import RPConfig, create_app
from fidoconf.verifier.rp.ceremony import sweep_expired
from fidoconf.verifier.rp.errors import RpCode
from fidoconf.verifier.rp.store import SqliteStore

from .rp_support import ManualClock, asgi_client
from .skfs_support import ACCOUNTS, ORIGIN, RP_ID, SVC

KEY = "bounded-access-key"
TIMEOUT_MS = 60_000
SVCINFO = {"did": 1, "protocol": "FIDO2_0", "authtype": "PASSWORD", "svcusername": SVC[0], "svcpassword": SVC[1]}
#: The DB-size bound stated in API.md ("Bounded state"): with at most `max_pending_transactions` live ceremonies,
#: the file (plus its WAL) never needs more than this, whatever number of ceremonies was abandoned.
CAP = 1_000
RETENTION_S = 60
#: Rows the transactions table can hold: the live ones (capped) plus the ended ones kept for the retention.
MAX_TRANSACTIONS = CAP * (1 + RETENTION_S * 1000 // TIMEOUT_MS)
#: The bound stated in API.md: the main file about 2 KB per transaction row (options JSON, indexes) plus 1 MB; the
#: write-ahead log up to SQLite's automatic checkpoint (1,000 frames of a 4 KB page and a 24-byte header) plus the
#: frames of the transaction that crossed it.
MAX_DB_BYTES = MAX_TRANSACTIONS * 2048 + 1024 * 1024
MAX_WAL_BYTES = 1100 * (4096 + 24)


def _config(tmp_path, **overrides) -> RPConfig:
    settings = {
        "rp_id": RP_ID, "origins": (ORIGIN,), "issuer": ORIGIN + "/", "access_keys": (KEY,),
        "flavours": ("nevis-cloud", "fido-server", "skfs"), "fido_server_prefix": "/fido",
        "skfs_service_accounts": ACCOUNTS, "registration_timeout_ms": TIMEOUT_MS, "sweep_interval_s": 0,
        "status_token_grace_s": RETENTION_S, "transaction_token_ttl_s": RETENTION_S,
        "db_path": str(tmp_path / "rp.sqlite3"), **overrides,
    }  # fmt: skip
    return RPConfig(**settings)


def _db_bytes(path: str) -> tuple[int, int]:
    """(main file, write-ahead log) sizes in bytes."""
    return os.path.getsize(path), os.path.getsize(path + "-wal") if os.path.exists(path + "-wal") else 0


def _options(client, username: str) -> dict:
    body = {"username": username, "displayName": "Abandoned", "attestation": "none"}
    return client.post("/fido/attestation/options", json=body).json()


@pytest.fixture
def fast_dir(tmp_path):
    """tmpfs when there is one: the store fsyncs every commit, which on a loaded disk is most of the test's time."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        with tempfile.TemporaryDirectory(dir=shm, prefix="fidoconf-") as path:
            yield Path(path)
    else:
        yield tmp_path


def test_ten_thousand_abandoned_ceremonies_leave_the_db_bounded(fast_dir):
    clock = ManualClock()
    config = _config(fast_dir, max_pending_transactions=CAP)
    app = create_app(config, clock=clock)
    ctx = app.state.rp
    started = time.perf_counter()
    refused, largest, largest_wal = 0, 0, 0

    async def abandon_all() -> None:
        nonlocal refused, largest, largest_wal
        # The ASGI transport without TestClient's thread portal: the same app, a third of the time per request.
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rp") as client:
            for i in range(10_000):
                body = {"username": f"user{i}", "displayName": "Abandoned", "attestation": "none"}
                answer = (await client.post("/fido/attestation/options", json=body)).json()
                if answer["status"] == "failed":
                    assert answer["errorCode"] == RpCode.TRANSACTION_PENDING_LIMIT_REACHED.value
                    refused += 1
                # 10,000 calls over 200 s of the clock against a 60 s deadline, swept every 5 s (as the timer does).
                clock.advance(milliseconds=20)
                if i % 250 == 249:
                    sweep_expired(ctx)
                    counts = ctx.store.row_counts()
                    assert counts["users"] == 0  # an options call creates no user
                    # Live ceremonies are capped; ended ones stay for the retention (status polls) and then go.
                    assert counts["transactions"] <= MAX_TRANSACTIONS
                    main, wal = _db_bytes(config.db_path)
                    largest, largest_wal = max(largest, main), max(largest_wal, wal)

    asyncio.run(abandon_all())
    clock.advance(milliseconds=TIMEOUT_MS, seconds=config.retention_s + 1)
    deleted = sweep_expired(ctx)
    assert ctx.store.row_counts() == {"users": 0, "authenticators": 0, "transactions": 0, "consumed_tokens": 0}
    ctx.store.close()
    elapsed = time.perf_counter() - started
    # While the cap was reached, the rest were refused with the flavour's error; some were accepted throughout.
    assert 0 < refused < 10_000 and deleted["transactions"] > 0
    assert largest <= MAX_DB_BYTES, largest
    assert largest_wal <= MAX_WAL_BYTES, largest_wal
    assert _db_bytes(config.db_path)[0] <= MAX_DB_BYTES
    print(
        f"10,000 abandoned: {refused} refused at the cap, DB <= {largest} B + WAL <= {largest_wal} B, {elapsed:.1f} s"
    )


def test_per_user_cap_answers_each_flavours_error(tmp_path):
    clock = ManualClock()
    config = _config(tmp_path, max_pending_per_user=2)
    with asgi_client(create_app(config, clock=clock)) as client:
        bearer = {"authorization": f"Bearer {KEY}"}
        enroll = {"username": "alice", "channel": "fido2", "displayName": "A"}
        statuses = [client.post("/api/v1/users/enroll", json=enroll, headers=bearer).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert [_options(client, "bob")["status"] for _ in range(2)] == ["ok", "ok"]
        third = _options(client, "bob")
        assert (third["status"], third["errorCode"]) == ("failed", RpCode.TRANSACTION_PENDING_LIMIT_REACHED.value)
        body = {"svcinfo": SVCINFO, "payload": {"username": "carol", "displayname": "C", "options": {}}}
        answers = [client.post("/skfs/rest/preregister", json=body) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        refusal = answers[2].json()
        assert refusal["responseCode"] == "FIDO-ERR-0001"
        assert refusal["response"].endswith(f"[fidoconf:{RpCode.TRANSACTION_PENDING_LIMIT_REACHED.value}]")
        # An expired ceremony no longer counts: after the deadline the user may start again.
        clock.advance(milliseconds=TIMEOUT_MS + 1)
        assert client.post("/api/v1/users/enroll", json=enroll, headers=bearer).status_code == 200
        assert _options(client, "bob")["status"] == "ok"


def test_fido_server_options_share_one_planned_user_and_create_it_only_on_success(tmp_path):
    from fidoconf.conformance.authenticator.authenticator import make_credential
    from fidoconf.verifier.encoding import b64url_decode

    config = _config(tmp_path)
    app = create_app(config)
    with asgi_client(app) as client:
        first, second = _options(client, "dora"), _options(client, "dora")
        assert first["user"]["id"] == second["user"]["id"]  # one user handle for concurrent ceremonies
        store = app.state.rp.store
        assert store.row_counts()["users"] == 0
        status = client.post("/fido/status", json={"fido2SessionId": first["fido2SessionId"]}).json()
        assert (status["status"], status["username"]) == ("initialized", "dora")
        credential = make_credential(
            rp_id=RP_ID, origin=ORIGIN, challenge=b64url_decode(second["challenge"], field="challenge"),
            fmt="none", alg="ES256", seed="bounded",
        ).credential  # fmt: skip
        result = client.post(
            "/fido/attestation/result", json={**credential, "fido2SessionId": second["fido2SessionId"]}
        )
        assert result.json()["status"] == "ok", result.text
        user = store.find_user("fido-server", "dora")
        assert user is not None and store.row_counts()["users"] == 1
        assert [a.user_id for a in store.list_authenticators(user.user_id)] == [user.user_id]
        # Later options name the stored user.
        assert _options(client, "dora")["user"]["id"] == first["user"]["id"]


def test_sweep_forgets_spent_tokens_and_users_without_authenticators(tmp_path):
    clock = ManualClock()
    config = _config(tmp_path, intent_token_ttl_s=30)
    app = create_app(config, clock=clock)
    with asgi_client(app) as client:
        bearer = {"authorization": f"Bearer {KEY}"}
        intent = client.post(
            "/api/v1/intent", json={"username": "erin", "operation": "enroll", "channels": ["fido2"]}, headers=bearer
        ).json()["intentToken"]
        enroll = {"username": "erin", "channel": "fido2", "displayName": "E"}
        assert (
            client.post("/api/v1/users/enroll", json=enroll, headers={"authorization": f"Bearer {intent}"}).status_code
            == 200
        )
        store = app.state.rp.store
        assert store.row_counts() == {"users": 1, "authenticators": 0, "transactions": 1, "consumed_tokens": 1}
        # The spent intent token's id goes once the token has expired; the ceremony stays within its deadline
        # plus the retention (its status can still be polled).
        clock.advance(seconds=31)
        assert sweep_expired(app.state.rp) == {"transactions": 0, "consumed_tokens": 1, "users": 0}
        clock.advance(milliseconds=TIMEOUT_MS, seconds=config.retention_s - 31 - 1)
        assert sweep_expired(app.state.rp) == {"transactions": 0, "consumed_tokens": 0, "users": 0}
        clock.advance(seconds=2)
        assert sweep_expired(app.state.rp) == {"transactions": 1, "consumed_tokens": 0, "users": 1}
        assert store.row_counts() == {"users": 0, "authenticators": 0, "transactions": 0, "consumed_tokens": 0}


def test_start_up_sweeps_what_expired_while_the_server_was_down(tmp_path):
    clock = ManualClock()
    config = _config(tmp_path)
    with asgi_client(create_app(config, clock=clock)) as client:
        for i in range(5):
            assert _options(client, f"gone{i}")["status"] == "ok"
    clock.advance(milliseconds=TIMEOUT_MS, seconds=config.retention_s + 1)
    store = SqliteStore(config.db_path)
    assert store.row_counts()["transactions"] == 5
    with asgi_client(create_app(config, clock=clock, store=store)):
        assert store.row_counts()["transactions"] == 0
    store.close()


def test_the_timer_sweeps_while_serving(tmp_path):
    clock = ManualClock()
    config = _config(tmp_path, sweep_interval_s=0.05)
    app = create_app(config, clock=clock)
    with asgi_client(app) as client:
        assert _options(client, "frank")["status"] == "ok"
        clock.advance(milliseconds=TIMEOUT_MS, seconds=config.retention_s + 1)
        deadline = time.monotonic() + 10
        while app.state.rp.store.row_counts()["transactions"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert app.state.rp.store.row_counts()["transactions"] == 0


def test_a_version_1_database_is_migrated_and_keeps_its_rows(tmp_path):
    path = str(tmp_path / "v1.sqlite3")
    store = SqliteStore(path)
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version=1")
    conn.execute(
        "INSERT INTO transactions VALUES ('t1','nevis-cloud','fido2','u1',x'00','{}','pending',NULL,NULL,NULL,?,"
        "'2026-01-01T00:00:00+00:00','2026-01-01T00:00:00+00:00','2026-01-01T00:02:00+00:00',NULL)",
        (json.dumps({}),),
    )
    conn.commit()
    conn.close()
    migrated = SqliteStore(path)
    assert migrated.get_transaction("t1").user_id == "u1"
    assert migrated.row_counts()["transactions"] == 1
    assert (
        migrated.sweep(now=migrated.get_transaction("t1").expires_at + timedelta(seconds=1), retention=timedelta())[
            "transactions"
        ]
        == 1
    )
    migrated.close()


@pytest.mark.parametrize("name", ["max_pending_per_user", "max_pending_transactions"])
def test_caps_must_be_positive(name):
    with pytest.raises(ValueError, match=name):
        RPConfig(**{name: 0})
