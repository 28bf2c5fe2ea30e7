"""A fuzz session: the suite's Environment (in-process reference RP, a negative control, or a live URL) plus the
oracle's policy and trust, which are the target's: this run's test PKI root (what `fidoconf trust export` gives a
live server) and the policy preset the config names (`policy = "strict"` by default)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fidoconf.verifier import Policy, TrustStore

from ..authenticator.ca import export_trust
from ..config import SuiteConfig
from ..environment import TRUST_MODELS, Environment
from .oracle import Oracle


@contextmanager
def session(config: SuiteConfig, *, slow_s: float = 5.0) -> Iterator[Oracle]:
    env = Environment.create(config)
    try:
        yield oracle_for(env, slow_s=slow_s)
    finally:
        env.close()


def oracle_for(env: Environment, *, slow_s: float = 5.0) -> Oracle:
    """The oracle for an existing environment (the suite's session one, in the FUZZ cases)."""
    with tempfile.TemporaryDirectory(prefix="fidoconf-fuzz-trust-") as trust_dir:
        export_trust(trust_dir, pki=env.pki, authenticators=list(TRUST_MODELS))
        trust = TrustStore.from_pem_paths(str(Path(trust_dir) / "root.pem"))
    policy = Policy.preset(str(env.config.extra.get("policy", "strict")))
    return Oracle(env, policy=policy, trust=trust, slow_s=slow_s)
