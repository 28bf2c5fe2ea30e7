"""`fidoconf bench --rp`: complete registration flows against the reference RP over real HTTP on loopback.

Each flavour's whole ceremony is one flow: nevis-cloud enroll (fido2) → attestation result → status succeeded;
fido-server options → result → status succeeded; skfs preregister → register (SKFS has no status call). The
credential is made by the virtual authenticator for the server's challenge (`none` attestation, ES256; one
shared test PKI so the client does not rebuild a CA hierarchy per flow). The server is `fidoconf serve` in its own
process (uvicorn, SQLite file); clients are threads in this process, each with its own keep-alive connection
(stdlib http.client: a load generator that costs little per request, so the figures are the server's), all running
flows until the shared count is done.

The peer, measured in the same run, is the same server with the pre-fix transport: a listener created without
IPPROTO_TCP, so asyncio leaves TCP_NODELAY off on accepted connections, and a response's head and body in two
writes (as uvicorn writes them), so a keep-alive response's second write waits for the client's delayed ACK
(issue 15). Only ratios within one run mean much on a shared machine; the load average is printed with the table.
"""

from __future__ import annotations

import argparse
import http.client
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from json import dumps as json_dumps
from json import loads as json_loads
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fidoconf.verifier.encoding import b64url_decode

from .authenticator.authenticator import make_credential
from .authenticator.ca import TestPKI

FLAVOURS = ("nevis-cloud", "fido-server", "skfs")
STARTUP_TIMEOUT_S = 60
#: Flows each client runs before the clock starts (connections open, caches and the SQLite file warm).
WARMUP_FLOWS = 2


class FlowFailed(RuntimeError):
    """A flow the server did not complete: the bench stops rather than time refusals."""


@dataclass
class Server:
    process: subprocess.Popen
    base_url: str
    data_dir: Path
    access_key: str
    skfs_password: str | None

    @property
    def origin(self) -> str:
        port = self.base_url.rstrip("/").rsplit(":", 1)[1]
        return f"http://localhost:{port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        shutil.rmtree(self.data_dir, ignore_errors=True)


