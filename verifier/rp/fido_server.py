"""fido-server flavour: nevisFIDO's FIDO2 HTTP API and the FIDO Alliance conformance-test API (seed 002, API.md).

`POST {prefix}/attestation/options` → `POST {prefix}/attestation/result` → `POST {prefix}/status`, mounted under a
configurable prefix ("" for the FIDO tool, "/nevisfido/fido2" for nevisFIDO). The options answer names its session
twice: `fido2SessionId` in the body (nevisFIDO) and a session cookie (the FIDO tool only sends cookies back,
docs/fido_conformance.md §0.2); the result is bound to whichever arrives, the body's id first.

Errors: a ceremony failure is 200 + `status: "failed"` + a non-empty `errorMessage` and fidoconf's `errorCode`; a
wrong method is 405, an Accept without JSON 406, a body that is not application/json 415 (nevisFIDO's HTTP errors);
the status service answers a malformed body with 400. Nothing a client sends reaches a 500.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import wraps
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..encoding import b64url_encode
from ..errors import Code, VerificationError, fail
from . import ceremony
from .context import RPContext
from .errors import RpCode
from .extensions import check_outputs
from .fido_server_requests import (
    GetRequest,
    credential_of,
    optional_text,
    parse_options,
    session_id_of,
)
from .fido_server_views import failed, get_options, ok, status_body, unknown_status_body
from .http import media_type, parse_json_object, read_body
from .store import NEW_USER, StoreConflict, Transaction, User

FLAVOUR = "fido-server"
SESSION_COOKIE = "fido2SessionId"
#: Every method a route answers itself, so that all but POST get the flavour's own 405 body.
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_JSON_RANGES = frozenset({"*/*", "application/*", "application/json"})
log = logging.getLogger("fidoconf.rp")


def _http_refusal(request: Request) -> Response | None:
    """nevisFIDO's HTTP errors: 405 when the method is not POST, 415 when the body is not JSON, 406 when the client
    does not accept JSON. The request body is checked before the answer's negotiation."""
    if request.method != "POST":
        return failed(
            RpCode.REQUEST_METHOD_NOT_ALLOWED,
            f"{request.method} is not allowed; use POST",
            http_status=405,
            headers={"Allow": "POST"},
        )
    if not _is_json_utf8(request):
        declared = request.headers.get("content-type") or "no Content-Type"
        return failed(
            RpCode.REQUEST_CONTENT_TYPE_UNSUPPORTED,
            f"expected Content-Type application/json;charset=UTF-8, got {declared}",
            http_status=415,
        )
    accept = request.headers.get("accept")
    if accept and not _accepts_json(accept):
        return failed(
            RpCode.REQUEST_ACCEPT_UNSATISFIABLE, f"the answer is application/json; Accept is {accept}", http_status=406
        )
    return None


def _is_json_utf8(request: Request) -> bool:
    if media_type(request) != "application/json":
        return False
    for parameter in (request.headers.get("content-type") or "").split(";")[1:]:
        name, _, value = parameter.partition("=")
        # RFC 8259 §8.1: "JSON text exchanged between systems that are not part of a closed ecosystem MUST be
        # encoded using UTF-8"; a declared other charset is refused rather than guessed at.
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return False
    return True


def _accepts_json(accept: str) -> bool:
    """Whether an Accept header admits application/json with a non-zero quality (RFC 9110 §12.5.1)."""
    for item in accept.split(","):
        media_range, *parameters = item.split(";")
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        if media_range.strip().lower() in _JSON_RANGES and quality > 0:
            return True
    return False


def fido_endpoint(handler: Callable[[Request, RPContext], Awaitable[Response]]):
    """HTTP checks first; then 200 + failed for every ceremony refusal, including the ones nobody anticipated."""

    @wraps(handler)
    async def endpoint(request: Request) -> Response:
        refusal = _http_refusal(request)
        if refusal is not None:
            return refusal
        try:
            return await handler(request, request.app.state.rp)
        except VerificationError as exc:
            return failed(exc.code, exc.message)
        except Exception:
            log.exception("fido-server endpoint %s failed unexpectedly", request.url.path)
            return failed(Code.INTERNAL_UNEXPECTED, "internal error")

    return endpoint


