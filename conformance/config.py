"""What the suite needs to know about a target: where it is, which API flavour, its RP identity and secrets,
and the capabilities it declares. Sources, later ones winning: defaults, a JSON/TOML file
(`--fidoconf-config`), environment variables (FIDOCONF_*), command-line options."""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

PROFILES = ("nevis-cloud", "fido-server", "skfs")

#: Capabilities every flavour of the embedded reference RP declares.
_REFERENCE_COMMON = frozenset(
    {
        "error-codes",  # failures carry fidoconf's verifier code (errorCode), so negative tests check the reason
        "trusts-suite-ca",  # the server trusts `fidoconf trust export` anchors, so packed x5c / u2f bases verify
        "fmt:none",
        "fmt:packed",
        "fmt:fido-u2f",
        "fmt:tpm",
        "fmt:android-key",
        "alg:optional",  # accepts the optional algorithms (PS*, RS384/512, ES384/512, Ed448, ML-DSA, ES256K)
        "user-verification",
    }
)

#: What the embedded reference RP declares, per flavour: everything the suite can test there. A live target
#: declares its own in the config file (`capabilities = [...]`); these are only the in-process defaults.
REFERENCE_CAPABILITIES: dict[str, frozenset[str]] = {
    "nevis-cloud": _REFERENCE_COMMON | {"nevis:intent", "nevis:management", "nevis:app-channel"},
    # options:extensions: echoes and checks seed 002's extensions; fido-server:cookie-session: a result is bound by the
    # options answer's cookie alone (the FIDO tool's way); nevisfido:*: fido2SessionId + status service, the
    # displayName-less authentication rule of the shared options path, and the 405/406/415 answers.
    "fido-server": _REFERENCE_COMMON
    | {
        "raw-id-required",
        "options:extensions",
        "fido-server:cookie-session",
        "nevisfido:session",
        "nevisfido:combined-options",
        "nevisfido:http-errors",
    },
    # skfs:challenge-timeout: the timeout case waits out a challenge window (seconds in-process; ~36 s on SKFS).
    "skfs": _REFERENCE_COMMON | {"raw-id-required", "skfs:challenge-timeout"},
}


@dataclass(frozen=True)
class SuiteConfig:
    target: str = "inprocess"
    profile: str = "nevis-cloud"
    rp_id: str = "localhost"
    origin: str = "http://localhost:8000"
    access_key: str | None = None
    #: fido-server: path prefix ("" for the FIDO tool's API, "/nevisfido/fido2" for nevisFIDO).
    prefix: str = ""
    #: None means the reference RP's own set for the profile (REFERENCE_CAPABILITIES).
    capabilities: frozenset[str] | None = None
    strict: bool = False
    timeout_s: float = 15.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def inprocess(self) -> bool:
        return self.target == "inprocess"

    def has(self, capability: str) -> bool:
        declared = self.capabilities if self.capabilities is not None else REFERENCE_CAPABILITIES[self.profile]
        return capability in declared


#: Keys a config file may hold besides SuiteConfig's fields: tables and values the profiles and the in-process
#: reference RP read (SuiteConfig.extra).
EXTRA_KEYS: dict[str, str] = {
    "pki_seed": "the seed `fidoconf trust export` printed, so the suite rebuilds the PKI the server trusts",
    "skfs": "the [skfs] table: service credentials and domain (profiles/skfs.py, SkfsSettings)",
    "rp": "in-process only: RPConfig settings for the embedded reference RP",
}

#: Every scalar key can come from the environment as FIDOCONF_<KEY> (capabilities comma-separated); the tables
#: (`skfs`, `rp`) only from a config file.
ENV_KEYS: tuple[str, ...] = (
    "target", "profile", "rp_id", "origin", "access_key", "prefix", "capabilities", "strict", "timeout_s", "pki_seed",
)  # fmt: skip

_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "target": (str,), "profile": (str,), "rp_id": (str,), "origin": (str,), "access_key": (str,), "prefix": (str,),
    "strict": (bool,), "timeout_s": (int, float), "pki_seed": (str,), "skfs": (dict,), "rp": (dict,),
}  # fmt: skip


class ConfigError(ValueError):
    pass


def known_keys() -> list[str]:
    return sorted(set(SuiteConfig.__dataclass_fields__) - {"extra"} | set(EXTRA_KEYS))


def load(
    *,
    file: str | None = None,
    overrides: dict[str, Any] | None = None,
    defaults: dict[str, Any] | None = None,
    environ=os.environ,
) -> SuiteConfig:
    """Later sources win: `defaults` (e.g. pytest ini values), the file, FIDOCONF_* variables, `overrides`."""
    values: dict[str, Any] = {k: v for k, v in (defaults or {}).items() if v is not None}
    file = file or environ.get("FIDOCONF_CONFIG")
    if file:
        values.update(_read_file(Path(file)))
    values.update(_from_environ(environ))
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    _check_keys(values)
    fields = set(SuiteConfig.__dataclass_fields__)
    extra = {k: v for k, v in values.items() if k not in fields}
    values = {k: v for k, v in values.items() if k in fields}
    if "capabilities" in values:
        values["capabilities"] = frozenset(values["capabilities"])
    config = SuiteConfig()
    config = replace(config, **values, extra={**config.extra, **extra})
    if config.profile not in PROFILES:
        raise ConfigError(f"unknown profile {config.profile!r}; known: {', '.join(PROFILES)}")
    if not config.inprocess and not config.target.startswith(("http://", "https://")):
        raise ConfigError(f"target must be 'inprocess' or an http(s) URL, not {config.target!r}")
    return config


def _from_environ(environ) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in ENV_KEYS:
        text = environ.get(f"FIDOCONF_{key.upper()}")
        if not text:
            continue
        if key == "capabilities":
            values[key] = [part.strip() for part in text.split(",") if part.strip()]
        elif key == "strict":
            values[key] = text.strip().lower() not in ("0", "false", "no", "off")
        elif key == "timeout_s":
            try:
                values[key] = float(text)
            except ValueError:
                raise ConfigError(f"FIDOCONF_TIMEOUT_S must be a number of seconds, not {text!r}") from None
        else:
            values[key] = text
    return values


def _check_keys(values: dict[str, Any]) -> None:
    """An unknown key is a typo until proven otherwise: ignoring `capabilites` would run the suite with the
    reference server's capabilities instead of the target's."""
    known = known_keys()
    for key, value in values.items():
        if key not in known:
            near = difflib.get_close_matches(str(key), known, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else f"; known keys: {', '.join(known)}"
            raise ConfigError(f"unknown config key {key!r}{hint}")
        if key == "capabilities":
            if not isinstance(value, list | tuple | set | frozenset) or not all(isinstance(c, str) for c in value):
                raise ConfigError("config key 'capabilities' must be a list of strings")
            continue
        allowed = _FIELD_TYPES.get(key)
        # bool is an int: `timeout_s = true` must not pass as one second.
        if allowed and (not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed)):
            names = " or ".join(t.__name__ for t in allowed)
            raise ConfigError(f"config key {key!r} must be {names}, not {type(value).__name__}")


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from None
    try:
        return tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"config {path} does not parse: {exc}") from None
