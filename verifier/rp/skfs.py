"""StrongKey FIDO Server (SKFS) REST flavour: `POST /skfs/rest/{preregister, register, getkeysinfo, updatekeyinfo,
deregister, ping}`, each with a `{svcinfo, payload}` body (seed 001, docs/server_apis.md §3, API.md).

Every call is validated in SKFS's order: the body, `svcinfo` (400 + FIDO-ERR-004x), the presence of `payload`
(FIDO-ERR-0047), the service credential (401, empty body), then the payload's fields (400 + their FIDO-ERR
code). There is no ceremony handle: like SKFS, the reference keeps one session per challenge, keyed by the
challenge's SHA-256, and finds it again from the credential's own client data.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import wraps
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from ..encoding import b64url_decode
from ..errors import Code, VerificationError, fail
from . import ceremony
from .config import RPConfig
from .context import RPContext
from .errors import RpCode
from .http import is_json_media_type, media_type, parse_json_object, read_body
from .skfs_auth import (
    HMAC,
    ServiceInfo,
    SkfsError,
    Unauthorized,
    check_hmac,
    check_password,
    parse_svcinfo,
    validate_settings,
)
from .skfs_requests import KeyId, bad, parse_keyid, parse_preregister, parse_register, parse_update, payload_of
from .skfs_requests import username_of as payload_username
from .skfs_views import (
    ENVELOPES,
    MSG_DEREGISTER,
    MSG_GETKEYSINFO,
    MSG_PREREGISTER,
    MSG_REGISTER,
    MSG_UPDATEKEYINFO,
    ceremony_error,
    failure,
    key_json,
    new_txid,
    ping_text,
    success,
    unauthorized,
)
from .store import Authenticator, StoreConflict, Transaction, User

FLAVOUR = "skfs"
BASE = "/skfs/rest"
log = logging.getLogger("fidoconf.rp")


@dataclass(frozen=True, slots=True)
class Call:
    """One authenticated SKFS request: who called (svcinfo), what they sent, and the TXID of the answer."""

    ctx: RPContext
    svcinfo: ServiceInfo
    payload: dict[str, Any] | None
    txid: str

    @property
    def did(self) -> int:
        return self.svcinfo.did

    @property
    def config(self) -> RPConfig:
        return self.ctx.config


def realm(did: int) -> str:
    """Usernames are per cryptographic domain."""
    return f"{FLAVOUR}/{did}"


def session_id(challenge: bytes) -> str:
    """SKFS keys its registration session by SHA-256(challenge) (docs/server_apis.md §4); so does the transaction id."""
    return f"{FLAVOUR}-{hashlib.sha256(challenge).hexdigest()}"


def challenge_window_s(config: RPConfig, did: int) -> int:
    return dict(config.skfs_domains)[did]


# --- the envelope of every operation ----------------------------------------------------------------------


async def _json_body(request: Request, ctx: RPContext) -> tuple[bytes, dict[str, Any]]:
    """The body as received (what the HMAC content hash covers) and the JSON object it holds."""
    declared = media_type(request)
    if declared is not None and not is_json_media_type(declared):
        raise SkfsError(415, "FIDO-ERR-0020", f"FIDO-ERR-0020: Invalid request parameters: {declared} is not JSON")
    try:
        raw = await read_body(request, limit=ctx.config.max_body_bytes)
        return raw, parse_json_object(raw)
    except VerificationError as exc:
        if exc.code is RpCode.REQUEST_BODY_TOO_LARGE:
            raise SkfsError(413, "FIDO-ERR-0027", f"FIDO-ERR-0027: Too long argument : {exc.message}") from None
        raise SkfsError(400, "FIDO-ERR-5011", "FIDO-ERR-5011: Json could not be parsed", code=exc.code) from None


def _request_uri(request: Request) -> str:
    # The server signs getRequestURI() (the path as sent, undecoded) plus "?query" when there is one.
    path = request.scope.get("raw_path") or request.url.path.encode("utf-8")
    query = request.url.query
    return path.decode("latin-1") + (f"?{query}" if query else "")


def _authorize(
    request: Request, ctx: RPContext, svcinfo: ServiceInfo, payload: Any, operation: str, *, body: bytes
) -> None:
    config = ctx.config
    if svcinfo.authtype == HMAC:
        check_hmac(
            headers=request.headers,
            method=request.method,
            request_uri=_request_uri(request),
            payload=payload,
            keys=dict(config.skfs_hmac_keys),
            now=ctx.now(),
            check_signature=config.skfs_hmac_signature_check,
            body=body,
            accept_payload_hash=config.skfs_hmac_payload_hash,
            replays=request.app.state.skfs_replays,
        )
        return
    check_password(svcinfo, accounts=config.skfs_service_accounts, operation=operation)


def operation(name: str, *, payload_required: bool = True):
    """Route `handler(call)` behind body, svcinfo and credential checks; every refusal in the configured envelope."""

    def wrap(handler: Callable[[Call], Awaitable[Response]]):
        @wraps(handler)
        async def endpoint(request: Request) -> Response:
            ctx: RPContext = request.app.state.rp
            txid = new_txid(ctx.config, ctx.now())
            try:
                raw, body = await _json_body(request, ctx)
                svcinfo = parse_svcinfo(body.get("svcinfo"), domains=dict(ctx.config.skfs_domains))
                payload = payload_of(body, required=payload_required)
                _authorize(request, ctx, svcinfo, payload, name, body=raw)
                return await handler(Call(ctx, svcinfo, payload, txid))
            except Unauthorized as exc:
                log.info("skfs %s refused with 401: %s", name, exc)
                return unauthorized()
            except SkfsError as exc:
                return failure(ctx.config, exc, txid=txid)
            except VerificationError as exc:
                return failure(ctx.config, ceremony_error(exc), txid=txid)
            except Exception:
                log.exception("skfs %s failed unexpectedly", name)
                error = SkfsError(
                    500, "FIDO-ERR-0001", "FIDO-ERR-0001: Caught an exception", code=Code.INTERNAL_UNEXPECTED
                )
                return failure(ctx.config, error, txid=txid)

        return endpoint

    return wrap


# --- registration -------------------------------------------------------------------------------------------


@operation("preregister")
async def preregister(call: Call) -> Response:
    ctx, did = call.ctx, call.did
    assert call.payload is not None
    req = parse_preregister(call.payload)
    user, is_new = _user_for_registration(ctx, did, req.username)
    registered = [] if is_new else ctx.store.list_authenticators(user.user_id)
    window = challenge_window_s(call.config, did)
    challenge = ceremony.new_challenge(ctx)
    options = ceremony.creation_options(
        ctx,
        # The user handle is random for a new user and the same for every later registration (docs/server_apis.md §3.1).
        user_handle=uuid.UUID(user.user_id).bytes,
        user_name=req.username,
        display_name=req.displayname,
        challenge=challenge,
        authenticator_selection=req.authenticator_selection,
        attestation=req.attestation,
        exclude=registered,
        extensions=req.extensions or None,
    )
    # SKFS 4.7 sends no timeout; the reference states its challenge window, which it enforces.
    options["timeout"] = window * 1000
    tx = ceremony.new_transaction(ctx, user=user, challenge=challenge, options=options, flavour=FLAVOUR, channel="rest")
    tx = replace(
        tx,
        transaction_id=session_id(challenge),
        expires_at=tx.created_at + timedelta(seconds=window),
        data={"did": did, "displayname": req.displayname, "appTXID": req.app_txid},
    )
    # Rendered before the write: once the transaction is committed, nothing is left that could fail the request.
    response = success(
        call.config, response=options, response_code=MSG_PREREGISTER, txid=call.txid, app_txid=req.app_txid
    )
    try:
        ctx.store.start_transaction(tx, new_user=user if is_new else None, limits=ceremony.pending_limits(ctx))
    except StoreConflict as conflict:
        if conflict.code is RpCode.TRANSACTION_PENDING_LIMIT_REACHED:
            # No SKFS code says "too many sessions"; 429 with FIDO-ERR-0001 and fidoconf's code (API.md).
            raise SkfsError(429, "FIDO-ERR-0001", f"FIDO-ERR-0001: {conflict.message}", code=conflict.code) from None
        raise bad("FIDO-ERR-0001", "Caught an exception: the username was registered concurrently; retry") from None
    return response


def _user_for_registration(ctx: RPContext, did: int, username: str) -> tuple[User, bool]:
    user = ctx.store.find_user(realm(did), username)
    if user is not None:
        return user, False
    now = ctx.now()
    return User(ceremony.new_id(), username, now, now, realm=realm(did)), True


@operation("register")
async def register(call: Call) -> Response:
    ctx, did = call.ctx, call.did
    assert call.payload is not None
    req = parse_register(call.payload)
    if req.origin not in call.config.origins:
        # SKFS compares strongkeyMetadata.origin with the domain's configured origin ("Invalid Origin: x != y").
        raise bad("FIDO-ERR-2001", f"FIDO 2 Error Message : Invalid Origin: {req.origin} != {call.config.origins[0]}")
    user = ctx.store.find_user(realm(did), req.username)
    tx = ceremony.require_pending(ctx, _session(ctx, did, user, req.credential))
    data = {
        "skfs": {
            "did": did,
            "createLocation": req.create_location,
            "origin": req.origin,
            "metadataVersion": req.version,
            "modifyLocation": None,
        }
    }
    authenticator = await ceremony.finish_registration_in_route(
        ctx,
        tx,
        req.credential,
        name=tx.data.get("displayname"),
        user_agent=None,
        data=data,
    )
    return success(
        call.config,
        response="Successfully processed registration response",
        response_code=MSG_REGISTER,
        txid=call.txid,
        app_txid=req.app_txid,
        pkixValidated=authenticator.trusted,
    )


def _claimed_challenge(credential: dict[str, Any]) -> bytes | None:
    """The challenge the client data names, or None when it cannot be read (the verifier says why, later)."""
    try:
        client_data = json.loads(b64url_decode(credential["response"]["clientDataJSON"], field="clientDataJSON"))
        return b64url_decode(client_data["challenge"], field="challenge")
    except (VerificationError, ValueError, KeyError, TypeError, RecursionError):
        return None


def _session(ctx: RPContext, did: int, user: User | None, credential: dict[str, Any]) -> Transaction:
    """The session the credential answers: by its challenge; otherwise the user's newest pending one, so a
    credential over a challenge that was never issued is refused by the verifier as a challenge mismatch."""
    if user is None:
        raise fail(RpCode.TRANSACTION_ID_UNKNOWN, "no registration is pending for this username")
    claimed = _claimed_challenge(credential)
    tx = ctx.store.get_transaction(session_id(claimed)) if claimed else None
    if tx is not None and tx.flavour == FLAVOUR and tx.data.get("did") == did:
        if tx.user_id != user.user_id:
            raise bad("FIDO-ERR-0037", "Invalid username in the FIDO metadata.")
        return tx
    pending = ctx.store.find_pending_transaction(user.user_id, flavour=FLAVOUR)
    if pending is None:
        raise fail(RpCode.TRANSACTION_ID_UNKNOWN, "no registration is pending for this username")
    return pending


# --- key management -----------------------------------------------------------------------------------------


@operation("getkeysinfo")
async def getkeysinfo(call: Call) -> Response:
    assert call.payload is not None
    user = call.ctx.store.find_user(realm(call.did), payload_username(call.payload))
    found = call.ctx.store.list_authenticators(user.user_id) if user is not None else []
    keys = [key_json(call.config, call.did, a) for a in found]
    return success(call.config, response={"keys": keys}, response_code=MSG_GETKEYSINFO, txid=call.txid)


def _key(call: Call, keyid: KeyId) -> Authenticator:
    """The key a keyid names, if it was issued by this server in the caller's domain."""
    found = None
    if keyid.server == call.config.skfs_server_id and keyid.did == call.did:
        found = call.ctx.store.get_authenticator_by_seq(keyid.counter)
    owner = call.ctx.store.get_user(found.user_id) if found is not None else None
    if found is None or owner is None or owner.realm != realm(call.did):
        raise bad("FIDO-ERR-0022", "User key couldn't be fetched based on keyid", code=None)
    return found