# --- options -------------------------------------------------------------------------------------------------


@fido_endpoint
async def attestation_options(request: Request, ctx: RPContext) -> Response:
    req = parse_options(parse_json_object(await read_body(request, limit=ctx.config.max_body_bytes)))
    if isinstance(req, GetRequest):
        return JSONResponse(_get_options(ctx, req))
    user, is_new = _resolve_user(ctx, req.username, req.display_name)
    registered = [] if is_new else ctx.store.list_authenticators(user.user_id)
    limit = ctx.config.authenticator_limit
    if limit is not None and len(registered) >= limit:
        raise fail(
            RpCode.USER_AUTHENTICATORS_LIMIT_REACHED,
            f"the user already has {len(registered)} of {limit} allowed authenticators",
        )
    challenge = ceremony.new_challenge(ctx)
    options = ceremony.creation_options(
        ctx,
        # #sctn-user-handle-privacy: the user handle is the account's random UUID, never the username.
        user_handle=uuid.UUID(user.user_id).bytes,
        user_name=req.username,
        display_name=req.display_name,
        challenge=challenge,
        authenticator_selection=req.authenticator_selection or {},
        attestation=req.attestation,
        exclude=registered,
    )
    # FIDO Req-1 P-1 deep-equals authenticatorSelection and extensions with the request: echo them exactly, and
    # leave them out when the request had none.
    if req.authenticator_selection is None:
        options.pop("authenticatorSelection")
    if req.extensions is not None:
        options["extensions"] = req.extensions
    tx = ceremony.new_transaction(
        ctx, user=user, challenge=challenge, options=options, flavour=FLAVOUR, channel="fido2"
    )
    if is_new:
        # Anyone may ask for options: the user is created only when the ceremony succeeds (API.md, "Bounded state").
        planned = {"realm": FLAVOUR, "username": user.username, "displayName": user.display_name}
        tx = replace(tx, data={NEW_USER: planned})
    # Rendered before the write: once the transaction is committed, nothing is left that could fail the request.
    response = JSONResponse(ok(**options, fido2SessionId=tx.transaction_id))
    _set_session_cookie(response, ctx, tx)
    try:
        ctx.store.start_transaction(tx, limits=ceremony.pending_limits(ctx))
    except StoreConflict as conflict:
        raise fail(conflict.code, conflict.message) from None
    return response


def _get_options(ctx: RPContext, req: GetRequest) -> dict[str, Any]:
    # Seed 002: the options path "handles both registration and authentication ... determined automatically from the
    # content of the request". The reference answers the documented shape; it keeps no session for it, because it
    # serves no assertion result (API.md).
    return get_options(
        challenge=b64url_encode(ceremony.new_challenge(ctx)),
        timeout_ms=ctx.config.registration_timeout_ms,
        rp_id=ctx.config.rp_id,
        user_verification=req.user_verification,
        extensions=req.extensions,
    )


def _resolve_user(ctx: RPContext, username: str, display_name: str) -> tuple[User, bool]:
    """(user, is_new): the stored user, else the one a live ceremony already plans for `username` (one user handle
    for concurrent ceremonies), else a new plan."""
    user = ctx.store.find_user(FLAVOUR, username)
    if user is not None:
        return user, False
    now = ctx.now()
    planned = ctx.store.find_planned_user(FLAVOUR, username, now=now)
    if planned is not None:
        return replace(planned, display_name=display_name), True
    return User(ceremony.new_id(), username, now, now, realm=FLAVOUR, display_name=display_name), True


def _user_of(ctx: RPContext, tx: Transaction) -> User | None:
    """The transaction's user: stored, or still only planned by it."""
    user = ctx.store.get_user(tx.user_id)
    planned = tx.data.get(NEW_USER)
    if user is None and isinstance(planned, dict):
        return User(tx.user_id, planned.get("username"), tx.created_at, tx.updated_at, realm=FLAVOUR)
    return user


