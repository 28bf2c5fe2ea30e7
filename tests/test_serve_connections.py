"""`fidoconf serve`'s connection settings (issue 15): the options reach uvicorn's Config; idle sockets beyond the
concurrency limit do not stop service; a connection that sends no request head is closed after the header timeout;
an over-long head is a 400; accept() failures are logged once per interval with a count.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import socket
import threading
import time

import httpx
import pytest
import uvicorn
from fidoconf.conformance import cli_serve, serve_connections
from fidoconf.conformance.serve_connections import (
    ACCEPT_ERROR,
    CoalescingTransport,
    ConnectionSettings,
    HeaderTimeoutProtocol,
    RateLimitedAcceptErrors,
    uvicorn_config,
)
from fidoconf.verifier.rp import RPConfig, create_app

KEY = "connections-key"


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli_serve.add_parser(parser.add_subparsers()).set_defaults()
    return parser.parse_args(["serve", *argv])


def test_defaults_are_sane():
    settings = serve_connections.settings_of(_parse())
    assert settings == ConnectionSettings(
        limit_concurrency=1000, timeout_keep_alive=5, header_timeout=10.0, max_header_bytes=16384
    )


def test_the_options_reach_uvicorns_config():
    args = _parse(
        "--limit-concurrency", "8", "--timeout-keep-alive", "3", "--header-timeout", "2.5", "--max-header-bytes", "8192"
    )  # fmt: skip
    config = uvicorn_config(object(), serve_connections.settings_of(args), log_level="warning")
    assert (config.limit_concurrency, config.timeout_keep_alive) == (8, 3)
    assert issubclass(config.http, HeaderTimeoutProtocol)
    assert (config.http.header_timeout, config.http.max_header_bytes) == (2.5, 8192)


@pytest.mark.parametrize(
    "argv", [["--limit-concurrency", "0"], ["--header-timeout", "0"], ["--max-header-bytes", "10"]]
)
def test_nonsense_settings_are_refused(argv):
    with pytest.raises(ValueError):
        serve_connections.settings_of(_parse(*argv))


@contextlib.contextmanager
def _serving(settings: ConnectionSettings):
    config = RPConfig(access_keys=(KEY,), sweep_interval_s=0)
    server = uvicorn.Server(uvicorn_config(create_app(config), settings, log_level="error"))
    sock = cli_serve.bind_listener("127.0.0.1", 0)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


def _ping(base: str) -> int:
    with httpx.Client(base_url=base, timeout=10) as client:
        return client.get("/ping", headers={"authorization": f"Bearer {KEY}"}).status_code


def test_more_idle_sockets_than_the_limit_do_not_stop_service():
    settings = ConnectionSettings(limit_concurrency=8, header_timeout=30.0)
    with _serving(settings) as (base, port):
        idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(20)]
        try:
            time.sleep(0.2)
            # At the limit, a request is refused with 503, never a crash or a reset.
            assert _ping(base) == 503
        finally:
            for s in idle:
                s.close()
        deadline = time.monotonic() + 10
        while _ping(base) != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _ping(base) == 200


def test_a_connection_that_sends_no_request_head_is_closed_after_the_header_timeout():
    with _serving(ConnectionSettings(header_timeout=0.3)) as (base, port):
        silent = socket.create_connection(("127.0.0.1", port), timeout=10)
        slow = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            slow.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n")  # never finishes its head
            assert silent.recv(1) == b""  # closed by the server (recv would time out after 10 s otherwise)
            assert slow.recv(1) == b""
        finally:
            silent.close()
            slow.close()
        assert _ping(base) == 200


def test_a_request_head_over_the_limit_is_431_and_a_large_body_is_not_counted():
    with _serving(ConnectionSettings(max_header_bytes=4096)) as (base, _):
        with httpx.Client(base_url=base, timeout=10) as client:
            response = client.get("/ping", headers={"authorization": f"Bearer {KEY}", "x-filler": "a" * 8192})
            assert response.status_code == 431
            status = client.post("/api/v1/status", json={"statusToken": "x" * 20_000})
            assert (status.status_code, status.json()["status"]) == (200, "unknown")
        assert _ping(base) == 200


def test_a_request_head_sent_in_pieces_is_counted_whole():
    with _serving(ConnectionSettings(max_header_bytes=4096)) as (base, port):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n")
            for _ in range(6):  # 6 x 1,000 bytes, none of them over the limit alone
                raw.sendall(b"x-filler: " + b"a" * 988 + b"\r\n")
                time.sleep(0.02)
            answer = b""
            while chunk := raw.recv(4096):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 431 ")
        assert _ping(base) == 200


def test_accept_errors_are_logged_once_per_interval_with_a_count():
    now = [0.0]
    flt = RateLimitedAcceptErrors(interval_s=10, clock=lambda: now[0])

    def record(msg: str) -> logging.LogRecord:
        return logging.LogRecord("asyncio", logging.ERROR, __file__, 1, msg, None, None)

    emitted = []
    for i in range(1000):
        now[0] = i * 0.03  # 1,000 failures over 30 s
        r = record(ACCEPT_ERROR + "\nsocket: <socket>")
        if flt.filter(r):
            emitted.append(r.getMessage())
    assert len(emitted) == 3
    assert "more in the last" in emitted[1] and emitted[1].count("(333 more") == 1
    assert flt.filter(record("something else")) is True


class RecordingTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> str:
        return f"extra:{name}"


def test_writes_in_one_loop_turn_leave_as_one_send_and_close_sends_what_is_pending():
    async def scenario() -> tuple[list[bytes], list[bytes], bool, str]:
        real = RecordingTransport()
        transport = CoalescingTransport(real, loop=asyncio.get_running_loop())
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(b"body")
        assert real.writes == []  # nothing leaves before the turn ends
        await asyncio.sleep(0)
        after_turn = list(real.writes)
        transport.write(b"last")
        transport.close()
        return after_turn, real.writes[1:], real.closed, transport.get_extra_info("peername")

    after_turn, at_close, closed, extra = asyncio.run(scenario())
    assert after_turn == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
    assert (at_close, closed, extra) == ([b"last"], True, "extra:peername")


def test_only_the_bench_peer_sends_head_and_body_in_two_writes():
    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers(dest="command")
    cli_serve.add_parser(subparsers)
    args = parser.parse_args(["serve"])
    assert serve_connections.header_protocol(serve_connections.settings_of(args)).coalesce_writes is True
    args.coalesce_writes = False  # what bench_rp.serve_peer sets: the pre-fix server
    assert serve_connections.header_protocol(serve_connections.settings_of(args)).coalesce_writes is False
