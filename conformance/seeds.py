"""The run seed: every user name, credential id and key a run makes is derived from it.

A run against a long-lived server must not collide with the last one (a constant credential id is "already
registered" the second time), and a failing case must be reproducible: so names and credential seeds are fresh
per run, yet a function of (run seed, case, how many the case asked for). Keying by case rather than by order
keeps the derivation independent of how xdist spreads the cases over workers.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from collections.abc import Iterator


def new_seed() -> str:
    return secrets.token_hex(8)


class RunSeed:
    def __init__(self, seed: str) -> None:
        self.seed = seed
        self._scope = "session"
        self._counts: dict[str, int] = {}

    def begin(self, scope: str) -> None:
        """Start deriving for one case (its stable ID): its values do not depend on the cases run before it."""
        self._scope, self._counts = scope, {}

    @contextlib.contextmanager
    def scoped(self, label: str) -> Iterator[None]:
        """Derive within a sub-scope of the case for a while (the positive control it triggers), so the case's own
        values do not depend on whether that control had already run on this worker."""
        saved = self._scope, self._counts
        self.begin(f"{self._scope}/{label}")
        try:
            yield
        finally:
            self._scope, self._counts = saved

    def token(self, label: str, *, nbytes: int = 6) -> str:
        count = self._counts.get(label, 0)
        self._counts[label] = count + 1
        message = f"{self._scope}\x00{label}\x00{count}".encode()
        return hmac.new(self.seed.encode(), message, hashlib.sha256).hexdigest()[: 2 * nbytes]

    def username(self, prefix: str = "fc") -> str:
        return f"{prefix}_{self.token(f'user/{prefix}')}"

    def credential_seed(self) -> str:
        """The authenticator seed of one credential: its key and credential id (authenticator.make_credential)."""
        return f"suite/{self.token('credential', nbytes=12)}"