def start_server(*, flavour: str, nodelay: bool = True) -> Server:
    """`fidoconf serve` for `flavour` on a free loopback port with a fresh SQLite file; `nodelay=False` is the peer."""
    data_dir = Path(tempfile.mkdtemp(prefix="fidoconf-bench-rp-"))
    serve_args = ["--host", "127.0.0.1", "--port", "0", "--db", str(data_dir / "rp.sqlite3"), "--flavour", flavour]
    serve_args += ["--authenticator-limit", "0", "--log-level", "error"]
    module = "fidoconf.conformance.bench_rp" if not nodelay else "fidoconf.conformance.cli"
    command = [sys.executable, "-m", module, *([] if not nodelay else ["serve"]), *serve_args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    banner = _read_banner(process)
    base_url = next(line.rsplit(" ", 1)[1] for line in banner if " listening on " in line)
    password_file = data_dir / "skfs-svcpassword"
    return Server(
        process,
        base_url,
        data_dir,
        (data_dir / "access-key").read_text(encoding="ascii").strip(),
        password_file.read_text(encoding="ascii").strip() if password_file.exists() else None,
    )


def _read_banner(process: subprocess.Popen) -> list[str]:
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    banner: list[str] = []
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not any(line.startswith("access key:") for line in banner):
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            line = None
        if line is None:
            process.kill()
            raise RuntimeError("fidoconf serve did not start: " + " | ".join(banner))
        banner.append(line)
    return banner


# --- one flow per flavour ----------------------------------------------------------------------------------


@dataclass
class FlowKit:
    """What every flow of one server shares: its address, its credentials and the authenticator's test PKI."""

    server: Server
    pki: TestPKI

    def credential(self, options: dict[str, Any], seed: str) -> dict[str, Any]:
        challenge = b64url_decode(options["challenge"], field="challenge")
        return make_credential(
            rp_id="localhost", origin=self.server.origin, challenge=challenge, fmt="none", alg="ES256", seed=seed,
            pki=self.pki,
        ).credential  # fmt: skip


class KeepAliveClient:
    """One keep-alive HTTP/1.1 connection that POSTs JSON. The bench's load generator: httpx (what the suite uses)
    spent more CPU per flow than the server it measured (about 2.3 ms against 1.5 ms at 50 clients), so a single
    client process capped the 50-client figure near 430 flows/s whatever the server did; http.client costs about
    a third of that per request. The request goes out in one send (http.client joins a bytes body to the head)."""

    def __init__(self, base_url: str, *, timeout: float = 60) -> None:
        where = urlsplit(base_url)
        self._conn = http.client.HTTPConnection(where.hostname, where.port, timeout=timeout)

    def post(self, path: str, *, json: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        body = json_dumps(json).encode()
        self._conn.request("POST", path, body=body, headers={"content-type": "application/json", **(headers or {})})
        response = self._conn.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self._conn.close()


def _json(answer: tuple[int, bytes], step: str) -> dict[str, Any]:
    status, body = answer
    if status != 200:
        raise FlowFailed(f"{step}: HTTP {status} {body[:200]!r}")
    return json_loads(body)


def nevis_flow(client: KeepAliveClient, kit: FlowKit, username: str) -> None:
    bearer = {"Authorization": f"Bearer {kit.server.access_key}"}
    body = {"username": username, "channel": "fido2", "displayName": username}
    enrollment = _json(client.post("/api/v1/users/enroll", json=body, headers=bearer), "enroll")["enrollment"]
    credential = kit.credential(enrollment["credentialCreationOptions"], username)
    token = enrollment["statusToken"]
    answer = _json(client.post("/_app/attestation/result", json={**credential, "statusToken": token}), "result")
    if answer["status"] != "ok":
        raise FlowFailed(f"result: {answer}")
    status = _json(client.post("/api/v1/status", json={"statusToken": token}), "status")
    if status["status"] != "succeeded":
        raise FlowFailed(f"status: {status}")


def fido_server_flow(client: KeepAliveClient, kit: FlowKit, username: str) -> None:
    body = {"username": username, "displayName": username, "attestation": "none"}
    options = _json(client.post("/attestation/options", json=body), "options")
    if options["status"] != "ok":
        raise FlowFailed(f"options: {options}")
    session = options["fido2SessionId"]
    credential = kit.credential(options, username)
    answer = _json(client.post("/attestation/result", json={**credential, "fido2SessionId": session}), "result")
    if answer["status"] != "ok":
        raise FlowFailed(f"result: {answer}")
    status = _json(client.post("/status", json={"fido2SessionId": session}), "status")
    if status["status"] != "succeeded":
        raise FlowFailed(f"status: {status}")


def skfs_flow(client: KeepAliveClient, kit: FlowKit, username: str) -> None:
    svcinfo = {
        "did": 1, "protocol": "FIDO2_0", "authtype": "PASSWORD", "svcusername": "svcfidouser",
        "svcpassword": kit.server.skfs_password,
    }  # fmt: skip
    payload = {"username": username, "displayname": username, "options": {"attestation": "none"}}
    options = _json(client.post("/skfs/rest/preregister", json={"svcinfo": svcinfo, "payload": payload}), "pre")
    credential = kit.credential(options["response"], username)
    metadata = {"version": "1.0", "create_location": "bench", "username": username, "origin": kit.server.origin}
    payload = {"publicKeyCredential": credential, "strongkeyMetadata": metadata}
    answer = _json(client.post("/skfs/rest/register", json={"svcinfo": svcinfo, "payload": payload}), "register")
    if answer.get("responseCode") != "FIDO-MSG-0004":
        raise FlowFailed(f"register: {answer}")


FLOWS: dict[str, Callable[[KeepAliveClient, FlowKit, str], None]] = {
    "nevis-cloud": nevis_flow,
    "fido-server": fido_server_flow,
    "skfs": skfs_flow,
}


# --- measuring -----------------------------------------------------------------------------------------------


@dataclass
class Measurement:
    flows: int
    seconds: float
    latencies_ms: list[float] = field(repr=False)
    #: CPU time per timed flow (user + system) of the server process and of this (client) process: on a shared
    #: machine these say more about the RP's cost than flows/s, which depends on what else runs.
    server_cpu_ms: float | None = None
    client_cpu_ms: float | None = None

    @property
    def rate(self) -> float:
        return self.flows / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def drive(server: Server, flavour: str, *, clients: int, flows: int, tag: str) -> Measurement:
    """`flows` timed flows shared by `clients` threads, each with its own keep-alive connection."""
    kit = FlowKit(server, PKI.get())
    flow = FLOWS[flavour]
    remaining = [flows]
    latencies: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    warm = threading.Barrier(clients + 1)

    def take() -> bool:
        with lock:
            remaining[0] -= 1
            return remaining[0] >= 0 and not errors

    def client_loop(index: int) -> None:
        client = KeepAliveClient(server.base_url)
        try:
            run_client(client, index)
        finally:
            client.close()

    def run_client(client: KeepAliveClient, index: int) -> None:
        try:
            for n in range(WARMUP_FLOWS):
                flow(client, kit, f"{tag}-w{index}-{n}")
        except BaseException as exc:  # reported after the barrier, by the caller
            errors.append(exc)
        warm.wait()
        n = 0
        while take():
            n += 1
            begin = time.perf_counter()
            try:
                flow(client, kit, f"{tag}-c{index}-{n}")
            except BaseException as exc:
                errors.append(exc)
                return
            latencies.append((time.perf_counter() - begin) * 1000)

    threads = [threading.Thread(target=client_loop, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    warm.wait()  # the clock starts once every client is warm (its connection open)
    begin, server_cpu, client_cpu = time.perf_counter(), process_cpu_s(server.process.pid), _own_cpu_s()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - begin
    if errors:
        raise errors[0]
    server_after = process_cpu_s(server.process.pid)
    return Measurement(
        flows,
        seconds,
        latencies,
        server_cpu_ms=(server_after - server_cpu) * 1000 / flows if server_after is not None and server_cpu else None,
        client_cpu_ms=(_own_cpu_s() - client_cpu) * 1000 / flows,
    )


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux /proc); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu_s() -> float:
    times = os.times()
    return times.user + times.system


class PKI:
    """One test PKI per process: building its certificates costs more than a whole flow."""

    _pki: TestPKI | None = None

    @classmethod
    def get(cls) -> TestPKI:
        if cls._pki is None:
            cls._pki = TestPKI()
        return cls._pki


@dataclass
class Row:
    flavour: str
    clients: int
    ours: Measurement
    peer: Measurement | None

    @property
    def ratio(self) -> float | None:
        return self.ours.rate / self.peer.rate if self.peer and self.peer.rate else None

    def as_json(self) -> dict[str, Any]:
        def one(m: Measurement | None) -> dict[str, Any] | None:
            if m is None:
                return None
            return {"flows": m.flows, "seconds": round(m.seconds, 3), "flows_per_s": round(m.rate, 1),
                    "p50_ms": round(m.percentile(0.50), 2), "p99_ms": round(m.percentile(0.99), 2),
                    "server_cpu_ms_per_flow": _round(m.server_cpu_ms), "client_cpu_ms_per_flow": _round(m.client_cpu_ms)}  # fmt: skip

        return {"flavour": self.flavour, "clients": self.clients, "nodelay": one(self.ours),
                "peer_no_nodelay": one(self.peer), "ratio": round(self.ratio, 1) if self.ratio else None}  # fmt: skip


def measure_rp(*, flavours: tuple[str, ...], clients: tuple[int, ...], flows: int, peer_flows: int) -> list[Row]:
    """For each flavour and client count: `flows` flows against `fidoconf serve`, then `peer_flows` against the
    peer (0: no peer)."""
    rows = []
    for flavour in flavours:
        server = start_server(flavour=flavour)
        peer = start_server(flavour=flavour, nodelay=False) if peer_flows else None
        try:
            for count in clients:
                ours = drive(server, flavour, clients=count, flows=max(flows, count), tag=f"n{count}")
                theirs = (
                    drive(peer, flavour, clients=count, flows=max(peer_flows, count), tag=f"p{count}") if peer else None
                )
                rows.append(Row(flavour, count, ours, theirs))
        finally:
            server.stop()
            if peer:
                peer.stop()
    return rows


def _round(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


def table(rows: list[Row]) -> str:
    load = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    lines = [
        f"complete registration flows over loopback HTTP (keep-alive; load average 1/5/15 min: {load}, "
        f"{os.cpu_count()} CPUs)",
        "peer = the same server with the pre-fix transport (TCP_NODELAY off, head and body in two writes)",
        "",
        f"{'flavour':<12} {'clients':>7} {'flows':>6} {'flows/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'srv cpu':>8}"
        f" {'cli cpu':>8} {'peer flows/s':>13} {'peer p50':>9} {'ratio':>6}",
    ]
    for row in rows:
        m, p = row.ours, row.peer
        peer_cells = (
            f" {p.rate:>13.1f} {p.percentile(0.5):>9.1f} {row.ratio:>5.1f}x" if p else f" {'-':>13} {'-':>9} {'-':>6}"
        )
        lines.append(
            f"{row.flavour:<12} {row.clients:>7} {m.flows:>6} {m.rate:>8.1f} {m.percentile(0.5):>8.2f}"
            f" {m.percentile(0.99):>8.2f} {_cell(m.server_cpu_ms)} {_cell(m.client_cpu_ms)}{peer_cells}"
        )
    lines.append("srv cpu / cli cpu: CPU ms per flow of the server process / of the client (this process)")
    return "\n".join(lines)


def _cell(value: float | None) -> str:
    return f"{value:>8.2f}" if value is not None else f"{'-':>8}"


# --- the peer's server process -------------------------------------------------------------------------------


def listener_without_nodelay(host: str, port: int) -> socket.socket:
    """The listener as it was before issue 15: no IPPROTO_TCP, so accepted connections keep Nagle on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def serve_peer(argv: list[str]) -> int:
    """`python -m fidoconf.conformance.bench_rp <fidoconf serve options>`: `fidoconf serve` as it was before issue
    15's fix, Nagle on (the old listener) and a response's head and body in two writes, so each keep-alive response
    waits for the client's delayed ACK."""
    from . import cli_serve

    parser = argparse.ArgumentParser(prog="bench_rp peer")
    subparsers = parser.add_subparsers(dest="command")
    cli_serve.add_parser(subparsers)
    args = parser.parse_args(["serve", *argv])
    args.coalesce_writes = False
    return cli_serve.run(args, listener=listener_without_nodelay)


if __name__ == "__main__":
    sys.exit(serve_peer(sys.argv[1:]))
