"""Appendix B "authData" (docs/attacks.md A3, B1-B6)."""

from __future__ import annotations

import hashlib

import cbor2

from . import cbor, requirements
from .authenticator import FLAG_AT, FLAG_BE, FLAG_BS, FLAG_ED, FLAG_UP
from .cbor import Raw
from .hooks import build_attr, flags, func, parts
from .mutations import Mutation

_AD = "#sctn-authenticator-data"
_AD_REQ = "authenticatorData layout: rpIdHash (32) | flags (1) | signCount (4) | attestedCredentialData | extensions"
_ACD = "#sctn-attested-credential-data"
_ACD_REQ = (
    "attestedCredentialData: aaguid (16) | credentialIdLength (2) | credentialId (L) | credentialPublicKey "
    "(variable: a COSE_Key, CTAP2 canonical CBOR)"
)
REG = "#sctn-registering-a-new-credential"
KEY = "#sctn-encoded-credpubkey-examples"
_KEY_REQ = (
    'The credential public key ... MUST contain the "alg" parameter and MUST NOT contain any other OPTIONAL parameters.'
)
ACCEPT = {"expect": "accept"}
P256 = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF


def _ad(name, description, hooks, code, *, requirement=_AD_REQ, anchor=_AD, **kw) -> Mutation:
    return Mutation(name, "auth_data", description, requirement, anchor, hooks, code, **kw)


def cose_defect(name, description, hook, code, *, requirement=_KEY_REQ, anchor=KEY, **kw) -> Mutation:
    return Mutation(name, "cose_key", description, requirement, anchor, {"cose_key": hook}, code, **kw)


def cose_bytes(name, description, fn, code, *, extra_hooks=None, **kw) -> Mutation:
    hooks = {"cose_key_bytes": func(fn), **(extra_hooks or {})}
    return Mutation(
        name, "cose_key", description, kw.pop("requirement", _ACD_REQ), kw.pop("anchor", _ACD), hooks, code, **kw
    )


def canonical_items(cose: dict) -> list:
    return sorted(cose.items(), key=lambda kv: (len(cbor.encode(kv[0])), cbor.encode(kv[0])))


def insert_before_end(data: bytes, extra: bytes, count: int = 1) -> bytes:
    """Add `count` entries (already encoded in `extra`) to a small canonical map (head byte 0xa0 | n)."""
    return bytes([data[0] + count]) + data[1:] + extra


def alg_non_minimal(data: bytes) -> bytes:
    # ES256: label 3 then alg -7 (0x26); write -7 as 38 06 (one-byte argument for a value below 24).
    return data.replace(b"\x03\x26", b"\x03\x38\x06", 1)


def flip_y(cose: dict) -> dict:
    y = bytearray(cose[-3])
    y[-1] ^= 0x01
    return {**cose, -3: bytes(y)}


def _longest_credential_id(build, _same):
    # Grown from the seed's own 32-byte id, not a constant: a constant id is "already registered" the second time a
    # suite runs against one long-lived server, and the accept case would FAIL for a reason that is not its own.
    build.credential_id = (build.credential_id * 32)[:1023]
    return build


def junk(n: int):
    return parts(trailing=bytes(range(1, n + 1)))


def _ext(value) -> dict:
    return {"params": build_attr(extensions=value)}