def _set_session_cookie(response: Response, ctx: RPContext, tx: Transaction) -> None:
    prefix = ctx.config.fido_server_prefix
    response.set_cookie(
        SESSION_COOKIE,
        tx.transaction_id,
        max_age=ctx.config.registration_timeout_ms // 1000 + ctx.config.status_token_grace_s,
        path=prefix or "/",
        httponly=True,
        secure=ctx.config.base_url.startswith("https://"),
        # No SameSite attribute: the FIDO tool does not send back a cookie whose SameSite it does not understand
        # (docs/fido_conformance.md §0.2, fido2-net-lib's SameSite=Unspecified).
        samesite=None,
    )


# --- result --------------------------------------------------------------------------------------------------


@fido_endpoint
async def attestation_result(request: Request, ctx: RPContext) -> Response:
    body = parse_json_object(await read_body(request, limit=ctx.config.max_body_bytes))
    session_id = session_id_of(body) or request.cookies.get(SESSION_COOKIE)
    if not session_id:
        raise fail(RpCode.TRANSACTION_ID_UNKNOWN, "no session: send the fido2SessionId or the session cookie")
    tx = ctx.store.get_transaction(session_id)
    if tx is None or tx.flavour != FLAVOUR:
        raise fail(RpCode.TRANSACTION_ID_UNKNOWN, "the fido2SessionId names no registration session")
    try:
        tx = ceremony.require_pending(ctx, tx)
        credential = credential_of(body)
        name, user_agent = optional_text(body, "userFriendlyName"), optional_text(body, "userAgent", limit=1024)
        await ceremony.finish_registration_in_route(
            _checking_extensions(ctx, tx),
            tx,
            credential,
            name=name,
            user_agent=user_agent,
        )
    except VerificationError as exc:
        # A session takes one attestation: whatever refused it also ends it (a no-op when it had already ended).
        ctx.store.fail_transaction(tx.transaction_id, code=exc.code, message=exc.message, now=ctx.now())
        return failed(exc.code, exc.message, session_id=tx.transaction_id)
    return JSONResponse(ok(fido2SessionId=tx.transaction_id))


def _checking_extensions(ctx: RPContext, tx: Transaction) -> RPContext:
    """The context whose verifier also checks the extension outputs against what this session's options asked."""
    verify = ctx.verify

    def verify_with_extensions(credential: dict[str, Any], **kwargs: Any) -> Any:
        result = verify(credential, **kwargs)
        check_outputs(
            requested=tx.options.get("extensions"),
            selection=tx.options.get("authenticatorSelection"),
            authenticator_outputs=result.extensions,
            client_outputs=result.client_extension_results,
        )
        return result

    return replace(ctx, verify=verify_with_extensions)


# --- status --------------------------------------------------------------------------------------------------


@fido_endpoint
async def status(request: Request, ctx: RPContext) -> Response:
    try:
        session_id = session_id_of(parse_json_object(await read_body(request, limit=ctx.config.max_body_bytes)))
        if session_id is None:
            raise fail(RpCode.REQUEST_BODY_INVALID, "fido2SessionId is required")
    except VerificationError as exc:
        # The status service's documented error: 400 when the JSON does not match its schema (docs/server_apis.md §2.0).
        return failed(exc.code, exc.message, http_status=413 if exc.code is RpCode.REQUEST_BODY_TOO_LARGE else 400)
    tx = ctx.store.get_transaction(session_id)
    if tx is None or tx.flavour != FLAVOUR:
        return JSONResponse(unknown_status_body(session_id))
    tx = ceremony.expire_if_due(ctx, tx)
    return JSONResponse(status_body(tx, _user_of(ctx, tx)))


def routes(prefix: str = "") -> list[BaseRoute]:
    return [
        Route(f"{prefix}/attestation/options", attestation_options, methods=_METHODS),
        Route(f"{prefix}/attestation/result", attestation_result, methods=_METHODS),
        Route(f"{prefix}/status", status, methods=_METHODS),
    ]
