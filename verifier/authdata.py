"""authenticatorData (#sctn-authenticator-data), parsed strictly.

Layout: rpIdHash(32) | flags(1) | signCount(4) | [attestedCredentialData] | [extensions].
attestedCredentialData (#sctn-attested-credential-data): aaguid(16) | credentialIdLength(2) |
credentialId(L) | credentialPublicKey (one CBOR item, length known only by parsing it).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .encoding import DEFAULT_LIMITS, CborLimits, decode_cbor_prefix
from .errors import Code, fail

FLAG_UP = 0x01
FLAG_UV = 0x04
FLAG_BE = 0x08
FLAG_BS = 0x10
FLAG_AT = 0x40
FLAG_ED = 0x80

#: #sctn-registering-a-new-credential step "Verify that the credentialId is ≤ 1023 bytes."
MAX_CREDENTIAL_ID_LENGTH = 1023


class Flags(int):
    """The flags byte. An int subclass: immutable, and as cheap to make as the byte it wraps."""

    __slots__ = ()

    @property
    def value(self) -> int:
        return int(self)

    @property
    def up(self) -> bool:
        return bool(self & FLAG_UP)

    @property
    def uv(self) -> bool:
        return bool(self & FLAG_UV)

    @property
    def be(self) -> bool:
        return bool(self & FLAG_BE)

    @property
    def bs(self) -> bool:
        return bool(self & FLAG_BS)

    @property
    def at(self) -> bool:
        return bool(self & FLAG_AT)

    @property
    def ed(self) -> bool:
        return bool(self & FLAG_ED)

    def to_json(self) -> dict[str, bool]:
        return {"up": self.up, "uv": self.uv, "be": self.be, "bs": self.bs, "at": self.at, "ed": self.ed}


class AuthenticatorData(NamedTuple):
    """Parsed authenticatorData. A NamedTuple: immutable and built on every verification, where a frozen
    dataclass's per-field object.__setattr__ cost more than the parsing it records."""

    raw: bytes
    rp_id_hash: bytes
    flags: Flags
    sign_count: int
    aaguid: bytes | None
    credential_id: bytes | None
    #: The COSE_Key bytes exactly as they appeared on the wire (never re-encoded).
    credential_public_key: bytes | None
    extensions: dict[Any, Any] | None
    #: The key as decoded while measuring it, so the verifier does not decode the same bytes twice.
    credential_public_key_params: Any = None


def parse_authenticator_data(raw: bytes, *, limits: CborLimits = DEFAULT_LIMITS) -> AuthenticatorData:
    if len(raw) < 37:
        raise fail(Code.AUTH_DATA_LENGTH_TOO_SHORT, f"authenticatorData is {len(raw)} bytes, at least 37 needed")
    flags = Flags(raw[32])
    # #sctn-authenticator-data: "BS ... If BE is not set, this flag MUST NOT be set."
    if flags.bs and not flags.be:
        raise fail(Code.AUTH_DATA_FLAGS_BS_WITHOUT_BE, "backup state set on a credential that is not backup eligible")
    pos = 37
    aaguid = credential_id = credential_public_key = key_params = None
    if flags.at:
        aaguid, credential_id, credential_public_key, key_params, pos = _attested_credential_data(raw, pos, limits)
    extensions = None
    if flags.ed:
        extensions, pos = _extensions(raw, pos, limits)
    if pos != len(raw):
        # With ED clear the data must end after the key (docs/attacks.md A2: junk hidden behind a re-encoded key).
        raise fail(Code.AUTH_DATA_TRAILING_BYTES, f"{len(raw) - pos} byte(s) after the last field", offset=pos)
    # Positional, in field order (raw, rp_id_hash, flags, sign_count, aaguid, credential_id, credential_public_key,
    # extensions, credential_public_key_params): keyword binding costs more than the fields' own reading here.
    return AuthenticatorData(
        raw,
        raw[:32],
        flags,
        int.from_bytes(raw[33:37], "big"),
        aaguid,
        credential_id,
        credential_public_key,
        extensions,
        key_params,
    )


