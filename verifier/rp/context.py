"""What every router of the reference RP shares: configuration, store, token service, clock, verifier inputs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..policy import Policy
from .config import RPConfig
from .store import Store
from .tokens import TokenService

#: The signature of `verifier.verify_registration`; negative-control variants of the RP substitute their own.
VerifyFn = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class RPContext:
    config: RPConfig
    store: Store
    tokens: TokenService
    clock: Callable[[], datetime]
    policy: Policy
    trust: Any
    verify: VerifyFn
    #: pubKeyCredParams offered, in order of preference: every algorithm the verifier accepts under `policy`.
    algorithms: tuple[int, ...]

    def now(self) -> datetime:
        return self.clock()
