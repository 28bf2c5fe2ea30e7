"""Relying-party policy: every SHOULD-level or deployment-dependent decision, in one value object.

The MUSTs of WebAuthn are not here: they are not negotiable. What is here is what the spec leaves to the RP
(#sctn-registering-a-new-credential: "as determined by Relying Party policy") or what libraries disagree on.
Three named presets: `strict` (the reference default), `fido-conformance` (what the FIDO Alliance tool
expects a server to accept) and `permissive` (every SHOULD relaxed, for interop triage).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from .encoding import CborLimits


@dataclass(frozen=True, slots=True)
class Policy:
    # --- client data ---
    #: #dom-collectedclientdata-crossorigin: accept a credential created in a cross-origin iframe.
    allow_cross_origin: bool = False
    #: #dom-collectedclientdata-toporigin: top-level origins accepted when clientData carries topOrigin.
    allowed_top_origins: tuple[str, ...] = ()
    #: Duplicate keys in clientDataJSON: JSON parsers disagree on which one wins; strict refuses.
    reject_duplicate_client_data_keys: bool = True
    #: "strict": tokenBinding must be a dict with a valid status; "lenient": any non-dict value is ignored.
    token_binding: str = "strict"
    # --- authenticator data ---
    require_user_verification: bool = False
    # --- keys, algorithms and formats ---
    min_rsa_bits: int = 2048
    #: Ed25519 keys of small order or non-canonical encoding (RFC 8032 §5.1.3): with the identity key a
    #: self-attestation signature verifies without any private key. No authenticator generates such a key.
    refuse_weak_ed25519_keys: bool = True
    #: SHA-1 anywhere (RS1 credential/attestation alg, SHA-1 certificate signatures).
    allow_sha1: bool = False
    #: fido-u2f: the AAGUID of a U2F authenticator is all zeros (CTAP2 #u2f-authenticatorMakeCredential-interoperability).
    u2f_require_zero_aaguid: bool = True
    #: Formats accepted at all; None means every registered format.
    allowed_formats: tuple[str, ...] | None = None
    #: Attestation types accepted (none, self, basic, attca, anonca); None means all.
    allowed_attestation_types: tuple[str, ...] | None = None
    #: Refuse registrations whose attestation path does not chain to a configured anchor.
    require_trusted_attestation: bool = False
    #: A root inside x5c (Feitian packed, every Android Keystore chain) is dropped, never used as an anchor;
    #: False refuses it with trust.chain.root_included, as the FIDO tool does (Resp-5 F-10).
    allow_root_in_x5c: bool = True
    # --- format-specific (used by tpm, android-key, android-safetynet; see their modules) ---
    allow_test_tpm_vendors: bool = False
    #: tpm: the AIK certificate's TPMManufacturer must be in the TCG vendor ID registry (verifier/attestation/tpm_aik.py).
    tpm_require_known_manufacturer: bool = True
    android_key_require_tee: bool = False
    safetynet_require_cts_profile_match: bool = True
    #: android-safetynet: the payload's basicIntegrity must be true (a rooted or emulated device fails it).
    safetynet_require_basic_integrity: bool = True
    #: android-safetynet: how old timestampMs may be relative to the clock; None turns the age check off.
    safetynet_max_age_ms: int | None = 60_000
    #: android-safetynet: how far timestampMs may lie ahead of the clock (Google's clock versus ours).
    safetynet_clock_skew_ms: int = 1_000
    #: compound: every sub-statement must verify. False: failed ones are dropped if a non-none one verifies.
    compound_require_all: bool = True
    #: compound: at most this many sub-statements (each costs a signature and a chain; the CDDL sets no maximum).
    compound_max_statements: int = 8
    # --- metadata (FIDO MDS3; consulted only when verify_registration is given a MetadataStore) ---
    #: An authenticator without a metadata entry: "allow" assesses its path with the TrustStore alone (most passkey
    #: providers are not in MDS); "refuse" fails with metadata.entry.unknown_aaguid (what the FIDO tool expects).
    metadata_unknown_aaguid: str = "allow"
    #: Days a BLOB stays usable after its nextUpdate date; None turns the freshness check off.
    metadata_next_update_grace_days: int | None = 0
    # --- strict CBOR profile ---
    cbor: CborLimits = field(default_factory=CborLimits)

    @classmethod
    def preset(cls, name: str) -> Policy:
        try:
            return PRESETS[name]
        except KeyError:
            raise ValueError(f"unknown policy preset {name!r}; known: {', '.join(sorted(PRESETS))}") from None

    @classmethod
    def from_json(cls, value: str | dict[str, Any] | None) -> Policy:
        """A vector's `policy`: a preset name, or {"preset": name, <field>: value, ...} overrides."""
        if value is None:
            return PRESETS["strict"]
        if isinstance(value, str):
            return cls.preset(value)
        overrides = dict(value)
        base = cls.preset(overrides.pop("preset", "strict"))
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise ValueError(f"unknown policy field(s): {', '.join(sorted(unknown))}")
        for key, val in list(overrides.items()):
            if isinstance(val, list):
                overrides[key] = tuple(val)
            if key == "cbor" and isinstance(val, dict):
                overrides[key] = replace(base.cbor, **val)
        return replace(base, **overrides)


PRESETS: dict[str, Policy] = {
    "strict": Policy(),
    "fido-conformance": Policy(
        allow_sha1=True,
        allow_test_tpm_vendors=True,
        token_binding="lenient",
        u2f_require_zero_aaguid=True,
        require_trusted_attestation=True,
        allow_root_in_x5c=False,
        metadata_unknown_aaguid="refuse",
    ),
    "permissive": Policy(
        allow_cross_origin=True,
        token_binding="lenient",
        allow_sha1=True,
        u2f_require_zero_aaguid=False,
        allow_test_tpm_vendors=True,
        tpm_require_known_manufacturer=False,
        safetynet_require_cts_profile_match=False,
        safetynet_require_basic_integrity=False,
        safetynet_max_age_ms=None,
        compound_require_all=False,
        refuse_weak_ed25519_keys=False,
        reject_duplicate_client_data_keys=False,
        cbor=CborLimits(require_minimal=False),
    ),
}
