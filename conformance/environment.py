"""The suite's world for one session: target, profile, test PKI and the virtual authenticator.

In-process, the reference RP is built here and told to trust this run's test PKI; live, the server was told
with `fidoconf trust export` (whose seed the config names as `pki_seed`, so the same PKI is rebuilt).
"""

from __future__ import annotations

import secrets
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from .authenticator.authenticator import CredentialBundle, make_credential
from .authenticator.ca import TestPKI, export_trust
from .authenticator.defects import registry
from .authenticator.mutations import Mutation
from .config import SuiteConfig
from .profiles import Ceremony, Profile, Submission, profile_for
from .reasons import ReasonMap, reason_map_for
from .seeds import RunSeed, new_seed
from .targets import Target, inprocess_target, live_target

#: Test authenticator models whose metadata and roots `fidoconf trust export` writes for a live server: one per
#: format the live suite makes (conformance/format_cases.py), each chaining to the exported test root.
TRUST_MODELS: tuple[tuple[str, str], ...] = (
    ("packed-x5c", "ES256"),
    ("packed-self", "ES256"),
    ("fido-u2f", "ES256"),
    ("tpm", "ES256"),
    ("tpm", "RS256"),
    ("android-key", "ES256"),
    ("android-safetynet", "ES256"),
    ("apple", "ES256"),
    ("compound", "ES256"),
)

ALG_NAMES = {
    -7: "ES256", -35: "ES384", -36: "ES512", -47: "ES256K", -9: "ESP256", -51: "ESP384", -52: "ESP512",
    -8: "EdDSA-Ed25519", -19: "Ed25519", -53: "Ed448", -257: "RS256", -258: "RS384", -259: "RS512", -65535: "RS1",
    -37: "PS256", -38: "PS384", -39: "PS512", -48: "ML-DSA-44", -49: "ML-DSA-65", -50: "ML-DSA-87",
}


class PreflightFailed(Exception):
    """The target cannot be tested at all; running the cases would only blame it for our setup."""


class TargetUnreachable(PreflightFailed):
    pass


class CredentialsRefused(PreflightFailed):
    """The target answered the probe with 401/403: a wrong access key or SKFS service credential would
    otherwise show up as hundreds of conformance FAILs."""


def preflight(config: SuiteConfig, profile: Profile) -> None:
    """Reachable, and (live) accepting the configured credentials."""
    try:
        response = profile.probe()
    except (httpx.HTTPError, OSError) as exc:
        raise TargetUnreachable(f"target unreachable: {config.target}: {exc}") from None
    if not config.inprocess and response.status_code in (401, 403):
        what = "service credentials ([skfs] svcusername/svcpassword or HMAC keys)" if config.profile == "skfs" else (
            "access key (access_key / FIDOCONF_ACCESS_KEY)")
        request = response.request
        raise CredentialsRefused(
            f"{config.target} refused the configured {what}: {request.method} {request.url.path} answered "
            f"{response.status_code}"
        )


def check_live_target(config: SuiteConfig) -> None:
    """The preflight on its own, for a live target: one request before any case runs."""
    target = live_target(config.target, timeout_s=config.timeout_s)
    try:
        preflight(config, profile_for(config, target))
    finally:
        target.close()


class _RecordingStore:
    """The RP's store, noting every challenge it issues (what a control that checks 'issued by us' consults)."""

    def __init__(self, inner: Any, issued: set[bytes]) -> None:
        self._inner, self._issued = inner, issued

    def start_transaction(self, transaction: Any, **kwargs: Any) -> None:
        self._inner.start_transaction(transaction, **kwargs)
        self._issued.add(transaction.challenge)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def reference_app(
    config: SuiteConfig, *, trust_dir: Path, access_key: str, control: str | None = None, db_path: str = ":memory:"
):
    """The reference RP as the suite mounts it in-process; `control` names a deliberately broken variant."""
    from fidoconf.verifier.rp.app import create_app
    from fidoconf.verifier.rp.config import RPConfig
    from fidoconf.verifier.rp.store import SqliteStore

    from .controls import CONTROL_RP_SETTINGS, CONTROLS

    issued: set[bytes] = set()
    store = _RecordingStore(SqliteStore(db_path), issued)
    verify = CONTROLS[control](issued) if control else None

    rp_config = RPConfig(
        rp_id=config.rp_id,
        origins=(config.origin,),
        access_keys=(access_key,),
        issuer=config.origin.rstrip("/") + "/",
        db_path=db_path,
        trust_dirs=(str(trust_dir),),
        flavours=(config.profile,),
        fido_server_prefix=config.prefix.rstrip("/"),
        # The flavour's own settings (SKFS service accounts and domains), a control's, then the caller's.
        **{**_flavour_settings(config), **CONTROL_RP_SETTINGS.get(control or "", {}), **config.extra.get("rp", {})},
    )
    return create_app(rp_config, verify=verify, store=store)


