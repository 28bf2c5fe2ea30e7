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
from .authenticator.mutations import Mutation, registry
from .config import SuiteConfig
from .profiles import Ceremony, Profile, Submission, profile_for
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


class TargetUnreachable(Exception):
    pass


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
    _tempdir: Any = None
    #: Positive controls already run, by base: a negative case means something only if its base is accepted.
    base_verdicts: dict[tuple, Submission] = field(default_factory=dict)

    @classmethod
    def create(cls, config: SuiteConfig) -> Environment:
        pki_seed = config.extra.get("pki_seed") or f"fidoconf-run-{secrets.token_hex(8)}"
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
        try:
            profile.probe()
        except (httpx.HTTPError, OSError) as exc:
            target.close()
            raise TargetUnreachable(f"{config.target}: {exc}") from None
        target.take_exchanges()
        return cls(config, target, profile, pki, tempdir)

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
            seed=seed or f"suite/{secrets.token_hex(12)}",
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
            _, _, submission = self.register(variant=variant, alg=alg, **options)
            self.base_verdicts[key] = submission
        return self.base_verdicts[key]
