"""Strict decoding at the parse boundary: base64url as WebAuthn uses it, and CBOR in the CTAP2 profile.

cbor2 decodes values; before it sees a byte, `_scan` walks the item heads once and enforces what WebAuthn
needs and generic CBOR allows: one item with a measurable end (no trailing bytes, no indefinite lengths), no
tags, no floats, only int/text map keys without duplicates, bounded depth. The scan also yields the item's
length *on the wire*, which is how authenticatorData finds the end of the credential public key: re-encoding
a decoded key to measure it is the bug class A2 of attack_catalog.md.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from typing import Any

import cbor2

from .errors import Code, fail

_B64URL_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64url_encode(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).rstrip(b"=").translate(_TO_URL).decode("ascii")


_TO_URL = bytes.maketrans(b"+/", b"-_")
_FROM_URL = bytes.maketrans(b"-_", b"+/")


def b64url_decode(value: object, *, field: str) -> bytes:
    """#sctn-dependencies: "Base64url Encoding ... with all trailing '=' characters omitted".

    Padding, the standard alphabet, whitespace and a length of 1 mod 4 are all refused: a reference must not
    accept two spellings of one value (attack_catalog G: challenge in std alphabet / padded).
    """
    if not isinstance(value, str):
        raise fail(Code.ENCODING_BASE64URL_INVALID, f"{field} is not a string", field=field)
    raw = value.encode("ascii", "replace")
    if not _B64URL_ALPHABET.issuperset(raw) or len(raw) % 4 == 1:
        raise fail(Code.ENCODING_BASE64URL_INVALID, f"{field} is not unpadded base64url", field=field)
    try:
        decoded = binascii.a2b_base64(raw.translate(_FROM_URL) + b"=" * (-len(raw) % 4), strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise fail(Code.ENCODING_BASE64URL_INVALID, f"{field}: {exc}", field=field) from None
    # Non-zero padding bits give a second spelling of the same bytes; refuse it.
    if b64url_encode(decoded) != value:
        raise fail(Code.ENCODING_BASE64URL_INVALID, f"{field} has non-canonical trailing bits", field=field)
    return decoded


@dataclass(frozen=True, slots=True)
class CborLimits:
    """What the strict CBOR profile allows. Presets in `verifier.policy` choose the values."""

    max_depth: int = 5
    max_size: int = 128 * 1024
    require_minimal: bool = True
    require_sorted: bool = False


DEFAULT_LIMITS = CborLimits()

# Major types.
_UINT, _NINT, _BYTES, _TEXT, _ARRAY, _MAP, _TAG, _SIMPLE = range(8)


def decode_cbor(data: bytes, *, what: str, trailing_code: Code, limits: CborLimits = DEFAULT_LIMITS) -> Any:
    """Decode exactly one strict CBOR item that spans all of `data`."""
    value, end = decode_cbor_prefix(data, 0, what=what, limits=limits)
    if end != len(data):
        raise fail(trailing_code, f"{len(data) - end} byte(s) after the {what}", where=what, offset=end)
    return value


def decode_cbor_prefix(data: bytes, start: int, *, what: str, limits: CborLimits = DEFAULT_LIMITS) -> tuple[Any, int]:
    """Decode one strict CBOR item starting at `start`; return it and the offset just past it (its wire end)."""
    if len(data) - start > limits.max_size:
        raise fail(Code.CBOR_ITEM_TOO_LARGE, f"{what} exceeds {limits.max_size} bytes", where=what)
    end = _Scanner(data, what, limits).item(start, 0)
    try:
        value = cbor2.loads(data[start:end])
    except Exception as exc:  # the scan should have caught every malformation; this is the boundary's last line
        raise fail(Code.CBOR_ATTESTATION_OBJECT_MALFORMED, f"{what}: {exc}", where=what) from None
    return value, end


class _Scanner:
    """Walks item heads without building values; raises coded errors with the offset of the defect."""

    __slots__ = ("data", "n", "what", "limits")

    def __init__(self, data: bytes, what: str, limits: CborLimits) -> None:
        self.data = data
        self.n = len(data)
        self.what = what
        self.limits = limits

    def _fail(self, code: Code, message: str, offset: int):
        return fail(code, f"{self.what}: {message} at offset {offset}", where=self.what, offset=offset)

    def head(self, pos: int) -> tuple[int, int, int, int]:
        """Return (major, additional info, argument, offset after the head)."""
        if pos >= self.n:
            raise self._fail(Code.CBOR_ITEM_TRUNCATED, "item expected", pos)
        initial = self.data[pos]
        major, info = initial >> 5, initial & 0x1F
        if info < 24:
            return major, info, info, pos + 1
        if info > 27:
            if info == 31:
                raise self._fail(Code.CBOR_ITEM_INDEFINITE_LENGTH, "indefinite length or break", pos)
            raise self._fail(Code.CBOR_ITEM_RESERVED, f"reserved additional info {info}", pos)
        size = 1 << (info - 24)
        end = pos + 1 + size
        if end > self.n:
            raise self._fail(Code.CBOR_ITEM_TRUNCATED, "head argument truncated", pos)
        arg = int.from_bytes(self.data[pos + 1 : end], "big")
        if major == _SIMPLE:
            return major, info, arg, end
        # "Integers must be encoded as small as possible" (CTAP2 canonical CBOR, #ctap2-canonical-cbor-encoding-form).
        if self.limits.require_minimal and arg < (24 if size == 1 else 1 << (4 * size)):
            raise self._fail(Code.CBOR_ITEM_NON_MINIMAL, "non-minimal head", pos)
        return major, info, arg, end

    def item(self, pos: int, depth: int) -> int:
        major, info, arg, pos_after = self.head(pos)
        if major <= _NINT:
            return pos_after
        if major in (_BYTES, _TEXT):
            end = pos_after + arg
            if end > self.n:
                raise self._fail(Code.CBOR_ITEM_TRUNCATED, "string longer than the input", pos)
            if major == _TEXT:
                try:
                    self.data[pos_after:end].decode("utf-8")
                except UnicodeDecodeError:
                    raise self._fail(Code.CBOR_TEXT_INVALID_UTF8, "text is not UTF-8", pos) from None
            return end
        if major == _TAG:
            raise self._fail(Code.CBOR_ITEM_TAG_FORBIDDEN, f"tag {arg}", pos)
        if major == _SIMPLE:
            # false, true and null carry meaning in extension outputs; nothing in WebAuthn is a float.
            if info in (20, 21, 22):
                return pos_after
            if info in (25, 26, 27):
                raise self._fail(Code.CBOR_ITEM_FLOAT_FORBIDDEN, "floating-point value", pos)
            raise self._fail(Code.CBOR_ITEM_SIMPLE_FORBIDDEN, f"simple value {arg}", pos)
        if depth >= self.limits.max_depth:
            raise self._fail(Code.CBOR_ITEM_TOO_DEEP, f"nesting deeper than {self.limits.max_depth}", pos)
        # Each element takes at least one byte: a count beyond the input is truncation, found before looping.
        if arg * (2 if major == _MAP else 1) > self.n - pos_after:
            raise self._fail(Code.CBOR_ITEM_TRUNCATED, f"declared {arg} elements beyond the input", pos)
        if major == _ARRAY:
            for _ in range(arg):
                pos_after = self.item(pos_after, depth + 1)
            return pos_after
        return self.map_items(pos_after, arg, depth)

    def map_items(self, pos: int, count: int, depth: int) -> int:
        seen: set[tuple[int, int | bytes]] = set()
        previous: bytes | None = None
        for _ in range(count):
            key_start = pos
            major, _info, arg, after_head = self.head(pos)
            if major in (_UINT, _NINT):
                key: tuple[int, int | bytes] = (major, arg)
                pos = after_head
            elif major == _TEXT:
                pos = self.item(pos, depth + 1)
                key = (major, self.data[after_head:pos])
            else:
                # CTAP2 maps are keyed by integers or text; a bool key collides with 1 in Python (attack_catalog A).
                raise self._fail(Code.CBOR_MAP_KEY_TYPE_INVALID, f"map key of major type {major}", key_start)
            if key in seen:
                raise self._fail(Code.CBOR_MAP_DUPLICATE_KEY, "duplicate map key", key_start)
            seen.add(key)
            if self.limits.require_sorted:
                encoded = self.data[key_start:pos]
                if previous is not None and (len(encoded), encoded) <= (len(previous), previous):
                    raise self._fail(Code.CBOR_MAP_UNSORTED, "map keys not in canonical order", key_start)
                previous = encoded
            pos = self.item(pos, depth + 1)
        return pos