def _attested_credential_data(raw: bytes, pos: int, limits: CborLimits) -> tuple[bytes, bytes, bytes, Any, int]:
    if len(raw) < pos + 18:
        raise fail(Code.AUTH_DATA_ATTESTED_CREDENTIAL_DATA_TRUNCATED, "AT set but fewer than 18 bytes follow")
    aaguid = raw[pos : pos + 16]
    length = int.from_bytes(raw[pos + 16 : pos + 18], "big")
    pos += 18
    if length == 0:
        raise fail(Code.AUTH_DATA_CREDENTIAL_ID_EMPTY, "credentialIdLength is 0")
    if length > MAX_CREDENTIAL_ID_LENGTH:
        raise fail(Code.AUTH_DATA_CREDENTIAL_ID_TOO_LONG, f"credentialIdLength {length} > {MAX_CREDENTIAL_ID_LENGTH}")
    if pos + length > len(raw):
        raise fail(Code.AUTH_DATA_CREDENTIAL_ID_TRUNCATED, f"credentialIdLength {length} exceeds the data")
    credential_id = raw[pos : pos + length]
    pos += length
    if pos == len(raw):
        raise fail(Code.AUTH_DATA_CREDENTIAL_PUBLIC_KEY_MISSING, "no credential public key after the credential id")
    # The key's length is where its CBOR item ends on the wire.
    found = _canonical_key(raw, pos)
    params, end = found if found else decode_cbor_prefix(raw, pos, what="credentialPublicKey", limits=limits)
    return aaguid, credential_id, raw[pos:end], params, end


#: The CTAP2-canonical encodings of the key shapes nearly every authenticator emits (ES256 P-256, EdDSA Ed25519
#: and RS256 RSA-2048, Windows Hello's). Bytes that match one exactly are bytes the strict scan accepts with exactly these parameters
#: (tests/test_authdata.py checks that equivalence), so the scan is skipped; anything else takes the generic path.
_ES256_HEAD = bytes.fromhex("a5010203262001215820")  # {1: 2, 3: -7, -1: 1, -2: h'<32>' ...
_ES256_Y_HEAD = bytes.fromhex("225820")  # ... -3: h'<32>'}
_ED25519_HEAD = bytes.fromhex("a4010103272006215820")  # {1: 1, 3: -8, -1: 6, -2: h'<32>'}
_RS256_HEAD = bytes.fromhex("a401030339010020590100")  # {1: 3, 3: -257, -1: h'<256>', -2: h'<1 to 23>'}


def _canonical_key(raw: bytes, pos: int) -> tuple[dict[int, Any], int] | None:
    if raw.startswith(_ES256_HEAD, pos) and raw.startswith(_ES256_Y_HEAD, pos + 42) and len(raw) >= pos + 77:
        return {1: 2, 3: -7, -1: 1, -2: raw[pos + 10 : pos + 42], -3: raw[pos + 45 : pos + 77]}, pos + 77
    if raw.startswith(_ED25519_HEAD, pos) and len(raw) >= pos + 42:
        return {1: 1, 3: -8, -1: 6, -2: raw[pos + 10 : pos + 42]}, pos + 42
    if raw.startswith(_RS256_HEAD, pos) and len(raw) > pos + 268 and raw[pos + 267] == 0x21:
        # -2 (e): a byte string of 1 to 23 bytes, its length in the head byte (0x41 to 0x57).
        end = pos + 269 + raw[pos + 268] - 0x40
        if 0x41 <= raw[pos + 268] <= 0x57 and len(raw) >= end:
            return {1: 3, 3: -257, -1: raw[pos + 11 : pos + 267], -2: raw[pos + 269 : end]}, end
    return None


def _extensions(raw: bytes, pos: int, limits: CborLimits) -> tuple[dict[Any, Any], int]:
    if pos == len(raw):
        raise fail(Code.AUTH_DATA_EXTENSIONS_MISSING, "ED set but no extension data")
    value, end = decode_cbor_prefix(raw, pos, what="extensions", limits=limits)
    if not isinstance(value, dict):
        raise fail(Code.AUTH_DATA_EXTENSIONS_TYPE_INVALID, "extensions is not a CBOR map")
    return value, end
