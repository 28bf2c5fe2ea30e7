"""Nevis Authentication Cloud flavour: enroll → _app/attestation/result → status → introspect (API.md).

REST endpoints (`/api/v1/...`, `/ping`) authenticate with the Bearer access key and answer errors with HTTP
codes; the browser/app-facing ceremony endpoints (`/_app/...`) carry no Bearer, are bound by the token in the
body, and always answer 200 with `status` ok or failed plus the code of the refusal.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from ..errors import Code, VerificationError, fail
from . import ceremony
from .context import RPContext
from .errors import RpCode
from .http import ApiError, authenticate, is_access_key, parse_json_object, read_body, rest_form_body, rest_json_body
from .nevis_requests import MAX_AUTHENTICATOR_NAME, EnrollRequest, parse_enroll, parse_intent, parse_rename
from .nevis_views import (
    app_link,
    authenticator_json,
    ceremony_failed,
    ceremony_ok,
    qr_code,
    status_json,
    transaction_token,
    unknown_status_json,
    user_json,
)
from .store import SUCCEEDED, StoreConflict, Transaction, User

FLAVOUR = "nevis-cloud"
log = logging.getLogger("fidoconf.rp")
#: Members of the attestation request that are not part of the PublicKeyCredential itself.
_ENVELOPE_FIELDS = ("statusToken", "userFriendlyName", "userAgent")


def _ctx(request: Request) -> RPContext:
    return request.app.state.rp


def ceremony_endpoint(handler: Callable[[Request, RPContext], Awaitable[Response]]):
    """200 + status failed for every refusal, including the ones nobody anticipated."""

    @wraps(handler)
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request, _ctx(request))
        except VerificationError as exc:
            return ceremony_failed(exc.code, exc.message)
        except Exception:
            log.exception("ceremony endpoint %s failed unexpectedly", request.url.path)
            return ceremony_failed(Code.INTERNAL_UNEXPECTED, "internal error")

    return endpoint


# --- REST: enrollment ------------------------------------------------------------------------------------


async def enroll(request: Request) -> Response:
    ctx = _ctx(request)
    principal = authenticate(request, ctx, allow_intent=True)
    req = parse_enroll(await rest_json_body(request, ctx))
    user, is_new = _resolve_user(ctx, req.username, req.user_id, display_name=req.display_name)
    consume = None
    if principal.kind == "intent":
        _check_intent(principal.claims, req, user)
        consume = (principal.claims["jti"], "intent", principal.claims.get("exp"))
    registered = [] if is_new else ctx.store.list_authenticators(user.user_id)
    limit = ctx.config.authenticator_limit
    if limit is not None and len(registered) >= limit:
        raise ApiError(422, f"the user already has {len(registered)} of {limit} allowed authenticators")
    challenge = ceremony.new_challenge(ctx)
    options = ceremony.creation_options(
        ctx,
        # docs/server_apis.md §1.1: user.id is base64url of the userId string and user.name is the userId.
        user_handle=user.user_id.encode("ascii"),
        user_name=user.user_id,
        display_name=req.display_name or user.display_name or user.username or user.user_id,
        challenge=challenge,
        authenticator_selection=req.authenticator_selection,
        attestation=req.attestation,
        exclude=registered,
    )
    tx = ceremony.new_transaction(
        ctx, user=user, challenge=challenge, options=options, flavour=FLAVOUR, channel=req.channel
    )
    body = user_json(user, registered)
    body["enrollment"] = _enrollment(ctx, tx, req)
    # Rendered before the write: once the transaction is committed, nothing is left that could fail the request.
    response = JSONResponse(body)
    try:
        ctx.store.start_transaction(
            tx, new_user=user if is_new else None, consume_jti=consume, limits=ceremony.pending_limits(ctx)
        )
    except StoreConflict as conflict:
        if conflict.code is RpCode.TOKEN_JTI_CONSUMED:
            raise ApiError(403, "the intent token was already used") from None
        if conflict.code is RpCode.TRANSACTION_PENDING_LIMIT_REACHED:
            raise ApiError(429, f"{conflict.message}; complete or abandon one first") from None
        raise ApiError(409, "the username was registered concurrently; retry") from None
    return response


def _enrollment(ctx: RPContext, tx: Transaction, req: EnrollRequest) -> dict[str, Any]:
    lifetime_s = ctx.config.registration_timeout_ms // 1000
    status_token = ctx.tokens.issue(
        "status", sub=tx.user_id, ttl_s=lifetime_s + ctx.config.status_token_grace_s, txn=tx.transaction_id
    )
    enrollment: dict[str, Any] = {"transactionId": tx.transaction_id, "statusToken": status_token}
    if req.channel == "fido2":
        # Both spellings: the docs show `relyingParty`, the official samples decode `rp`.
        enrollment["credentialCreationOptions"] = {**tx.options, "relyingParty": tx.options["rp"]}
        return enrollment
    dispatch = ctx.tokens.issue("dispatch", sub=tx.user_id, ttl_s=lifetime_s, txn=tx.transaction_id)
    link = app_link(ctx, dispatch)
    enrollment["qrCode"] = qr_code(link)
    enrollment["appLinkUri"] = link
    return enrollment


def _check_intent(claims: dict[str, Any], req: EnrollRequest, user: User) -> None:
    """An intent token authorises one enrollment of the user and channels it names, nothing else."""
    if claims.get("operation") != "enroll" or req.channel not in (claims.get("channels") or ()):
        raise ApiError(403, "the intent token does not cover this operation or channel")
    wanted_id, wanted_name = claims.get("userId"), claims.get("username")
    if (wanted_id and user.user_id != wanted_id) or (wanted_name and user.username != wanted_name):
        raise ApiError(403, "the intent token was issued for another user")


def _resolve_user(
    ctx: RPContext, username: str | None, user_id: str | None, *, display_name: str | None
) -> tuple[User, bool]:
    if user_id is not None:
        user = ctx.store.get_user(user_id)
        if user is None or user.realm != FLAVOUR:
            raise ApiError(404, "no user with this userId")
        if username is not None and user.username != username:
            raise ApiError(409, "userId and username name different users")
        return user, False
    assert username is not None
    user = ctx.store.find_user(FLAVOUR, username)
    if user is not None:
        return user, False
    now = ctx.now()
    user = User(ceremony.new_id(), username, now, now, realm=FLAVOUR, display_name=display_name)
    return user, True


# --- ceremony: app channel and attestation ---------------------------------------------------------------


@ceremony_endpoint
async def dispatch_redeem(request: Request, ctx: RPContext) -> Response:
    """App channel: trade the QR code's one-time dispatch token for the creation options and statusToken."""
    body = parse_json_object(await read_body(request, limit=ctx.config.max_body_bytes))
    claims = ctx.tokens.decode(body.get("dispatchToken"), kinds=("dispatch",))
    tx = _transaction_of(ctx, claims)
    ceremony.require_pending(ctx, tx)
    try:
        tx = ctx.store.redeem_transaction(
            tx.transaction_id, jti=claims["jti"], expires_at=claims.get("exp"), now=ctx.now()
        )
    except StoreConflict as conflict:
        raise fail(conflict.code, conflict.message) from None
    status_token = ctx.tokens.issue(
        "status", sub=tx.user_id, ttl_s=_remaining_s(ctx, tx) + ctx.config.status_token_grace_s, txn=tx.transaction_id
    )
    return ceremony_ok(
        transactionId=tx.transaction_id,
        statusToken=status_token,
        credentialCreationOptions={**tx.options, "relyingParty": tx.options["rp"]},
    )


