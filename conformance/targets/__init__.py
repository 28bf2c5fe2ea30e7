"""A Target is one httpx.Client plus a record of every exchange. In-process and live differ only in transport:
in-process is starlette's TestClient (an httpx.Client over the ASGI app), live is httpx.Client(base_url=URL)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Exchange:
    method: str
    path: str
    request_headers: dict[str, str]
    request_body: Any
    status: int | None
    response_headers: dict[str, str]
    response_body: Any
    elapsed_ms: float
    schema_errors: list[str] = field(default_factory=list)
    #: What the suite noticed about the answer without judging it (e.g. a challenge read in a loose spelling).
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "request": {"headers": self.request_headers, "body": self.request_body},
            "status": self.status,
            "response": {"headers": self.response_headers, "body": self.response_body},
            "elapsed_ms": round(self.elapsed_ms, 2),
            "schema_errors": self.schema_errors,
            **({"notes": self.notes} if self.notes else {}),
        }


_REDACT = {"authorization", "cookie", "set-cookie"}
#: Secrets that travel inside JSON bodies (SKFS's svcinfo.svcpassword); reports show them as "<redacted>".
_REDACT_FIELDS = {"svcpassword"}


def _redacted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "<redacted>" if k in _REDACT_FIELDS else _redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return value


def _body(content: bytes, content_type: str) -> Any:
    if not content:
        return None
    if "json" in content_type:
        try:
            return _redacted(json.loads(content))
        except ValueError:
            pass
    text = content.decode("utf-8", "replace")
    return text if len(text) <= 4000 else text[:4000] + f"... ({len(content)} bytes)"


class Target:
    def __init__(self, client: httpx.Client, *, name: str, base_url: str) -> None:
        self.client = client
        self.name = name
        self.base_url = base_url
        self.exchanges: list[Exchange] = []

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            self.exchanges.append(
                Exchange(method, path, {}, kwargs.get("json"), None, {}, f"{type(exc).__name__}: {exc}",
                         (time.perf_counter() - started) * 1000)
            )
            raise
        request = response.request
        self.exchanges.append(
            Exchange(
                method=method,
                path=path,
                request_headers={k: ("<redacted>" if k.lower() in _REDACT else v) for k, v in request.headers.items()},
                request_body=_body(request.content, request.headers.get("content-type", "")),
                status=response.status_code,
                response_headers={
                    k: ("<redacted>" if k.lower() in _REDACT else v) for k, v in response.headers.items()
                },
                response_body=_body(response.content, response.headers.get("content-type", "")),
                elapsed_ms=(time.perf_counter() - started) * 1000,
            )
        )
        return response

    def take_exchanges(self) -> list[Exchange]:
        taken, self.exchanges = self.exchanges, []
        return taken

    def close(self) -> None:
        self.client.close()


def live_target(url: str, *, timeout_s: float) -> Target:
    return Target(httpx.Client(base_url=url, timeout=timeout_s), name=url, base_url=url)


def inprocess_target(app: Any, *, base_url: str = "http://localhost:8000") -> Target:
    import warnings

    with warnings.catch_warnings():
        # Starlette's TestClient still is the synchronous httpx.Client over an ASGI app; its httpx2 notice is noise.
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    # raise_server_exceptions=False: a crashing route must look to the suite exactly as a 500 would over HTTP.
    client = TestClient(app, base_url=base_url, raise_server_exceptions=False)
    return Target(client, name="inprocess", base_url=base_url)
