"""`fidoconf serve --flavour skfs`: the SKFS flavour's service accounts, HMAC keys, domains and envelope.

With `--skfs-config FILE` (TOML or JSON) they come from the file:

    envelope = "4.17"                 # or "4.16"
    server_id = 1
    [[domains]]
    did = 1
    challenge_window_s = 30
    [[service_accounts]]
    username = "svcfidouser"
    password = "Abcd1234!"
    roles = ["FIDO_REG", "FIDO", "FIDO_MONITOR"]
    [[hmac_keys]]
    access_key = "ak-example"
    secret_key = "<64 hex digits>"

Without it, one PASSWORD account `svcfidouser` and one HMAC key `fidoconf-hmac` are served, their secrets
generated once into the data directory (mode 0600), as the access key is; `fidoconf serve` prints where.
"""

from __future__ import annotations

import argparse
import json
import secrets
import tomllib
from pathlib import Path
from typing import Any

from fidoconf.verifier.rp.config import RPConfig, load_or_create_secret

DEFAULT_ACCOUNT = "svcfidouser"
DEFAULT_ROLES = ("FIDO_REG", "FIDO", "FIDO_MONITOR")
DEFAULT_HMAC_KEY = "fidoconf-hmac"
PASSWORD_FILE, HMAC_SECRET_FILE = "skfs-svcpassword", "skfs-hmac-secret"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--skfs-config",
        type=Path,
        help="skfs: TOML/JSON with envelope, server_id, domains, service_accounts, hmac_keys",
    )
    parser.add_argument("--skfs-envelope", choices=("4.16", "4.17"), help="skfs: response envelope (default 4.17)")
    parser.add_argument("--skfs-window", type=int, help="skfs: challenge window of the first domain, s (default 30)")


def _read(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    try:
        value = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"--skfs-config {path} does not parse: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError(f"--skfs-config {path} must hold a table/object")
    return value


def rp_settings(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    """RPConfig settings of the skfs flavour for these arguments (ValueError when the file is malformed)."""
    file = _read(args.skfs_config) if args.skfs_config else {}
    try:
        domains = [(int(d["did"]), int(d.get("challenge_window_s", 30))) for d in file.get("domains", [{"did": 1}])]
        if args.skfs_window:
            domains[0] = (domains[0][0], args.skfs_window)
        settings: dict[str, Any] = {
            "skfs_envelope": args.skfs_envelope or str(file.get("envelope", "4.17")),
            "skfs_server_id": int(file.get("server_id", 1)),
            "skfs_domains": tuple(domains),
        }
        if args.skfs_config:
            settings["skfs_service_accounts"] = tuple(
                (str(a["username"]), str(a["password"]), tuple(a.get("roles", DEFAULT_ROLES)))
                for a in file.get("service_accounts", [])
            )
            settings["skfs_hmac_keys"] = tuple(
                (str(k["access_key"]), str(k["secret_key"])) for k in file.get("hmac_keys", [])
            )
            return settings
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"--skfs-config {args.skfs_config}: {type(exc).__name__} {exc}") from None
    password, _ = load_or_create_secret(data_dir / PASSWORD_FILE, make=lambda: secrets.token_urlsafe(18))
    secret, _ = load_or_create_secret(data_dir / HMAC_SECRET_FILE, make=lambda: secrets.token_hex(32))
    settings["skfs_service_accounts"] = ((DEFAULT_ACCOUNT, password, DEFAULT_ROLES),)
    settings["skfs_hmac_keys"] = ((DEFAULT_HMAC_KEY, secret),)
    return settings


def describe(args: argparse.Namespace, config: RPConfig) -> list[str]:
    """What `fidoconf serve` prints about the skfs flavour: never a secret, only where it is kept."""
    if "skfs" not in config.flavours:
        return []
    domains = ", ".join(f"did {did} ({window} s challenge window)" for did, window in config.skfs_domains)
    lines = [f"skfs: POST /skfs/rest/...; envelope {config.skfs_envelope}; {domains}"]
    if args.skfs_config:
        accounts = ", ".join(name for name, _, _ in config.skfs_service_accounts) or "none"
        keys = ", ".join(key for key, _ in config.skfs_hmac_keys) or "none"
        lines.append(f"skfs service accounts ({accounts}) and HMAC keys ({keys}): from {args.skfs_config}")
        return lines
    data_dir = config.data_dir or Path(".")
    lines.append(
        f"skfs PASSWORD account: {DEFAULT_ACCOUNT} (roles {', '.join(DEFAULT_ROLES)}); "
        f"svcpassword stored in {data_dir / PASSWORD_FILE}"
    )
    lines.append(f"skfs HMAC access key: {DEFAULT_HMAC_KEY}; secret key (hex) stored in {data_dir / HMAC_SECRET_FILE}")
    return lines
