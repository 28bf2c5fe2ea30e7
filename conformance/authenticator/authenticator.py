"""The virtual authenticator: a WebAuthn registration credential built stage by stage, one mutation applied.

`make_credential` plays authenticator and client together (#sctn-op-make-cred, #sctn-createCredential):
client data → COSE key → authenticatorData → x5c → signature → attStmt → attestationObject → credential JSON.
A mutation names the stage(s) it edits through `hooks`; because signing happens after every stage that feeds
the signed bytes, a defect in client data, the key or authData is signed over and is the only defect left.
Stages after `signature` (attStmt, the attestation object bytes, the JSON) are, by construction, not re-signed.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from . import cbor
from .ca import U2F_SUBJECT, ChainProfile, LeafProfile, TestPKI, aaguid_for
from .keys import SigningKey, derive_key

#: Format variants: the fmt, plus which packed attestation type.
FORMAT_VARIANTS = ("none", "packed-self", "packed-x5c", "fido-u2f")
FMT = {"none": "none", "packed-self": "packed", "packed-x5c": "packed", "fido-u2f": "fido-u2f"}
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
    """Everything a mutation hook may read or change while the credential is being made."""

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


def make_credential(
    *,
    rp_id: str,
    origin: str,
    challenge: bytes,
    fmt: str,
    alg: str,
    seed: str,
    user_verified: bool = False,
    backup_eligible: bool = False,
    backup_state: bool = False,
    mutation: MutationLike | None = None,
    pki: TestPKI | None = None,
    credential_id: bytes | None = None,
) -> CredentialBundle:
    """Make one registration credential. `fmt` is a format variant (FORMAT_VARIANTS), `alg` a keys.ALGS name.

    `seed` determines the credential key (and, unless `credential_id` is given, the credential id): one seed is
    one authenticator-held key, reusable across ceremonies.
    """
    if fmt not in FMT:
        raise ValueError(f"unknown format variant {fmt!r}; known: {', '.join(FORMAT_VARIANTS)}")
    if fmt == "fido-u2f" and alg != "ES256":
        raise ValueError("fido-u2f credentials are P-256 (ES256) only")
    hooks: Mapping[str, Hook] = mutation.hooks if mutation is not None else {}

    def stage(name: str, value: Any, build: Build) -> Any:
        hook = hooks.get(name)
        return hook(value, build) if hook is not None else value

    build = _initial_build(
        rp_id=rp_id, origin=origin, challenge=challenge, variant=fmt, alg_name=alg, seed=seed, pki=pki or TestPKI()
    )
    if credential_id is not None:
        build.credential_id = credential_id
    build.flags |= (FLAG_UV if user_verified else 0) | (FLAG_BE if backup_eligible else 0)
    build.flags |= FLAG_BS if backup_state else 0
    build = stage("params", build, build)

    client_data = stage("client_data", _client_data(build), build)
    build.client_data_json = stage("client_data_json", _compact_json(client_data), build)
    client_data_hash = hashlib.sha256(build.client_data_json).digest()

    build.cose_map = stage("cose_key", build.credential_key.cose_key(), build)
    cose_key = stage("cose_key_bytes", cbor.encode(build.cose_map), build)

    extensions = None if build.extensions is None else cbor.encode(build.extensions)
    parts = AuthDataParts(
        rp_id_hash=hashlib.sha256(build.rp_id.encode("utf-8")).digest(),
        flags=build.flags | (FLAG_ED if extensions is not None else 0),
        sign_count=build.sign_count,
        aaguid=build.aaguid,
        credential_id=build.credential_id,
        credential_public_key=cose_key,
        extensions=extensions,
    )
    parts = stage("auth_data", parts, build)
    build.auth_data = stage("auth_data_bytes", parts.encode(), build)

    if build.variant in ("packed-x5c", "fido-u2f"):
        build.x5c = build.pki.chain(
            build.attestation_key, aaguid=build.aaguid, profile=build.chain_profile, serial=_serial(build)
        )
    build.x5c = stage("x5c", build.x5c, build)

    att_stmt = _attestation_statement(build, parts, client_data_hash, stage)
    att_stmt = stage("att_stmt", att_stmt, build)
    pairs = sorted(
        [("fmt", FMT[build.variant]), ("attStmt", att_stmt), ("authData", build.auth_data)],
        key=lambda kv: (len(cbor.encode(kv[0])), cbor.encode(kv[0])),
    )
    pairs = stage("attestation_object", pairs, build)
    # A hook may return something other than (key, value) pairs, e.g. Raw bytes of an array.
    encoded = cbor.encode(cbor.Pairs.of(pairs)) if isinstance(pairs, list) else cbor.encode(pairs)
    attestation_object = stage("attestation_object_bytes", encoded, build)

    credential = {
        "id": b64url(build.credential_id),
        "rawId": b64url(build.credential_id),
        "type": "public-key",
        "response": {
            "clientDataJSON": b64url(build.client_data_json),
            "attestationObject": b64url(attestation_object),
            "transports": list(build.transports),
        },
        "clientExtensionResults": {},
        "authenticatorAttachment": "cross-platform" if build.variant == "fido-u2f" else "platform",
    }
    credential = stage("credential", credential, build)
    return CredentialBundle(
        credential=credential,
        variant=build.variant,
        fmt=FMT[build.variant],
        alg_name=build.alg_name,
        client_data_json=build.client_data_json,
        auth_data=build.auth_data,
        cose_key=cose_key,
        att_stmt=att_stmt if isinstance(att_stmt, dict) else {},
        attestation_object=attestation_object,
        credential_key=build.credential_key,
        attestation_key=build.attestation_key,
        x5c=tuple(build.x5c),
    )


def _initial_build(*, rp_id, origin, challenge, variant, alg_name, seed, pki) -> Build:
    attestation_alg = "ES256" if variant == "fido-u2f" else alg_name
    attestation_key = (
        derive_key(attestation_alg, f"fidoconf/{variant}/{attestation_alg}/attestation")
        if variant in ("packed-x5c", "fido-u2f")
        else None
    )
    leaf = (
        LeafProfile(subject=U2F_SUBJECT, aaguid_ext="absent", issuer="root") if variant == "fido-u2f" else LeafProfile()
    )
    return Build(
        rp_id=rp_id,
        origin=origin,
        challenge=challenge,
        variant=variant,
        alg_name=alg_name,
        seed=seed,
        pki=pki,
        credential_key=derive_key(alg_name, f"{seed}/credential"),
        attestation_key=attestation_key,
        chain_profile=ChainProfile(layout="leaf" if variant == "fido-u2f" else "leaf+intermediate", leaf=leaf),
        flags=FLAG_UP | FLAG_AT,
        credential_id=hashlib.sha256(f"{seed}/credential-id".encode()).digest(),
        aaguid=aaguid_for(variant, alg_name),
        transports=("usb",) if variant == "fido-u2f" else ("internal", "hybrid"),
    )


def _serial(build: Build) -> int:
    return int.from_bytes(hashlib.sha256(f"{build.variant}/{build.alg_name}".encode()).digest()[:8], "big") >> 1


def _client_data(build: Build) -> dict[str, Any]:
    # #dictdef-collectedclientdata, in the member order browsers serialise (#clientdatajson-serialization).
    return {
        "type": "webauthn.create",
        "challenge": b64url(build.challenge),
        "origin": build.origin,
        "crossOrigin": False,
    }


def _compact_json(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _attestation_statement(build: Build, parts: AuthDataParts, client_data_hash: bytes, stage) -> dict[str, Any]:
    variant = build.variant
    if variant == "none":
        return {}
    if variant == "fido-u2f":
        # #sctn-fido-u2f-attestation: verificationData = 0x00 || rpIdHash || clientDataHash || credentialId ||
        # publicKeyU2F (0x04 || x || y).
        signed = b"\x00" + parts.rp_id_hash + client_data_hash + parts.credential_id + _u2f_public_key(build)
    else:
        # #sctn-packed-attestation: sig over authenticatorData || clientDataHash.
        signed = build.auth_data + client_data_hash
    signed = stage("signed_data", signed, build)
    signer = build.credential_key if variant == "packed-self" else build.attestation_key
    signature = stage("signature", signer.sign(signed), build)
    if variant == "fido-u2f":
        return {"sig": signature, "x5c": list(build.x5c)}
    statement: dict[str, Any] = {"alg": signer.spec.alg, "sig": signature}
    if variant == "packed-x5c":
        statement["x5c"] = list(build.x5c)
    return statement


def _u2f_public_key(build: Build) -> bytes:
    cose_map = build.cose_map
    if isinstance(cose_map, dict) and isinstance(cose_map.get(-2), bytes) and isinstance(cose_map.get(-3), bytes):
        return b"\x04" + cose_map[-2] + cose_map[-3]
    numbers = build.credential_key.public_key().public_numbers()
    return b"\x04" + numbers.x.to_bytes(32, "big") + numbers.y.to_bytes(32, "big")


class VirtualAuthenticator:
    """One test authenticator model (format variant + algorithm) that answers each challenge it is given."""

    def __init__(self, *, fmt: str, alg: str, seed: str, pki: TestPKI | None = None) -> None:
        self.fmt, self.alg, self.seed = fmt, alg, seed
        self.pki = pki or TestPKI()

    def make_credential(
        self, *, rp_id: str, origin: str, challenge: bytes, mutation: MutationLike | None = None, **options: Any
    ) -> CredentialBundle:
        return make_credential(
            rp_id=rp_id,
            origin=origin,
            challenge=challenge,
            fmt=self.fmt,
            alg=self.alg,
            seed=self.seed,
            mutation=mutation,
            pki=self.pki,
            **options,
        )


def with_leaf(build: Build, **changes: Any) -> Build:
    """Helper for certificate mutations: change one LeafProfile field of the build's chain."""
    build.chain_profile = replace(build.chain_profile, leaf=replace(build.chain_profile.leaf, **changes))
    return build
