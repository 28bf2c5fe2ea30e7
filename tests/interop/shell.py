"""The FIDO conformance API around a third-party verifier library: the HTTP part both interop RPs share.

`POST /attestation/options` and `POST /attestation/result`, a session bound by the cookie the options answer
sets (as the FIDO tool's own test server does), excludeCredentials filled with the user's credentials, the
request's attestation/authenticatorSelection/extensions echoed exactly (Req-1 P-1), duplicate credential ids
refused. Everything about the credential itself is the library's decision: `Library.begin` makes the options
and its state, `Library.complete` verifies (raising on refusal) and returns the credential id.
"""

from __future__ import annotations

import argparse
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

SESSION_COOKIE = "interop-session"


class Library(Protocol):
    def begin(self, *, username: str, display_name: str, user_verification: str, attestation: str,
              exclude: list[bytes]) -> tuple[dict[str, Any], Any]: ...

    def complete(self, state: Any, credential: dict[str, Any]) -> bytes: ...


@dataclass
class _State:
    pending: dict[str, tuple[str, Any]] = field(default_factory=dict)
    credential_ids: set[bytes] = field(default_factory=set)
    users: dict[str, list[bytes]] = field(default_factory=dict)


def failed(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"status": "failed", "errorMessage": message or "refused"}, status_code=status)


def create_app(library: Library) -> Starlette:
    state = _State()

    async def options(request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            return failed("body is not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("username"), str) or not body["username"]:
            return failed("username is required")
        if not isinstance(body.get("displayName"), str) or not body["displayName"]:
            return failed("displayName is required")
        selection = body.get("authenticatorSelection") if isinstance(body.get("authenticatorSelection"), dict) else {}
        uv = selection.get("userVerification")
        attestation = body.get("attestation")
        options_json, library_state = library.begin(
            username=body["username"], display_name=body["displayName"],
            user_verification=uv if uv in ("required", "preferred", "discouraged") else "preferred",
            attestation=attestation if attestation in ("none", "indirect", "direct", "enterprise") else "none",
            exclude=state.users.get(body["username"], []),
        )
        session = secrets.token_urlsafe(16)
        state.pending[session] = (body["username"], library_state)
        answer = {"status": "ok", "errorMessage": "", **options_json}
        for member in ("authenticatorSelection", "extensions", "attestation"):
            if member in body:
                answer[member] = body[member]
            else:
                answer.pop(member, None)
        response = JSONResponse(answer)
        response.set_cookie(SESSION_COOKIE, session, httponly=True)
        return response

    async def result(request: Request) -> JSONResponse:
        pending = state.pending.pop(request.cookies.get(SESSION_COOKIE, ""), None)
        if pending is None:
            return failed("no registration in progress for this session")
        username, library_state = pending
        try:
            credential = await request.json()
        except ValueError:
            return failed("body is not JSON")
        try:
            credential_id = library.complete(library_state, credential)
        except Exception as exc:  # noqa: BLE001 - whatever the library raises is its refusal
            return failed(f"{type(exc).__name__}: {exc}")
        if credential_id in state.credential_ids:
            return failed("credential id already registered")
        state.credential_ids.add(credential_id)
        state.users.setdefault(username, []).append(credential_id)
        return JSONResponse({"status": "ok", "errorMessage": ""})

    return Starlette(routes=[Route("/attestation/options", options, methods=["POST"]),
                             Route("/attestation/result", result, methods=["POST"])])


def serve(make_library: Callable[..., Library], argv: list[str] | None, prog: str) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--rp-id", default="localhost")
    parser.add_argument("--origin", default=None)
    parser.add_argument("--trust-root", action="append", default=[], help="PEM file of an attestation root")
    args = parser.parse_args(argv)
    library = make_library(rp_id=args.rp_id, origin=args.origin or f"http://localhost:{args.port}",
                           roots=[Path(p).read_bytes() for p in args.trust_root])
    uvicorn.run(create_app(library), host="127.0.0.1", port=args.port, log_level="warning")
    return 0


def as_json(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else value
