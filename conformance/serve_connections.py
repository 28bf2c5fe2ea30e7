"""How `fidoconf serve` treats connections: limits and timeouts passed to uvicorn, a header timeout uvicorn lacks,
and a log that does not flood when accept() keeps failing (issue 15: 1,100 idle sockets stopped all service with a
1,024-file limit and wrote 156 MB of log in 30 s).

- `--limit-concurrency`: uvicorn answers 503 to a request arriving while this many connections (or tasks) exist.
- `--timeout-keep-alive`: seconds an idle keep-alive connection stays open after a response.
- `--header-timeout`: seconds a connection may take to send a request's complete head, from connect or from the end
  of the previous response. uvicorn has no such setting; `HeaderTimeoutProtocol` adds it, so a client that
  connects and sends nothing (or a head byte by byte) is disconnected instead of holding a file descriptor for ever.
- `--max-header-bytes`: a longer request head is answered 431 and the connection closed, whether it arrives in one
  read or in pieces.

HTTP is parsed by httptools (llhttp, C), uvicorn's faster parser: with the pure-Python h11 parser the server spent
about a sixth of its time in h11 and could not reach 400 flows/s at 50 clients on two cores (issue 15).
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: asyncio's message when accept() fails with EMFILE/ENFILE/ENOBUFS/ENOMEM (BaseSelectorEventLoop._accept_connection).
ACCEPT_ERROR = "socket.accept() out of system resource"


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    limit_concurrency: int = 1000
    timeout_keep_alive: int = 5
    header_timeout: float = 10.0
    max_header_bytes: int = 16 * 1024
    #: Send a response's head and body in one write (`CoalescingTransport`); no serve option turns it off, only
    #: the bench's peer (the pre-fix server, conformance/bench_rp.py).
    coalesce_writes: bool = True

    def __post_init__(self) -> None:
        if self.limit_concurrency < 1 or self.timeout_keep_alive < 1:
            raise ValueError("--limit-concurrency and --timeout-keep-alive must be at least 1")
        if self.header_timeout <= 0:
            raise ValueError("--header-timeout must be positive")
        if self.max_header_bytes < 1024:
            raise ValueError("--max-header-bytes must be at least 1024")


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = ConnectionSettings()
    p.add_argument(
        "--limit-concurrency", type=int, default=d.limit_concurrency,
        help=f"connections (or requests) at once; beyond it requests are answered 503 (default {d.limit_concurrency})",
    )  # fmt: skip
    p.add_argument(
        "--timeout-keep-alive", type=int, default=d.timeout_keep_alive,
        help=f"seconds an idle keep-alive connection stays open (default {d.timeout_keep_alive})",
    )  # fmt: skip
    p.add_argument(
        "--header-timeout", type=float, default=d.header_timeout,
        help=f"seconds to receive a request's complete head before disconnecting (default {d.header_timeout:g})",
    )  # fmt: skip
    p.add_argument(
        "--max-header-bytes", type=int, default=d.max_header_bytes,
        help=f"largest request head accepted; longer ones are answered 431 (default {d.max_header_bytes})",
    )  # fmt: skip


def settings_of(args: argparse.Namespace) -> ConnectionSettings:
    return ConnectionSettings(
        limit_concurrency=args.limit_concurrency,
        timeout_keep_alive=args.timeout_keep_alive,
        header_timeout=args.header_timeout,
        max_header_bytes=args.max_header_bytes,
        coalesce_writes=getattr(args, "coalesce_writes", True),
    )


def uvicorn_config(app: Any, settings: ConnectionSettings, *, log_level: str) -> Any:
    """The uvicorn.Config `fidoconf serve` runs: httptools with the header timeout, and the connection settings."""
    import uvicorn

    return uvicorn.Config(
        app,
        log_level=log_level,
        lifespan="on",
        access_log=False,
        http=header_protocol(settings),
        limit_concurrency=settings.limit_concurrency,
        timeout_keep_alive=settings.timeout_keep_alive,
    )


#: The answer to a request head over --max-header-bytes (RFC 6585 §5), after which the connection is closed.
HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain\r\ncontent-length: 30\r\n"
    b"connection: close\r\n\r\nrequest header fields too large"
)


class CoalescingTransport:
    """A transport whose writes made in one event-loop turn leave as one send.

    uvicorn writes a response's head and its body separately; with TCP_NODELAY each write is its own segment and its
    own send() syscall, which on loopback is where the server spent a fifth of its time (py-spy, issue 15's 50-client
    bench), and the client wakes twice per response. Both writes happen in the same turn (nothing awaits between
    Starlette's two `send` calls), so joining them costs one `call_soon`. Closing sends what is pending first.
    """

    __slots__ = ("_transport", "_loop", "_pending")

    def __init__(self, transport: Any, *, loop: Any) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing a connection whose request head has not fully arrived `header_timeout`
    seconds after it connected (or after its previous response), and answering 431 to a head longer than
    `max_header_bytes` (httptools has no limit of its own)."""

    header_timeout: float = 10.0
    max_header_bytes: int = 16 * 1024
    coalesce_writes: bool = True
    _head_timer: Any = None
    _head: bytes = b""

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.coalesce_writes:
            self.transport = CoalescingTransport(transport, loop=self.loop)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        if not self._in_request() and self._head_too_large(data):
            self._disarm_head_timer()
            self.transport.write(HEAD_TOO_LARGE)
            self.transport.close()
            return
        super().data_received(data)
        if self._in_request():
            self._disarm_head_timer()
            self._head = b""

    def _head_too_large(self, data: bytes) -> bool:
        """Whether the head being received (up to its blank line; a body in the same read is not counted) is
        longer than allowed. Keeps at most `max_header_bytes` of it."""
        head = self._head + data
        end = head.find(b"\r\n\r\n")
        size = end + 4 if end >= 0 else len(head)
        if size > self.max_header_bytes:
            return True
        self._head = b"" if end >= 0 else head
        return False

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self._in_request():
            self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def _in_request(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self._in_request() and not self.transport.is_closing():
            self.transport.close()


def header_protocol(settings: ConnectionSettings) -> type[HeaderTimeoutProtocol]:
    """The protocol class uvicorn instantiates per connection, with these head limits."""
    limits = {
        "header_timeout": settings.header_timeout,
        "max_header_bytes": settings.max_header_bytes,
        "coalesce_writes": settings.coalesce_writes,
    }
    return type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), limits)


class RateLimitedAcceptErrors(logging.Filter):
    """Lets one "accept() out of system resource" record through per `interval_s`, telling how many it held back:
    while the process is out of file descriptors asyncio retries accept() and logs every failure."""

    def __init__(self, *, interval_s: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval_s, self.clock = interval_s, clock
        self._last: float | None = None
        self._held_back = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(ACCEPT_ERROR):
            return True
        now = self.clock()
        if self._last is not None and now - self._last < self.interval_s:
            self._held_back += 1
            return False
        if self._held_back:
            record.msg = f"{record.msg} ({self._held_back} more in the last {now - self._last:.0f} s)"
        self._last, self._held_back = now, 0
        return True


def install_accept_error_filter(*, interval_s: float = 10.0) -> RateLimitedAcceptErrors:
    """On the asyncio logger, where the event loop reports accept() failures."""
    flt = RateLimitedAcceptErrors(interval_s=interval_s)
    logging.getLogger("asyncio").addFilter(flt)
    return flt
