"""What a credential is built from and what it comes out as: the stages, the `Build` every hook and format builder
reads, authenticatorData parts and the finished `CredentialBundle`.

Its own module so the format builders (formats_*/) and the registry (formats.py) depend on these types without
depending on `authenticator.make_credential`, which depends on them: the import graph stays acyclic.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from .ca import ChainProfile, TestPKI
from .keys import SigningKey

#: Stages in build order; a hook at a stage before "signature" is signed over.
STAGES = (
    "params",
    "client_data",
    "client_data_json",
    "cose_key",
    "cose_key_bytes",
    "auth_data",
    "auth_data_bytes",
    "x5c",
    "signed_data",
    "signature",
    "att_stmt",
    "attestation_object",
    "attestation_object_bytes",
    "credential",
)
SIGNED_STAGES = frozenset(STAGES[: STAGES.index("signature")])

FLAG_UP, FLAG_UV, FLAG_BE, FLAG_BS, FLAG_AT, FLAG_ED = 0x01, 0x04, 0x08, 0x10, 0x40, 0x80

Hook = Callable[[Any, "Build"], Any]
#: How a builder runs a stage: stage(name, value, build) -> the value a hook made of it (or the value).
Stage = Callable[[str, Any, "Build"], Any]


class MutationLike(Protocol):
    hooks: Mapping[str, Hook]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(slots=True)
class AuthDataParts:
    """authenticatorData fields (#sctn-authenticator-data) before serialisation."""

    rp_id_hash: bytes
    flags: int
    sign_count: int
    aaguid: bytes
    credential_id: bytes
    credential_public_key: bytes
    extensions: bytes | None = None
    #: None: the real length of credential_id.
    credential_id_length: int | None = None
    include_attested_data: bool = True
    trailing: bytes = b""

    def encode(self) -> bytes:
        out = self.rp_id_hash + bytes([self.flags]) + self.sign_count.to_bytes(4, "big")
        if self.include_attested_data:
            length = len(self.credential_id) if self.credential_id_length is None else self.credential_id_length
            out += self.aaguid + length.to_bytes(2, "big") + self.credential_id + self.credential_public_key
        if self.extensions is not None:
            out += self.extensions
        return out + self.trailing


@dataclass(slots=True)
class Build:
    """Everything a mutation hook or a format builder may read or change while the credential is being made."""

    rp_id: str
    origin: str
    challenge: bytes
    variant: str
    alg_name: str
    seed: str
    pki: TestPKI
    credential_key: SigningKey
    attestation_key: SigningKey | None
    chain_profile: ChainProfile
    flags: int
    credential_id: bytes
    aaguid: bytes
    sign_count: int = 0
    extensions: Any = None
    transports: tuple[str, ...] = ("internal",)
    cose_map: Any = None
    auth_data: bytes = b""
    client_data_json: bytes = b""
    x5c: list[bytes] = field(default_factory=list)
    #: The format builder's own shape (TpmShape, AndroidKeyShape, or the stage edits of safetynet/apple/compound);
    #: None: the builder's valid default. A mutation sets it at the `params` stage.
    statement_options: Any = None
    #: The moment the authenticator (and for SafetyNet, Google's service) acts; None: the vectors' VERIFY_AT.
    now: datetime | None = None

    def serial(self, what: str) -> int:
        """A certificate serial number that is a function of this authenticator and what it is for."""
        digest = hashlib.sha256(f"{self.variant}/{self.alg_name}/{self.seed}/{what}".encode()).digest()
        return int.from_bytes(digest[:8], "big") >> 1


@dataclass(frozen=True, slots=True)
class StatementInput:
    """What a format builder signs over: the finished authenticatorData parts and the client data hash."""

    parts: AuthDataParts
    client_data_hash: bytes
    #: Runs a named stage's hook (for the packed / fido-u2f builders' signed_data and signature stages).
    stage: Stage


@dataclass(frozen=True, slots=True)
class CredentialBundle:
    """The credential JSON and the parts it was made of (for tests and for rebuilding)."""

    credential: dict[str, Any]
    variant: str
    fmt: str
    alg_name: str
    client_data_json: bytes
    auth_data: bytes
    cose_key: bytes
    att_stmt: dict[str, Any]
    attestation_object: bytes
    credential_key: SigningKey
    attestation_key: SigningKey | None
    x5c: tuple[bytes, ...]


def with_leaf(build: Build, **changes: Any) -> Build:
    """Helper for certificate mutations: change one LeafProfile field of the build's chain."""
    build.chain_profile = replace(build.chain_profile, leaf=replace(build.chain_profile.leaf, **changes))
    return build