@ceremony_endpoint
async def attestation_result(request: Request, ctx: RPContext) -> Response:
    body = parse_json_object(await read_body(request, limit=ctx.config.max_body_bytes))
    claims = ctx.tokens.decode(body.get("statusToken"), kinds=("status",))
    tx = ceremony.require_pending(ctx, _transaction_of(ctx, claims))
    name, user_agent = _optional_text(body, "userFriendlyName"), _optional_text(body, "userAgent")
    credential = {k: v for k, v in body.items() if k not in _ENVELOPE_FIELDS}
    # attestation-ref documents `id` without `rawId`; a browser's toJSON() sends both. Without rawId, id is it.
    if "rawId" not in credential and "id" in credential:
        credential["rawId"] = credential["id"]
    if tx.channel == "app" and tx.redeemed_at is None:
        message = "the app channel completes only after its dispatch token was redeemed"
        ctx.store.fail_transaction(
            tx.transaction_id, code=RpCode.TRANSACTION_DISPATCH_NOT_REDEEMED, message=message, now=ctx.now()
        )
        raise fail(RpCode.TRANSACTION_DISPATCH_NOT_REDEEMED, message)
    await ceremony.finish_registration_in_route(ctx, tx, credential, name=name, user_agent=user_agent)
    done = ctx.store.get_transaction(tx.transaction_id)
    return ceremony_ok(token=transaction_token(ctx, done) if done else "")


