"""`fidoconf serve`: the reference relying party under uvicorn, on a real socket, with a SQLite database.

Prints the base URL and where the access key comes from, then serves until interrupted. `--port 0` picks a
free port; the printed URL is the one actually bound (the socket is bound before uvicorn starts, so the URL is
reachable the moment it is printed).
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from fidoconf.verifier.policy import PRESETS
from fidoconf.verifier.rp import FLAVOURS, RPConfig, create_app
from fidoconf.verifier.rp.config import DURABILITY, load_or_create_secret
from fidoconf.verifier.rp.tokens import TokenService

from . import serve_connections, serve_skfs, serve_snippet

ENV_ACCESS_KEY = "FIDOCONF_ACCESS_KEY"
ENV_DATA_DIR = "FIDOCONF_DATA_DIR"

EPILOG = """\
examples:
  fidoconf trust export ./trust && fidoconf serve --port 8000 --trust-dir ./trust
  fidoconf serve --flavour fido-server --prefix /nevisfido/fido2 --access-key=-2tjX...   # a key starting with '-'

It prints the URL, a `fidoconf run` config for this server (saved in the data dir) and the command to run it.
exit codes: 0 stopped by a signal; 2 the address cannot be bound or the settings are invalid.
"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "serve", help="run the reference relying party (uvicorn)", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to bind; 0 picks a free one (default 8000)")
    p.add_argument(
        "--data-dir", type=Path, help=f"keys and database (default: --db's folder, ${ENV_DATA_DIR}, ./.fidoconf)"
    )
    p.add_argument("--db", help="SQLite file (default DATA_DIR/rp.sqlite3; ':memory:' keeps nothing)")
    p.add_argument(
        "--durability", choices=DURABILITY, default="process",
        help="process (default): an acknowledged registration survives the server being killed; full: also a power "
        "cut (an fsync per commit)",
    )
    p.add_argument("--rp-id", default="localhost", help="WebAuthn RP ID (default localhost)")
    p.add_argument("--rp-name", default="fidoconf reference RP")
    p.add_argument("--origin", action="append", default=[], help="accepted origin (repeatable)")
    p.add_argument(
        "--public-url", help="URL clients reach the server at (token iss, appLinkUri); default the bound URL"
    )
    p.add_argument(
        "--access-key", help=f"Bearer access key (default ${ENV_ACCESS_KEY}, else generated once and stored)"
    )
    p.add_argument("--flavour", action="append", choices=sorted(FLAVOURS), help="API flavour(s) to mount")
    p.add_argument(
        "--prefix", default="", help="fido-server path prefix: '' for the FIDO tool's API (default), /nevisfido/fido2"
    )
    serve_skfs.add_arguments(p)
    p.add_argument("--policy", default="strict", choices=sorted(PRESETS), help="verifier policy preset")
    p.add_argument("--trust-dir", action="append", default=[], help="PEM attestation trust anchors (repeatable)")
    p.add_argument("--timeout-ms", type=int, default=120_000, help="registration timeout in ms (default 120000)")
    p.add_argument("--authenticator-limit", type=int, default=10, help="authenticators per user; 0 = no limit")
    p.add_argument("--max-body-bytes", type=int, default=256 * 1024)
    serve_connections.add_arguments(p)
    p.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    return p


