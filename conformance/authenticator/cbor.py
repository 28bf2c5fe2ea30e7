"""A tiny CBOR writer: CTAP2 canonical by default, and byte-exact control when a defect needs it.

The virtual authenticator must emit exactly the bytes it means, including ones no sane encoder produces
(duplicate keys, non-minimal heads, indefinite lengths, tags, floats). cbor2 would normalise some of those
away, so values are written here. `Raw` embeds pre-encoded bytes; `Pairs` is a map whose entries are written
in the given order, duplicates included.

CTAP2 canonical form (#ctap2-canonical-cbor-encoding-form): integers and lengths as short as possible,
definite lengths only, map keys sorted by their encoding — shorter first, then bytewise.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

UINT, NINT, BYTES, TEXT, ARRAY, MAP, TAG, SIMPLE = range(8)


@dataclass(frozen=True, slots=True)
class Raw:
    """Already-encoded CBOR bytes, written verbatim wherever a value is expected."""

    data: bytes


@dataclass(frozen=True, slots=True)
class Pairs:
    """A map written entry by entry in this order (no sorting, duplicates kept)."""

    items: tuple[tuple[Any, Any], ...]

    @classmethod
    def of(cls, items: Sequence[tuple[Any, Any]]) -> Pairs:
        return cls(tuple(items))


def head(major: int, argument: int, *, width: int | None = None) -> bytes:
    """An item head. `width` (0, 1, 2, 4, 8 extra bytes) forces a non-minimal spelling."""
    if width is None:
        if argument < 24:
            width = 0
        elif argument < 0x100:
            width = 1
        elif argument < 0x10000:
            width = 2
        elif argument < 0x100000000:
            width = 4
        else:
            width = 8
    if width == 0:
        return bytes([major << 5 | argument])
    info = {1: 24, 2: 25, 4: 26, 8: 27}[width]
    return bytes([major << 5 | info]) + argument.to_bytes(width, "big")


def encode_int(value: int) -> bytes:
    return head(UINT, value) if value >= 0 else head(NINT, -1 - value)


def encode(value: Any) -> bytes:
    """CTAP2 canonical encoding of int, bytes, str, bool, None, list/tuple, dict, plus `Raw` and `Pairs`."""
    if isinstance(value, Raw):
        return value.data
    if isinstance(value, bool):
        return b"\xf5" if value else b"\xf4"
    if value is None:
        return b"\xf6"
    if isinstance(value, int):
        return encode_int(value)
    if isinstance(value, bytes):
        return head(BYTES, len(value)) + value
    if isinstance(value, str):
        data = value.encode("utf-8")
        return head(TEXT, len(data)) + data
    if isinstance(value, (list, tuple)):
        return head(ARRAY, len(value)) + b"".join(encode(v) for v in value)
    if isinstance(value, Pairs):
        return head(MAP, len(value.items)) + b"".join(encode(k) + encode(v) for k, v in value.items)
    if isinstance(value, Mapping):
        entries = sorted(((encode(k), encode(v)) for k, v in value.items()), key=lambda kv: (len(kv[0]), kv[0]))
        return head(MAP, len(entries)) + b"".join(k + v for k, v in entries)
    raise TypeError(f"cannot encode {type(value).__name__}")


def map_in_order(items: Sequence[tuple[Any, Any]]) -> bytes:
    """A map whose entries keep the given order: canonical only if the caller sorted them."""
    return encode(Pairs.of(items))


def indefinite_map(items: Sequence[tuple[Any, Any]]) -> bytes:
    return b"\xbf" + b"".join(encode(k) + encode(v) for k, v in items) + b"\xff"


def indefinite_array(values: Sequence[Any]) -> bytes:
    return b"\x9f" + b"".join(encode(v) for v in values) + b"\xff"


def indefinite_bytes(chunks: Sequence[bytes]) -> bytes:
    return b"\x5f" + b"".join(encode(c) for c in chunks) + b"\xff"


def indefinite_text(chunks: Sequence[str]) -> bytes:
    return b"\x7f" + b"".join(encode(c) for c in chunks) + b"\xff"


def tagged(tag: int, value: Any) -> bytes:
    return head(TAG, tag) + encode(value)


def half_float(value: float) -> bytes:
    return b"\xf9" + struct.pack(">e", value)


def single_float(value: float) -> bytes:
    return b"\xfa" + struct.pack(">f", value)


def double_float(value: float) -> bytes:
    return b"\xfb" + struct.pack(">d", value)


def item_length(data: bytes, pos: int = 0) -> int:
    """The wire length of the well-formed definite-length item at `pos` (used to split what we wrote)."""
    initial = data[pos]
    major, info = initial >> 5, initial & 0x1F
    if info < 24:
        argument, end = info, pos + 1
    else:
        size = 1 << (info - 24)
        argument, end = int.from_bytes(data[pos + 1 : pos + 1 + size], "big"), pos + 1 + size
    if major in (UINT, NINT, SIMPLE):
        return end - pos
    if major in (BYTES, TEXT):
        return end + argument - pos
    if major == TAG:
        return end + item_length(data, end) - pos
    count = argument * (2 if major == MAP else 1)
    cursor = end
    for _ in range(count):
        cursor += item_length(data, cursor)
    return cursor - pos