def _transaction_of(ctx: RPContext, claims: dict[str, Any]) -> Transaction:
    tx = ctx.store.get_transaction(str(claims.get("txn")))
    if tx is None or tx.flavour != FLAVOUR or tx.user_id != claims.get("sub"):
        raise fail(RpCode.TRANSACTION_ID_UNKNOWN, "the token names no live transaction")
    return tx


def _remaining_s(ctx: RPContext, tx: Transaction) -> int:
    return max(0, int((tx.expires_at - ctx.now()).total_seconds()))


def _optional_text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_AUTHENTICATOR_NAME * 4:
        raise fail(RpCode.REQUEST_BODY_INVALID, f"{name} must be a string")
    return value[:MAX_AUTHENTICATOR_NAME] if name == "userFriendlyName" else value


# --- REST: status, introspection, intent --------------------------------------------------------------------


async def status(request: Request) -> Response:
    ctx = _ctx(request)
    body = await rest_json_body(request, ctx)
    token = body.get("statusToken")
    if not isinstance(token, str) or not token:
        raise ApiError(400, "statusToken is required")
    try:
        tx = _transaction_of(ctx, ctx.tokens.decode(token, kinds=("status",)))
    except VerificationError:
        # status-ref: "unknown: unknown transaction" — an invalid, expired or foreign token names none.
        return JSONResponse(unknown_status_json())
    tx = ceremony.expire_if_due(ctx, tx)
    return JSONResponse(status_json(ctx, tx, ctx.store.get_user(tx.user_id)))


async def introspect(request: Request) -> Response:
    ctx = _ctx(request)
    authenticate(request, ctx)
    token = (await rest_form_body(request, ctx)).get("token")
    if not token:
        raise ApiError(400, "token is required")
    return JSONResponse(_introspection(ctx, token))


def _introspection(ctx: RPContext, token: str) -> dict[str, Any]:
    """RFC 7662 §2.2: active plus the token's claims, or only `active: false` (no hint of why)."""
    inactive = {"active": False}
    if is_access_key(ctx, token):
        try:
            claims = ctx.tokens.decode(token, kinds=("access",))
        except VerificationError:  # a key given on the command line, not a JWT of ours
            claims = {"iss": ctx.config.base_url, "aud": "api", "sub": "access-key", "scope": "api", "kind": "access"}
        return _active(claims)
    try:
        claims = ctx.tokens.decode(token, kinds=("intent", "status", "transaction", "dispatch"))
    except VerificationError:
        return inactive
    kind, now = claims["kind"], ctx.now()
    if kind in ("intent", "dispatch") and ctx.store.jti_consumed(claims["jti"]):
        return inactive
    if kind in ("status", "transaction", "dispatch"):
        tx = ctx.store.get_transaction(str(claims.get("txn")))
        if tx is None or tx.user_id != claims.get("sub"):
            return inactive
        # The transaction token is consumable: the first introspection spends it (API.md, "Tokens").
        if kind == "transaction" and (
            tx.status != SUCCEEDED
            or not ctx.store.consume_jti(claims["jti"], "transaction", expires_at=claims.get("exp"), now=now)
        ):
            return inactive
    if kind == "intent" and claims.get("userId") and ctx.store.get_user(claims["userId"]) is None:
        return inactive
    return _active(claims)


def _active(claims: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"active": True, "token_type": claims.get("kind")}
    for name in ("iat", "exp", "sub", "aud", "iss", "jti", "scope"):
        if name in claims:
            body[name] = claims[name]
    if "txn" in claims:
        body["transactionId"] = claims["txn"]
    return body


