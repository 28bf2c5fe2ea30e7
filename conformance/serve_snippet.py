"""What `fidoconf serve` hands its user: a `fidoconf run` config for the server it just started (with the access
key and, when the server trusts an exported test PKI, its seed), written next to the server's keys, and the
command line that uses it."""

from __future__ import annotations

import json
from pathlib import Path

from fidoconf.verifier.rp import RPConfig

CONFIG_NAME = "fidoconf-run.toml"


def _toml(value: object) -> str:
    # JSON strings are valid TOML basic strings (the same escapes), so a key with quotes or '\' stays intact.
    return json.dumps(value, ensure_ascii=False)


def run_config(config: RPConfig, *, base_url: str) -> str:
    profile = config.flavours[0]
    lines = [
        f"target = {_toml(base_url.rstrip('/'))}",
        f"profile = {_toml(profile)}",
        f"rp_id = {_toml(config.rp_id)}",
        f"origin = {_toml(config.origins[0])}",
    ]
    if profile == "nevis-cloud":
        lines.append(f"access_key = {_toml(config.access_keys[0])}")
    if profile == "fido-server":
        lines.append(f"prefix = {_toml(config.fido_server_prefix)}")
    seed = _pki_seed(config.trust_dirs)
    if seed:
        lines.append(f"pki_seed = {_toml(seed)}")
    else:
        lines.append("# no --trust-dir from `fidoconf trust export`: cases needing the suite's CA will fail; see README")
    if profile == "skfs":
        lines.append("# [skfs] svcusername/svcpassword: see the skfs lines above (README, 'Testing your server')")
    return "\n".join(lines) + "\n"


def _pki_seed(trust_dirs: tuple[str, ...]) -> str | None:
    for directory in trust_dirs:
        seed_file = Path(directory) / "pki-seed.txt"
        if seed_file.is_file():
            return seed_file.read_text(encoding="utf-8").strip() or None
    return None


def describe(config: RPConfig, *, base_url: str, data_dir: Path) -> list[str]:
    """The config snippet and the `fidoconf run` line, printed by `fidoconf serve`; the snippet is also saved."""
    text = run_config(config, base_url=base_url)
    path = data_dir / CONFIG_NAME
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)  # it holds the access key
        saved = f"config for `fidoconf run` (saved as {path}):"
    except OSError:
        saved = "config for `fidoconf run` (save it as a .toml file):"
    return [saved, *(f"  {line}" for line in text.splitlines()), f"run the suite: fidoconf run --config {path}"]