def _flavour_settings(config: SuiteConfig) -> dict[str, Any]:
    if config.profile == "skfs":
        from .profiles.skfs import reference_rp_settings

        return reference_rp_settings(config)
    return {}


@dataclass
class Environment:
    config: SuiteConfig
    target: Target
    profile: Profile
    pki: TestPKI
    #: Every user name, credential id and key of the run comes from here (conformance/seeds.py).
    seeds: RunSeed = field(default_factory=lambda: RunSeed(new_seed()))
    _tempdir: Any = None
    #: How to read the target's refusal reasons (conformance/reasons.py); None: refusals are not verified.
    reasons: ReasonMap | None = None
    #: Positive controls already run, by base: a negative case means something only if its base is accepted.
    base_verdicts: dict[tuple, Submission] = field(default_factory=dict)

    @classmethod
    def create(cls, config: SuiteConfig) -> Environment:
        seeds = RunSeed(config.seed or new_seed())
        # In-process the test PKI is the run's own too, so one seed reproduces the attestation certificates.
        pki_seed = config.extra.get("pki_seed") or f"fidoconf-run-{seeds.seed}"
        pki = TestPKI(seed=pki_seed)
        tempdir = None
        if config.inprocess:
            tempdir = tempfile.TemporaryDirectory(prefix="fidoconf-trust-")
            export_trust(tempdir.name, pki=pki, authenticators=list(TRUST_MODELS))
            access_key = config.access_key or secrets.token_urlsafe(32)
            config = replace(config, access_key=access_key)
            app = reference_app(
                config, trust_dir=Path(tempdir.name), access_key=access_key, control=config.extra.get("control")
            )
            target = inprocess_target(app, base_url=config.origin)
        else:
            target = live_target(config.target, timeout_s=config.timeout_s)
        profile = profile_for(config, target)
        profile.names = seeds.username
        try:
            preflight(config, profile)
        except PreflightFailed:
            target.close()
            raise
        target.take_exchanges()
        # In-process the target is the reference RP, whose reasons the flavour's built-in map reads.
        reasons = reason_map_for(
            config.reasons if config.reasons is not None or not config.inprocess else "reference",
            reference=profile.reference_reasons,
        )
        return cls(config, target, profile, pki, seeds, tempdir, reasons=reasons)

    def close(self) -> None:
        self.target.close()
        if self._tempdir is not None:
            self._tempdir.cleanup()

    # --- credentials -------------------------------------------------------------------------------------

    def credential(
        self,
        ceremony: Ceremony,
        *,
        variant: str = "packed-x5c",
        alg: str | int = "ES256",
        mutation: str | Mutation | None = None,
        origin: str | None = None,
        seed: str | None = None,
        **options: Any,
    ) -> CredentialBundle:
        """A fresh credential for the server's own challenge; `mutation` leaves exactly one defect."""
        if isinstance(mutation, str):
            mutation = registry()[mutation]
        # The moment the statement is made is now (SafetyNet's timestampMs), not the generated vectors' instant.
        options.setdefault("now", datetime.now(UTC))
        return make_credential(
            rp_id=ceremony.rp_id,
            origin=origin or self.config.origin,
            challenge=ceremony.challenge,
            fmt=variant,
            alg=ALG_NAMES.get(alg, alg) if isinstance(alg, int) else alg,
            seed=seed or self.seeds.credential_seed(),
            mutation=mutation,
            pki=self.pki,
            **options,
        )

    def register(
        self,
        *,
        variant: str = "packed-x5c",
        alg: str | int = "ES256",
        mutation: str | Mutation | None = None,
        attestation: str | None = "direct",
        authenticator_selection: dict[str, Any] | None = None,
        username: str | None = None,
        **options: Any,
    ) -> tuple[Ceremony, CredentialBundle, Submission]:
        ceremony = self.profile.start_registration(
            username=username, attestation=attestation, authenticator_selection=authenticator_selection
        )
        bundle = self.credential(ceremony, variant=variant, alg=alg, mutation=mutation, **options)
        return ceremony, bundle, self.profile.finish_registration(ceremony, bundle.credential)

    def base_accepted(self, variant: str, alg: str | int, **options: Any) -> Submission:
        """The positive control for a base (run once): is an undamaged credential of this kind accepted?"""
        key = (variant, alg, tuple(sorted(options.items())))
        if key not in self.base_verdicts:
            # Within the first case that needs it on this worker: each worker registers its own base credential
            # (one derived from the base alone would be 'already registered' on the second worker).
            with self.seeds.scoped(f"base/{key}"):
                _, _, submission = self.register(variant=variant, alg=alg, **options)
            self.base_verdicts[key] = submission
        return self.base_verdicts[key]
