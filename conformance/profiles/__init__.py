"""Profiles: how one API flavour enrolls, hands out creation options, takes an attestation, reports status.

A suite test speaks only this interface, so every flavour-independent case (Resp-1..Resp-8 analogues) runs
against every flavour; a flavour's own behaviour (Nevis token lifecycle, SKFS service auth) has its own suite.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..config import SuiteConfig
from ..targets import Target
from .server_bytes import ServerBytes, server_bytes


@dataclass
class Ceremony:
    """One registration in flight: the options the server issued and how to refer back to them."""

    options: dict[str, Any]
    challenge: bytes
    rp_id: str
    username: str
    user_id: str | None
    #: The flavour's binding of result to options (Nevis statusToken, fido2SessionId, SKFS txid ...).
    handle: dict[str, Any] = field(default_factory=dict)
    raw: Any = None
    #: The challenge as the server spelled it (None when the ceremony was not built from a server's answer).
    challenge_sent: ServerBytes | None = None


@dataclass
class Submission:
    """What the server answered to an attestation: accepted or not, and why (when it says)."""

    accepted: bool
    code: str | None
    message: str
    http_status: int
    body: Any


class ProfileError(AssertionError):
    """The server broke the flavour's protocol (unexpected status, missing field): a conformance failure."""


def random_username(prefix: str = "fc") -> str:
    return f"{prefix}_{secrets.token_hex(6)}"


class Profile:
    name = "abstract"
    schema_dir = ""
    #: The reference RP's built-in reason map (regex on code + message -> fidoconf code), `reasons = "reference"`.
    reference_reasons: dict[str, str] | None = None

    def __init__(self, config: SuiteConfig, target: Target) -> None:
        self.config = config
        self.target = target
        #: Where new user names come from; the environment points it at the run seed.
        self.names: Callable[[str], str] = random_username

    def username(self, prefix: str = "fc") -> str:
        return self.names(prefix)

    def challenge_of(self, options: dict[str, Any]) -> ServerBytes:
        """The options' challenge in whichever base64 spelling the server used (profiles/server_bytes.py); a loose
        spelling is noted on the exchange that carried it, so the case report shows what the server sent."""
        read = server_bytes(options.get("challenge"), field="challenge")
        if read.loose and self.target.exchanges:
            self.target.exchanges[-1].notes.append(read.note("challenge"))
        return read

    def probe(self) -> httpx.Response:
        """One request that needs the configured credentials; raises httpx/OS errors when the target cannot be
        reached at all. The answer's status tells the preflight whether the credentials were accepted."""
        raise NotImplementedError

    def start_registration(
        self,
        *,
        username: str | None = None,
        display_name: str | None = None,
        attestation: str | None = "direct",
        authenticator_selection: dict[str, Any] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> Ceremony:
        raise NotImplementedError

    def finish_registration(self, ceremony: Ceremony, credential: dict[str, Any]) -> Submission:
        raise NotImplementedError

    def status(self, ceremony: Ceremony) -> str:
        raise NotImplementedError


def profile_for(config: SuiteConfig, target: Target) -> Profile:
    from .fido_server import FidoServerProfile
    from .nevis_cloud import NevisCloudProfile
    from .skfs import SkfsProfile

    profiles: dict[str, type[Profile]] = {"nevis-cloud": NevisCloudProfile}
    profiles["fido-server"] = FidoServerProfile
    profiles["skfs"] = SkfsProfile
    try:
        return profiles[config.profile](config, target)
    except KeyError:
        raise ProfileError(f"profile {config.profile!r} is not available yet") from None