@operation("updatekeyinfo")
async def updatekeyinfo(call: Call) -> Response:
    assert call.payload is not None
    keyid, update = parse_update(call.payload)
    key = _key(call, keyid)
    data = {**key.data, "skfs": {**(key.data.get("skfs") or {}), "modifyLocation": update.modify_location}}
    updated = call.ctx.store.update_authenticator(
        key.authenticator_id, name=update.displayname, state=update.status.lower(), data=data, now=call.ctx.now()
    )
    if updated is None:
        raise bad("FIDO-ERR-0022", "User key couldn't be fetched based on keyid", code=None)
    return success(
        call.config,
        response="Successfully updated user registered security key",
        response_code=MSG_UPDATEKEYINFO,
        txid=call.txid,
    )


@operation("deregister")
async def deregister(call: Call) -> Response:
    assert call.payload is not None
    key = _key(call, parse_keyid(call.payload))
    if not call.ctx.store.delete_authenticator(key.authenticator_id, now=call.ctx.now()):
        raise bad("FIDO-ERR-0022", "User key couldn't be fetched based on keyid", code=None)
    return success(call.config, response="Successfully deleted", response_code=MSG_DEREGISTER, txid=call.txid)


@operation("ping", payload_required=False)
async def ping(call: Call) -> Response:
    return PlainTextResponse(ping_text(call.config, did=call.did, now=call.ctx.now()))


def _validate(config: RPConfig) -> None:
    if config.skfs_envelope not in ENVELOPES:
        raise ValueError(f"skfs_envelope must be one of {ENVELOPES}, not {config.skfs_envelope!r}")
    dids = [did for did, _ in config.skfs_domains]
    if not dids or len(set(dids)) != len(dids) or min(dids) < 1:
        raise ValueError("skfs_domains must name at least one domain, each once, with did >= 1")
    if any(window < 1 for _, window in config.skfs_domains):
        raise ValueError("skfs_domains: every challenge window must be at least 1 s")
    if config.skfs_server_id < 1:
        raise ValueError("skfs_server_id must be at least 1")
    validate_settings(accounts=config.skfs_service_accounts, keys=config.skfs_hmac_keys)


def routes(config: RPConfig) -> list[BaseRoute]:
    _validate(config)
    handlers = {
        "preregister": preregister,
        "register": register,
        "getkeysinfo": getkeysinfo,
        "updatekeyinfo": updatekeyinfo,
        "deregister": deregister,
        "ping": ping,
    }
    return [Route(f"{BASE}/{name}", handler, methods=["POST"]) for name, handler in handlers.items()]