MUTATIONS: tuple[Mutation, ...] = (
    # --- authData length and flags (B1, B4-B6) ---
    _ad(
        "authdata-too-short",
        "authenticatorData cut to 36 bytes",
        {"auth_data_bytes": func(lambda d: d[:36])},
        "auth_data.length.too_short",
        level="MUST",
    ),
    _ad(
        "authdata-at-clear",
        "AT flag clear and no attested credential data: a registration with no key",
        {"auth_data": lambda p, _b: parts(flags=p.flags & ~FLAG_AT, include_attested_data=False)(p, _b)},
        "auth_data.flags.at_missing",
        requirement="#sctn-registering-a-new-credential: a registration's authenticator data must carry attested credential data (AT set).",
        anchor=REG,
        level="MUST",
    ),
    _ad(
        "authdata-at-set-short",
        "AT set but only 10 bytes follow the 37-byte header",
        {"auth_data": parts(include_attested_data=False, trailing=bytes(10))},
        "auth_data.attested_credential_data.truncated",
        requirement=_ACD_REQ,
        anchor=_ACD,
        level="MUST",
    ),
    _ad(
        "authdata-up-clear",
        "UP (user present) flag clear",
        {"auth_data": flags(clear_bits=FLAG_UP)},
        "auth_data.flags.up_missing",
        requirement="Verify that the UP bit of the flags in authData is set.",
        anchor=REG,
        level="MUST",
    ),
    _ad(
        "authdata-uv-clear-when-required",
        "UV clear while the RP requires user verification",
        {},
        "auth_data.flags.uv_missing",
        requirement="If user verification is required for this registration, verify that the User Verified bit of the flags in authData is set.",
        anchor=REG,
        policy={"preset": "strict", "require_user_verification": True},
        outcomes={"strict": ACCEPT},
        level="MUST",
    ),
    _ad(
        "authdata-bs-without-be",
        "BS (backup state) set while BE (backup eligible) is clear",
        {"auth_data": flags(set_bits=FLAG_BS, clear_bits=FLAG_BE)},
        "auth_data.flags.bs_without_be",
        requirement="If the BE bit of the flags in authData is not set, verify that the BS bit is not set.",
        anchor=REG,
        level="MUST",
    ),
    _ad(
        "authdata-rp-id-hash-wrong",
        "rpIdHash is SHA-256('evil.example'), not of the RP ID",
        {"auth_data": parts(rp_id_hash=hashlib.sha256(b"evil.example").digest())},
        "auth_data.rp_id_hash.mismatch",
        requirement="Verify that the rpIdHash in authData is the SHA-256 hash of the RP ID expected by the Relying Party.",
        anchor=REG,
        level="MUST",
    ),
    # --- credentialIdLength (B2, B3) ---
    _ad(
        "authdata-cred-id-length-overruns",
        "credentialIdLength is one more than all the bytes that follow it",
        {
            "auth_data": lambda p, _b: parts(
                credential_id_length=len(p.credential_id) + len(p.credential_public_key) + 1
            )(p, _b)
        },
        "auth_data.credential_id.truncated",
        requirement=requirements.AUTHDATA_LAYOUT,
        anchor=_ACD,
        level="MUST",
    ),
    _ad(
        "authdata-cred-id-length-zero",
        "credentialIdLength 0 and an empty credential id",
        {"params": build_attr(credential_id=b"")},
        "auth_data.credential_id.empty",
        requirement=_ACD_REQ,
        anchor=_ACD,
        level="MUST",
    ),
    _ad(
        "authdata-cred-id-1024",
        "a 1024-byte credential id (present in full)",
        {"params": build_attr(credential_id=bytes(range(256)) * 4)},
        "auth_data.credential_id.too_long",
        requirement=requirements.AUTHDATA_CRED_ID_1024,
        anchor=REG,
        level="SHOULD",
    ),
    _ad(
        "authdata-cred-id-length-65535",
        "credentialIdLength 65535 with a 32-byte credential id",
        {"auth_data": parts(credential_id_length=65535)},
        "auth_data.credential_id.too_long",
        requirement="Verify that the credentialId is ≤ 1023 bytes.",
        anchor=REG,
        level="MUST",
    ),
    _ad(
        "valid-cred-id-1023",
        "a 1023-byte credential id: the longest allowed",
        {"params": _longest_credential_id},
        None,
        requirement="Verify that the credentialId is ≤ 1023 bytes.",
        anchor=REG,
        level="MUST",
    ),
    # --- what follows the key (A3, B1) ---
    _ad(
        "authdata-junk-after-key",
        "three junk bytes after the credential public key, ED clear",
        {"auth_data": junk(3)},
        "auth_data.trailing_bytes.present",
        level="MUST",
    ),
    _ad(
        "authdata-ed-without-extensions",
        "ED set but nothing follows the key",
        {"auth_data": flags(set_bits=FLAG_ED)},
        "auth_data.extensions.missing",
        requirement=requirements.AUTHDATA_LAYOUT,
        level="MUST",
    ),
    _ad(
        "authdata-ed-array",
        "ED set and an array follows the key",
        {"auth_data": lambda p, _b: parts(flags=p.flags | FLAG_ED, extensions=cbor.encode([1]))(p, _b)},
        "auth_data.extensions.type_invalid",
        requirement=requirements.AUTHDATA_LAYOUT,
        level="MUST",
    ),
    _ad(
        "authdata-ed-int",
        "ED set and an integer follows the key",
        {"auth_data": lambda p, _b: parts(flags=p.flags | FLAG_ED, extensions=cbor.encode(1))(p, _b)},
        "auth_data.extensions.type_invalid",
        requirement=requirements.AUTHDATA_LAYOUT,
        level="MUST",
    ),
    _ad(
        "authdata-extensions-without-ed",
        "an extension map follows the key but ED is clear",
        {"auth_data": lambda p, _b: parts(flags=p.flags & ~FLAG_ED, extensions=cbor.encode({"credProtect": 1}))(p, _b)},
        "auth_data.trailing_bytes.present",
        requirement=requirements.AUTHDATA_LAYOUT,
        level="MUST",
    ),
    _ad(
        "authdata-extensions-duplicate-key",
        "the extension map holds credProtect twice",
        _ext(Raw(cbor.map_in_order([("credProtect", 1), ("credProtect", 1)]))),
        "cbor.map.duplicate_key",
        requirement=requirements.DUPLICATE_KEYS,
        level="STRICT",
    ),
    _ad(
        "authdata-extensions-too-deep",
        "an extension value nested 8 arrays deep",
        _ext(Raw(b"\xa1\x61x" + b"\x81" * 8 + b"\x00")),
        "cbor.item.too_deep",
        requirement=requirements.NESTING_LIMIT,
        level="STRICT",
    ),
    # --- valid variations the verifier must accept ---
    _ad("valid-flags-uv", "UV set", {}, None, options={"user_verified": True}, requirement=requirements.AUTHDATA_LAYOUT, level="MUST"),
    _ad(
        "valid-flags-be",
        "BE set, BS clear (backup eligible, not backed up)",
        {},
        None,
        options={"backup_eligible": True},
        requirement=requirements.AUTHDATA_LAYOUT,
        level="MUST",
    ),
    _ad(
        "valid-flags-be-bs",
        "BE and BS set (a synced passkey)",
        {},
        None,
        options={"backup_eligible": True, "backup_state": True},
        requirement=requirements.AUTHDATA_LAYOUT,
        level="MUST",
    ),
    _ad(
        "valid-flags-rfu-bits",
        "RFU flag bits 1 and 5 set: reserved bits are ignored",
        {"auth_data": flags(set_bits=0x22)},
        None,
        requirement=requirements.VALID_FLAGS_RFU_BITS,
        anchor="#authdata-flags",
        level="INFO",
    ),
    _ad("valid-extensions-cred-protect", "ED set with {credProtect: 2}", _ext({"credProtect": 2}), None, level="MUST"),
    _ad("valid-sign-count", "signCount 1234", {"params": build_attr(sign_count=1234)}, None, requirement=requirements.AUTHDATA_LAYOUT, level="MUST"),
)


def cbor_decode_small(data: bytes) -> dict:
    """Decode the canonical COSE map just written (our own canonical bytes, so cbor2 reads them as they are)."""
    return cbor2.loads(data)
