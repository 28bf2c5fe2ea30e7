"""What the suite needs to know about a target: where it is, which API flavour, its RP identity and secrets,
and the capabilities it declares. Sources, later ones winning: defaults, a JSON/TOML file
(`--fidoconf-config`), environment variables (FIDOCONF_*), command-line options."""

from __future__ import annotations

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
        "fmt:android-safetynet",
        "fmt:apple",
        "fmt:compound",
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


_ENV = {
    "FIDOCONF_TARGET": "target",
    "FIDOCONF_PROFILE": "profile",
    "FIDOCONF_RP_ID": "rp_id",
    "FIDOCONF_ORIGIN": "origin",
    "FIDOCONF_ACCESS_KEY": "access_key",
    "FIDOCONF_PREFIX": "prefix",
}


class ConfigError(ValueError):
    pass


def load(*, file: str | None = None, overrides: dict[str, Any] | None = None, environ=os.environ) -> SuiteConfig:
    values: dict[str, Any] = {}
    file = file or environ.get("FIDOCONF_CONFIG")
    if file:
        values.update(_read_file(Path(file)))
    for env, key in _ENV.items():
        if environ.get(env):
            values[key] = environ[env]
    if environ.get("FIDOCONF_STRICT"):
        values["strict"] = environ["FIDOCONF_STRICT"] not in ("0", "false", "")
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    config = SuiteConfig()
    known = set(SuiteConfig.__dataclass_fields__)
    extra = {k: v for k, v in values.items() if k not in known}
    values = {k: v for k, v in values.items() if k in known}
    if "capabilities" in values:
        values["capabilities"] = frozenset(values["capabilities"])
    config = replace(config, **values, extra={**config.extra, **extra})
    if config.profile not in PROFILES:
        raise ConfigError(f"unknown profile {config.profile!r}; known: {', '.join(PROFILES)}")
    if not config.inprocess and not config.target.startswith(("http://", "https://")):
        raise ConfigError(f"target must be 'inprocess' or an http(s) URL, not {config.target!r}")
    return config


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from None
    try:
        return tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"config {path} does not parse: {exc}") from None