async def intent(request: Request) -> Response:
    ctx = _ctx(request)
    authenticate(request, ctx)
    req = parse_intent(await rest_json_body(request, ctx))
    user_id = req.user_id
    if user_id is not None:
        user = ctx.store.get_user(user_id)
        if user is None or user.realm != FLAVOUR or (req.username is not None and user.username != req.username):
            raise ApiError(404, "no user with this userId (and username)")
    claims: dict[str, Any] = {"operation": req.operation, "channels": list(req.channels)}
    if user_id:
        claims["userId"] = user_id
    if req.username:
        claims["username"] = req.username
    ttl = ctx.config.intent_token_ttl_s
    token = ctx.tokens.issue("intent", sub=user_id or req.username or "", ttl_s=ttl, **claims)
    return JSONResponse({"intentToken": token, "expiresIn": ttl, **claims})


# --- REST: users and authenticators ---------------------------------------------------------------------------


def _user_or_404(ctx: RPContext, user_id: str) -> User:
    user = ctx.store.get_user(user_id)
    if user is None or user.realm != FLAVOUR:
        raise ApiError(404, "no user with this userId")
    return user


async def get_user(request: Request) -> Response:
    ctx = _ctx(request)
    authenticate(request, ctx)
    user = _user_or_404(ctx, request.path_params["user_id"])
    return JSONResponse(user_json(user, ctx.store.list_authenticators(user.user_id)))


async def delete_user(request: Request) -> Response:
    ctx = _ctx(request)
    authenticate(request, ctx)
    user = _user_or_404(ctx, request.path_params["user_id"])
    if not ctx.store.delete_user(user.user_id):
        raise ApiError(404, "no user with this userId")
    return Response(status_code=204)


async def patch_authenticator(request: Request) -> Response:
    ctx = _ctx(request)
    authenticate(request, ctx)
    name = parse_rename(await rest_json_body(request, ctx))
    authenticator_id = request.path_params["authenticator_id"]
    if not _visible_authenticator(ctx, authenticator_id):
        raise ApiError(404, "no authenticator with this id")
    renamed = ctx.store.rename_authenticator(authenticator_id, name, now=ctx.now())
    if renamed is None:
        raise ApiError(404, "no authenticator with this id")
    return JSONResponse(authenticator_json(renamed))


async def delete_authenticator(request: Request) -> Response:
    ctx = _ctx(request)
    authenticate(request, ctx)
    authenticator_id = request.path_params["authenticator_id"]
    if not _visible_authenticator(ctx, authenticator_id) or not ctx.store.delete_authenticator(
        authenticator_id, now=ctx.now()
    ):
        raise ApiError(404, "no authenticator with this id")
    return Response(status_code=204)


def _visible_authenticator(ctx: RPContext, authenticator_id: str) -> bool:
    found = ctx.store.get_authenticator(authenticator_id)
    owner = ctx.store.get_user(found.user_id) if found else None
    return owner is not None and owner.realm == FLAVOUR


async def ping(request: Request) -> Response:
    authenticate(request, _ctx(request))
    return PlainTextResponse("PONG")


def routes() -> list[BaseRoute]:
    return [
        Route("/api/v1/users/enroll", enroll, methods=["POST"]),
        Route("/api/v1/status", status, methods=["POST"]),
        Route("/api/v1/introspect", introspect, methods=["POST"]),
        Route("/api/v1/intent", intent, methods=["POST"]),
        Route("/api/v1/users/{user_id}", get_user, methods=["GET"]),
        Route("/api/v1/users/{user_id}", delete_user, methods=["DELETE"]),
        Route("/api/v1/authenticators/{authenticator_id}", patch_authenticator, methods=["PATCH"]),
        Route("/api/v1/authenticators/{authenticator_id}", delete_authenticator, methods=["DELETE"]),
        Route("/_app/attestation/result", attestation_result, methods=["POST"]),
        Route("/_app/dispatch/redeem", dispatch_redeem, methods=["POST"]),
        Route("/ping", ping, methods=["GET"]),
    ]
