"""The virtual authenticator: a WebAuthn registration credential built stage by stage, one mutation applied.

`make_credential` plays authenticator and client together (#sctn-op-make-cred, #sctn-createCredential):
client data → COSE key → authenticatorData → x5c → signature → attStmt → attestationObject → credential JSON.
A mutation names the stage(s) it edits through `hooks`; because signing happens after every stage that feeds
the signed bytes, a defect in client data, the key or authData is signed over and is the only defect left.
Stages after `signature` (attStmt, the attestation object bytes, the JSON) are, by construction, not re-signed.
Every format variant runs these same stages; what differs is only the attStmt, which the variant's builder in
`formats.FORMATS` makes (none, packed self/x5c, fido-u2f, tpm, android-key, android-safetynet, apple, compound).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from . import cbor
from .ca import U2F_SUBJECT, ChainProfile, LeafProfile, TestPKI, aaguid_for
from .formats import FORMATS, FormatBuilder
from .keys import SigningKey, derive_key
from .model import (
    FLAG_AT,
    FLAG_BE,
    FLAG_BS,
    FLAG_ED,
    FLAG_UP,
    FLAG_UV,
    SIGNED_STAGES,
    STAGES,
    AuthDataParts,
    Build,
    CredentialBundle,
    Hook,
    MutationLike,
    StatementInput,
    b64url,
    with_leaf,
)

__all__ = [
    "FLAG_AT",
    "FLAG_BE",
    "FLAG_BS",
    "FLAG_ED",
    "FLAG_UP",
    "FLAG_UV",
    "FMT",
    "FORMAT_VARIANTS",
    "SIGNED_STAGES",
    "STAGES",
    "VARIANTS",
    "AuthDataParts",
    "Build",
    "CredentialBundle",
    "Hook",
    "MutationLike",
    "VirtualAuthenticator",
    "b64url",
    "make_credential",
    "with_leaf",
]

#: Every format variant the virtual authenticator makes (formats.FORMATS), and the fmt each writes.
VARIANTS: tuple[str, ...] = tuple(FORMATS)
FMT = {variant: builder.fmt for variant, builder in FORMATS.items()}
#: The variants the defect catalogue (mutations.py) is written against and whose valid vectors cover every algorithm.
FORMAT_VARIANTS = ("none", "packed-self", "packed-x5c", "fido-u2f")
_DEFAULT = object()


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
    credential_key: SigningKey | None = None,
    statement_options: Any = None,
    now: datetime | None = None,
    transports: tuple[str, ...] | None = None,
    attachment: Any = _DEFAULT,
) -> CredentialBundle:
    """Make one registration credential. `fmt` is a format variant (VARIANTS), `alg` a keys.ALGS name.

    `seed` determines the credential key (unless `credential_key` is given) and, unless `credential_id` is given,
    the credential id: one seed is one authenticator-held key, reusable across ceremonies. `statement_options` is
    the format builder's shape or edits (formats.FORMATS); `now` when the statement is made (SafetyNet's timestamp);
    `transports` and `attachment` (None: left out) override the variant's credential JSON members.
    """
    builder = FORMATS.get(fmt)
    if builder is None:
        raise ValueError(f"unknown format variant {fmt!r}; known: {', '.join(VARIANTS)}")
    if builder.algs is not None and alg not in builder.algs:
        raise ValueError(f"{fmt} credentials are made for {', '.join(builder.algs)} only, not {alg}")
    hooks: Mapping[str, Hook] = mutation.hooks if mutation is not None else {}

    def stage(name: str, value: Any, build: Build) -> Any:
        hook = hooks.get(name)
        return hook(value, build) if hook is not None else value

    build = _initial_build(
        rp_id=rp_id, origin=origin, challenge=challenge, variant=fmt, alg_name=alg, seed=seed, pki=pki or TestPKI()
    )
    if credential_id is not None:
        build.credential_id = credential_id
    if credential_key is not None:
        build.credential_key = credential_key
    if transports is not None:
        build.transports = transports
    build.statement_options, build.now = statement_options, now
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

    att_stmt = stage("att_stmt", _attestation_statement(builder, build, parts, client_data_hash, stage), build)
    pairs = sorted(
        [("fmt", builder.fmt), ("attStmt", att_stmt), ("authData", build.auth_data)],
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
    }
    if attachment is _DEFAULT:
        attachment = "cross-platform" if build.variant == "fido-u2f" else "platform"
    if attachment is not None:
        credential["authenticatorAttachment"] = attachment
    credential = stage("credential", credential, build)
    return CredentialBundle(
        credential=credential,
        variant=build.variant,
        fmt=builder.fmt,
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


def _attestation_statement(
    builder: FormatBuilder, build: Build, parts: AuthDataParts, client_data_hash: bytes, stage
) -> Any:
    """The variant's builder makes attStmt; for the profile-chained formats x5c is made first. The `x5c` stage runs
    for every variant: it is also the last moment before signing (a hook there may swap the signer)."""
    if builder.chain_from_profile:
        build.x5c = build.pki.chain(
            build.attestation_key, aaguid=build.aaguid, profile=build.chain_profile, serial=_serial(build)
        )
    build.x5c = stage("x5c", build.x5c, build)
    return builder.statement(build, StatementInput(parts, client_data_hash, stage))


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
