"""What the tpm and android-key builders share: the ceremony's client data and authenticatorData, the
credential JSON, and the case record.

Both formats sign last: everything a defect edits feeds a signature computed afterwards, so the defect is
signed over and is the only thing wrong with the credential.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import cbor
from ..authenticator import FLAG_AT, FLAG_UP, FLAG_UV, AuthDataParts, CredentialBundle, b64url
from ..ca import aaguid_for
from ..keys import SigningKey, derive_key

RP_ID = "fidoconf.example"
ORIGIN = "https://fidoconf.example"
PRESETS = ("strict", "fido-conformance", "permissive")


@dataclass(slots=True)
class Ceremony:
    """Client data and authenticatorData of one registration (#sctn-op-make-cred, #sctn-createCredential)."""

    rp_id: str
    origin: str
    challenge: bytes
    fmt: str
    alg: str
    seed: str
    user_verified: bool = True
    #: A key to register instead of the one derived from `seed` (the bench wants a fresh key per credential).
    credential_key: SigningKey | None = None
    credential_id: bytes = b""
    client_data_json: bytes = field(init=False)
    client_data_hash: bytes = field(init=False)
    aaguid: bytes = field(init=False)
    cose_key: bytes = field(init=False)
    auth_data: bytes = field(init=False)

    def __post_init__(self) -> None:
        if self.credential_key is None:
            self.credential_key = derive_key(self.alg, f"{self.seed}/credential")
        if not self.credential_id:
            self.credential_id = hashlib.sha256(f"{self.seed}/credential-id".encode()).digest()
        # #dictdef-collectedclientdata, in the member order browsers serialise (#clientdatajson-serialization).
        client_data = {"type": "webauthn.create", "challenge": b64url(self.challenge), "origin": self.origin}
        client_data["crossOrigin"] = False
        self.client_data_json = json.dumps(client_data, separators=(",", ":")).encode("utf-8")
        self.client_data_hash = hashlib.sha256(self.client_data_json).digest()
        self.aaguid = aaguid_for(self.fmt, self.alg)
        self.cose_key = cbor.encode(self.credential_key.cose_key())
        parts = AuthDataParts(
            rp_id_hash=hashlib.sha256(self.rp_id.encode("utf-8")).digest(),
            flags=FLAG_UP | FLAG_AT | (FLAG_UV if self.user_verified else 0),
            sign_count=0,
            aaguid=self.aaguid,
            credential_id=self.credential_id,
            credential_public_key=self.cose_key,
        )
        self.auth_data = parts.encode()

    @property
    def key(self) -> SigningKey:
        assert self.credential_key is not None  # set in __post_init__
        return self.credential_key

    def serial(self, what: str) -> int:
        digest = hashlib.sha256(f"{self.fmt}/{self.alg}/{self.seed}/{what}".encode()).digest()
        return int.from_bytes(digest[:8], "big") >> 1

    def bundle(
        self, att_stmt: dict[str, Any], *, attestation_key: SigningKey | None, x5c: list[bytes]
    ) -> CredentialBundle:
        """The attestation object (CTAP2 canonical) and the credential JSON a browser would post."""
        attestation_object = cbor.encode({"fmt": self.fmt, "attStmt": att_stmt, "authData": self.auth_data})
        credential = {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(self.client_data_json),
                "attestationObject": b64url(attestation_object),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }
        return CredentialBundle(
            credential=credential,
            variant=self.fmt,
            fmt=self.fmt,
            alg_name=self.alg,
            client_data_json=self.client_data_json,
            auth_data=self.auth_data,
            cose_key=self.cose_key,
            att_stmt=att_stmt,
            attestation_object=attestation_object,
            credential_key=self.key,
            attestation_key=attestation_key,
            x5c=tuple(x5c),
        )


def statement(fields: dict[str, Any], *, drop: tuple[str, ...] = (), set_: tuple[tuple[str, Any], ...] = ()) -> dict:
    """attStmt from its fields, with keys left out or replaced (syntax defects: after signing, nothing to re-sign)."""
    out = {k: v for k, v in fields.items() if k not in drop}
    out.update(dict(set_))
    return out


@dataclass(frozen=True, slots=True)
class Case:
    """One generated credential: a valid one (defect None) or exactly one defect, with its expected verdicts."""

    id: str
    fmt: str
    alg: str
    #: The one defect, in words; None for a valid credential.
    defect: str | None
    #: The requirement the defect breaks, quoted from the spec, and its anchor.
    requirement: str
    anchor: str
    #: The format builder's recipe (TpmRecipe / AndroidKeyRecipe).
    recipe: Any
    #: Preset → expected code (None: accept). Presets left out are not asserted for this case.
    outcomes: dict[str, str | None]
    #: A policy other than a preset under which `custom_expect` holds (e.g. {"preset": "strict", ...}).
    policy: dict[str, Any] | None = None
    custom_expect: str | None = None
    note: str = ""


#: Accepted under every preset. fido-conformance also requires the path to chain to an anchor: runners give it
#: the test root (vectors/generated/trust/root.pem, what `ca.export_trust` writes).
ACCEPT: dict[str, str | None] = dict.fromkeys(PRESETS)


def case_maker(fmt: str, *, alg: str, anchor: str, recipe: Callable[..., Any]) -> Callable[..., Case]:
    """`make(name, defect, requirement, outcome, **recipe fields)`; outcome is a code for every preset or a dict."""

    def make(
        name: str,
        defect: str | None,
        requirement: str,
        outcome: dict[str, str | None] | str,
        *,
        alg: str = alg,
        anchor: str = anchor,
        policy: dict[str, Any] | None = None,
        custom_expect: str | None = None,
        note: str = "",
        **fields: Any,
    ) -> Case:
        outcomes = dict.fromkeys(PRESETS, outcome) if isinstance(outcome, str) else outcome
        return Case(
            f"{fmt}-{name}",
            fmt,
            alg,
            defect,
            requirement,
            anchor,
            recipe(**fields),
            outcomes,
            policy,
            custom_expect,
            note,
        )

    return make
