"""The reference RP as one Starlette app: every flavour's routes over one store, token service and verifier.

`create_app` is what `fidoconf serve` runs under uvicorn and what the suite mounts in-process (httpx ASGI
transport / starlette TestClient): the two differ only in transport.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from .. import verify_registration
from ..policy import Policy
from ..trust import TrustStore
from . import ceremony, fido_server, nevis_cloud, openapi, skfs
from .config import SQLITE_SYNCHRONOUS, RPConfig
from .context import RPContext, VerifyFn
from .http import ApiError, error_response
from .skfs_auth import ReplayCache
from .store import SqliteStore, Store
from .tokens import TokenService

log = logging.getLogger("fidoconf.rp")

#: Flavour name → its routes. An explicit table: a flavour is mounted only when the configuration names it.
FLAVOURS: dict[str, Callable[[RPConfig], list[BaseRoute]]] = {
    "nevis-cloud": lambda config: nevis_cloud.routes(),
    "fido-server": lambda config: fido_server.routes(config.fido_server_prefix),
    "skfs": lambda config: skfs.routes(config),
}


def _system_clock() -> datetime:
    return datetime.now(UTC)


def create_app(
    config: RPConfig,
    *,
    clock: Callable[[], datetime] | None = None,
    store: Store | None = None,
    verify: VerifyFn | None = None,
) -> Starlette:
    """Build the RP. `verify` defaults to `verifier.verify_registration`; negative controls pass a broken one."""
    unknown = [f for f in config.flavours if f not in FLAVOURS]
    if unknown:
        raise ValueError(f"unknown flavour(s) {unknown}; known: {sorted(FLAVOURS)}")
    clock = clock or _system_clock
    owns_store = store is None
    store = store if store is not None else SqliteStore(config.db_path, synchronous=SQLITE_SYNCHRONOUS[config.durability])
    policy = Policy.preset(config.policy)
    ctx = RPContext(
        config=config,
        store=store,
        tokens=TokenService(config.token_key, config.base_url, clock),
        clock=clock,
        policy=policy,
        trust=TrustStore.from_pem_paths(*config.trust_dirs) if config.trust_dirs else TrustStore.empty(),
        verify=verify or verify_registration,
        algorithms=ceremony.offered_algorithms(policy),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Expired state is swept at start-up (a restart after a flood starts clean) and then on a timer.
        await run_in_threadpool(_sweep, ctx)
        timer = asyncio.create_task(_sweep_forever(ctx)) if config.sweep_interval_s else None
        try:
            yield
        finally:
            if timer is not None:
                timer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await timer
            if owns_store:
                store.close()

    routes: list[BaseRoute] = []
    for flavour in config.flavours:
        routes.extend(FLAVOURS[flavour](config))
    routes.append(openapi.route(config))
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={ApiError: _api_error, HTTPException: _http_error, Exception: _server_error},
    )
    # No trailing-slash redirects: Starlette builds their Location from the client's Host header (an open redirect
    # for `/api/v1/status%2F` with `Host: evil.example`), and no client of these APIs needs one. A miss is a 404.
    app.router.redirect_slashes = False
    app.state.rp = ctx
    app.state.skfs_replays = ReplayCache()
    return app


def _sweep(ctx: RPContext) -> None:
    try:
        deleted = ceremony.sweep_expired(ctx)
    except Exception:  # a failed sweep must not stop the server; the next one retries
        log.exception("sweeping expired state failed")
        return
    if any(deleted.values()):
        log.info("swept expired state: %s", deleted)


async def _sweep_forever(ctx: RPContext) -> None:
    while True:
        await asyncio.sleep(ctx.config.sweep_interval_s)
        await run_in_threadpool(_sweep, ctx)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, headers=exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    # Routing's own 404 / 405 in the same envelope as every other REST error (405 keeps its Allow header).
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, exc.detail, headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal error")
