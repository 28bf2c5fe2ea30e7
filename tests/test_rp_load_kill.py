"""`fidoconf serve` under concurrent load, killed with SIGKILL mid-load and restarted on the same SQLite file, three
times: every acknowledged registration (attestation answered `status: ok`) is there exactly once afterwards, and
the only registrations nobody saw acknowledged are the few that were in flight at a kill.

Bounded for CI: a handful of clients, a kill after a small number of acknowledgements per round.
"""

from __future__ import annotations

import signal
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from fidoconf.conformance.authenticator.authenticator import make_credential
from fidoconf.conformance.authenticator.ca import TestPKI
from fidoconf.verifier.encoding import b64url_decode

from .test_rp_nevis_http import RP_ID, Server, origin_of, start_server

CLIENTS = 6
ROUNDS = 3
#: Acknowledgements per round after which the server is killed (the clients are still mid-flow then).
KILL_AFTER = 12


@dataclass
class Ledger:
    """What the clients were told, shared by their threads."""

    acknowledged: list[tuple[str, str]] = field(default_factory=list)  # (userId, credential id)
    lock: threading.Lock = field(default_factory=threading.Lock)
    enough: threading.Event = field(default_factory=threading.Event)


def _client(server: Server, pki: TestPKI, ledger: Ledger, name: str, round_acks: list[int]) -> None:
    """Register users one after another until the connection breaks (the kill)."""
    bearer = {"Authorization": f"Bearer {server.access_key}"}
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            for n in range(10_000):
                username = f"{name}-{n}"
                body = {"username": username, "channel": "fido2", "displayName": username}
                enrolled = client.post("/api/v1/users/enroll", json=body, headers=bearer)
                assert enrolled.status_code == 200, enrolled.text
                user_id, enrollment = enrolled.json()["userId"], enrolled.json()["enrollment"]
                options = enrollment["credentialCreationOptions"]
                credential = make_credential(
                    rp_id=RP_ID, origin=origin_of(server), challenge=b64url_decode(options["challenge"], field="c"),
                    fmt="none", alg="ES256", seed=username, pki=pki,
                ).credential  # fmt: skip
                answer = client.post(
                    "/_app/attestation/result", json={**credential, "statusToken": enrollment["statusToken"]}
                )
                assert answer.status_code == 200 and answer.json()["status"] == "ok", answer.text
                with ledger.lock:
                    ledger.acknowledged.append((user_id, credential["id"]))
                    round_acks[0] += 1
                    if round_acks[0] >= KILL_AFTER:
                        ledger.enough.set()
    except httpx.TransportError:
        return  # the server died under this request: whatever it answered before is what counts


def _load_then_kill(data_dir: Path, pki: TestPKI, ledger: Ledger, round_no: int) -> int:
    """One round: clients registering, SIGKILL once KILL_AFTER were acknowledged. Returns the clients still running
    at the kill."""
    server = start_server(data_dir)
    ledger.enough.clear()
    round_acks = [0]
    threads = [
        threading.Thread(target=_client, args=(server, pki, ledger, f"r{round_no}c{i}", round_acks), daemon=True)
        for i in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    try:
        assert ledger.enough.wait(timeout=240), "the clients did not get enough registrations acknowledged"
        running = sum(thread.is_alive() for thread in threads)
    finally:
        server.stop(signal.SIGKILL)
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()
    assert server.process.returncode == -signal.SIGKILL
    return running


def test_acknowledged_registrations_survive_repeated_sigkill_under_load(tmp_path):
    pki, ledger = TestPKI(), Ledger()
    for round_no in range(ROUNDS):
        # Every client was still registering when the kill came: it did land mid-load.
        assert _load_then_kill(tmp_path, pki, ledger, round_no) == CLIENTS
    assert len(ledger.acknowledged) >= ROUNDS * KILL_AFTER
    assert len({credential for _, credential in ledger.acknowledged}) == len(ledger.acknowledged)

    final = start_server(tmp_path)
    try:
        with httpx.Client(base_url=final.base_url, timeout=30) as client:
            bearer = {"Authorization": f"Bearer {final.access_key}"}
            for user_id, credential_id in ledger.acknowledged:
                user = client.get(f"/api/v1/users/{user_id}", headers=bearer)
                assert user.status_code == 200, user.text
                held = [a["fido2"]["credentialId"] for a in user.json()["authenticators"]]
                assert held == [credential_id], user_id
    finally:
        final.stop()

    with sqlite3.connect(f"file:{tmp_path / 'rp.sqlite3'}?mode=ro", uri=True) as db:
        per_user = dict(db.execute("SELECT user_id, COUNT(*) FROM authenticators GROUP BY user_id").fetchall())
    # Exactly once: no user (each enrolled once) holds two authenticators.
    assert set(per_user.values()) == {1}
    acknowledged_users = {user_id for user_id, _ in ledger.acknowledged}
    assert acknowledged_users <= set(per_user)
    # Registered but never acknowledged: only a request in flight at a kill, at most one per client per kill.
    assert len(set(per_user) - acknowledged_users) <= CLIENTS * ROUNDS