def run(args: argparse.Namespace, *, listener: Callable[[str, int], socket.socket] | None = None) -> int:
    """Serve until a signal. `listener` binds the socket (default `bind_listener`); `fidoconf bench --rp` passes
    the pre-fix one to measure its peer."""
    import uvicorn

    try:
        sock = (listener or bind_listener)(args.host, args.port)
    except OSError as exc:
        print(f"fidoconf serve: cannot bind {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    base_url = (args.public_url or f"http://{host}:{port}").rstrip("/") + "/"
    try:
        config, key_source = build_config(args, base_url=base_url, port=port)
        connections = serve_connections.settings_of(args)
        app = create_app(config)
    except (OSError, ValueError) as exc:
        print(f"fidoconf serve: {exc}", file=sys.stderr)
        sock.close()
        return 2
    print(f"fidoconf reference RP ({', '.join(config.flavours)}) listening on {base_url}", flush=True)
    print(f"rp id: {config.rp_id}; origins: {', '.join(config.origins)}", flush=True)
    print(f"database: {config.db_path}", flush=True)
    print(f"access key: {key_source}", flush=True)
    for line in serve_skfs.describe(args, config):
        print(line, flush=True)
    for line in serve_snippet.describe(config, base_url=base_url, data_dir=_data_dir(args)):
        print(line, flush=True)
    serve_connections.install_accept_error_filter()
    server = uvicorn.Server(serve_connections.uvicorn_config(app, connections, log_level=args.log_level))
    server.run(sockets=[sock])
    return 0


def bind_listener(host: str, port: int) -> socket.socket:
    """The listening socket, created with IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted connections only when
    the listener's proto says TCP, and without it every keep-alive response's second write waits ~40 ms for the
    client's delayed ACK (Nagle)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    # A restart on the same port right after a crash must not wait for TIME_WAIT sockets to clear.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _data_dir(args: argparse.Namespace) -> Path:
    if args.data_dir:
        return args.data_dir
    if args.db and args.db != ":memory:":
        return Path(args.db).resolve().parent
    return Path(os.environ.get(ENV_DATA_DIR) or ".fidoconf")


def build_config(args: argparse.Namespace, *, base_url: str, port: int) -> tuple[RPConfig, str]:
    """The RPConfig for these arguments, and a sentence saying where the access key comes from."""
    data_dir = _data_dir(args)
    token_hex, _ = load_or_create_secret(data_dir / "token-key", make=lambda: secrets.token_hex(32))
    token_key = bytes.fromhex(token_hex)
    db_path = args.db or str(data_dir / "rp.sqlite3")
    if args.access_key:
        access_key, source = args.access_key, "given by --access-key"
    elif os.environ.get(ENV_ACCESS_KEY):
        access_key, source = os.environ[ENV_ACCESS_KEY], f"given by ${ENV_ACCESS_KEY}"
    else:
        path = data_dir / "access-key"
        # Like the Nevis console's keys, the generated key is a JWT (aud "api"), so introspection can show it.
        tokens = TokenService(token_key, base_url, _utc_now)
        access_key, created = load_or_create_secret(
            path, make=lambda: tokens.issue("access", sub="fidoconf-api-client", ttl_s=None)
        )
        source = (
            f"{'generated and stored in' if created else 'read from'} {path} (send it as 'Authorization: Bearer <key>')"
        )
    origins = tuple(args.origin) or (_default_origin(args.rp_id, port),)
    config = RPConfig(
        rp_id=args.rp_id,
        rp_name=args.rp_name,
        origins=origins,
        access_keys=(access_key,),
        token_key=token_key,
        issuer=base_url,
        data_dir=data_dir,
        db_path=db_path,
        durability=args.durability,
        flavours=tuple(args.flavour or ("nevis-cloud",)),
        registration_timeout_ms=args.timeout_ms,
        authenticator_limit=args.authenticator_limit or None,
        max_body_bytes=args.max_body_bytes,
        policy=args.policy,
        trust_dirs=tuple(args.trust_dir),
        fido_server_prefix=args.prefix.rstrip("/"),
        **(serve_skfs.rp_settings(args, data_dir) if "skfs" in (args.flavour or ()) else {}),
    )
    return config, source


def _default_origin(rp_id: str, port: int) -> str:
    # A browser on this machine reaches a localhost RP over plain http; any other RP ID is served over https.
    return f"http://localhost:{port}" if rp_id == "localhost" else f"https://{rp_id}"


def _utc_now():
    from datetime import UTC, datetime

    return datetime.now(UTC)
