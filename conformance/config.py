"""What the suite needs to know about a target: where it is, which API flavour, its RP identity and secrets,
and the capabilities it declares. Sources, later ones winning: defaults, a JSON/TOML file
(`--fidoconf-config`), environment variables (FIDOCONF_*), command-line options."""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from collections.abc import Iterable
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

#: Every capability a target can declare, and what declaring it claims. A case that needs one the target did not
#: declare is SKIPPED with the reason; "!name" in a case's `requires` means the case holds only without it.
CAPABILITIES: dict[str, str] = {
    "error-codes": "refusals carry fidoconf's own code (errorCode), so negative cases check the exact code",
    "trusts-suite-ca": "trusts the `fidoconf trust export` anchors, so attested (packed x5c, u2f ...) bases verify",
    "fmt:*": "accepts this attestation format (fmt:none, fmt:packed, fmt:fido-u2f, fmt:tpm, fmt:android-key ...)",
    "alg:optional": "offers and accepts the optional algorithms (PS*, RS384/512, ES384/512, Ed448, ML-DSA, ES256K)",
    "user-verification": "honours authenticatorSelection.userVerification 'required' (refuses a UV-clear credential)",
    "raw-id-required": "requires rawId next to id in the credential",
    "cross-origin-iframe": "expects credentials created in cross-origin iframes (accepts crossOrigin / topOrigin)",
    "u2f:nonzero-aaguid": "accepts fido-u2f credentials whose AAGUID is not zero (a permissive policy; FIDO Resp-8 F-1 "
    "refuses them, so the case asking for that refusal is skipped)",
    "options:extensions": "echoes and checks the registration extension inputs of seed 002",
    "nevis:intent": "Nevis: POST /api/v1/intent and intent tokens",
    "nevis:users": "Nevis: GET and DELETE /api/v1/users/{id}",
    "nevis:authenticators": "Nevis: PATCH and DELETE /api/v1/authenticators/{id}",
    "nevis:authenticator-limit": "Nevis: enforces 'Allowed Authenticators per User' (config authenticator_limit)",
    "nevis:management": "Nevis: alias of nevis:users, nevis:authenticators and nevis:authenticator-limit",
    "nevis:app-channel": "Nevis: enroll channel 'app' (QR code, appLinkUri, dispatch token)",
    "fido-server:cookie-session": "FIDO conformance API: the options answer's cookie alone binds the result",
    "nevisfido:session": "nevisFIDO: fido2SessionId and the status service",
    "nevisfido:combined-options": "nevisFIDO: the shared options path's displayName-less authentication rule",
    "nevisfido:http-errors": "nevisFIDO: 405/406/415 answers",
    "skfs:challenge-timeout": "SKFS: the timeout case may wait out a challenge window",
}


def documented(capability: str) -> bool:
    name = capability.removeprefix("!")
    return name in CAPABILITIES or (name.startswith("fmt:") and "fmt:*" in CAPABILITIES)


#: Capabilities that stand for several: an old config's `nevis:management` meant every management route at once, but
#: servers have them separately (a user API without authenticator management, no per-user limit ...).
ALIASES: dict[str, frozenset[str]] = {
    "nevis:management": frozenset({"nevis:users", "nevis:authenticators", "nevis:authenticator-limit"}),
}


def expand_capabilities(declared: Iterable[str]) -> frozenset[str]:
    """The declared capabilities with every alias replaced by what it stands for (the alias itself stays)."""
    out = set(declared)
    for name in list(out):
        out |= ALIASES.get(name, frozenset())
    return frozenset(out)


#: What the embedded reference RP declares, per flavour: everything the suite can test there. A live target
#: declares its own in the config file (`capabilities = [...]`); these are only the in-process defaults.
REFERENCE_CAPABILITIES: dict[str, frozenset[str]] = {
    "nevis-cloud": _REFERENCE_COMMON
    | {"nevis:intent", "nevis:users", "nevis:authenticators", "nevis:authenticator-limit", "nevis:app-channel"},
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


def reference_capabilities(profile: str, *, policy: str = "strict") -> frozenset[str]:
    """What the embedded reference RP of `profile` declares when it runs under the verifier preset `policy`."""
    from fidoconf.verifier.policy import Policy

    declared = REFERENCE_CAPABILITIES[profile]
    if Policy.preset(policy).allow_cross_origin:
        # The preset accepts crossOrigin/topOrigin: this RP expects to be embedded in cross-origin iframes.
        declared |= {"cross-origin-iframe"}
    if not Policy.preset(policy).u2f_require_zero_aaguid:
        declared |= {"u2f:nonzero-aaguid"}
    return declared


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
    #: Refusal reasons (conformance/reasons.py): a table regex = fidoconf code, or "reference" for the flavour's
    #: built-in map; None: in-process the reference's map, live none (refusals are recorded, not verified).
    reasons: str | dict[str, str] | None = None
    #: The run seed (conformance/seeds.py): None means a fresh one, printed at start so the run can be repeated.
    seed: str | None = None
    timeout_s: float = 15.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def inprocess(self) -> bool:
        return self.target == "inprocess"

    def has(self, capability: str) -> bool:
        """Whether the target declared `capability`; "!name" asks that it did NOT declare `name` (a case that
        holds only for servers without a feature, e.g. one refusing crossOrigin when no iframe is expected)."""
        if capability.startswith("!"):
            return not self.has(capability[1:])
        declared = self.capabilities
        if declared is None:
            declared = reference_capabilities(self.profile, policy=self.extra.get("rp", {}).get("policy", "strict"))
        return capability in expand_capabilities(declared)


#: Keys a config file may hold besides SuiteConfig's fields: tables and values the profiles and the in-process
#: reference RP read (SuiteConfig.extra).
EXTRA_KEYS: dict[str, str] = {
    "pki_seed": "the seed `fidoconf trust export` printed, so the suite rebuilds the PKI the server trusts",
    "skfs": "the [skfs] table: service credentials and domain (profiles/skfs.py, SkfsSettings)",
    "rp": "in-process only: RPConfig settings for the embedded reference RP",
    "control": "in-process only: a deliberately broken reference RP variant (conformance/controls.py)",
    "policy": "fidoconf fuzz: the verifier policy preset the oracle judges the target by (default strict)",
    "fuzz_examples": "the FUZZ-* cases of fidoconf run: examples per run (default 60)",
    "fuzz_seed": "the FUZZ-* cases of fidoconf run: their seed (default 0)",
    "fuzz_slow_s": "the FUZZ-* cases of fidoconf run: seconds after which an answer counts as slow (default 5)",
}

#: Every scalar key can come from the environment as FIDOCONF_<KEY> (capabilities comma-separated); the tables
#: (`skfs`, `rp`) only from a config file.
ENV_KEYS: tuple[str, ...] = (
    "target", "profile", "rp_id", "origin", "access_key", "prefix", "capabilities", "strict", "timeout_s", "pki_seed",
    "seed", "reasons",
)  # fmt: skip

_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "target": (str,), "profile": (str,), "rp_id": (str,), "origin": (str,), "access_key": (str,), "prefix": (str,),
    "strict": (bool,), "timeout_s": (int, float), "pki_seed": (str,), "skfs": (dict,), "rp": (dict,),
    "seed": (str,), "reasons": (str, dict),
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
        values["capabilities"] = expand_capabilities(values["capabilities"])
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
