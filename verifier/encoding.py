"""Strict decoding at the parse boundary: base64url as WebAuthn uses it, and CBOR in the CTAP2 profile.

cbor2 decodes values; before it sees a byte, `_scan` walks the item heads once and enforces what WebAuthn
needs and generic CBOR allows: one item with a measurable end (no trailing bytes, no indefinite lengths), no
tags, no floats, only int/text map keys without duplicates, bounded depth. The scan also yields the item's
length *on the wire*, which is how authenticatorData finds the end of the credential public key: re-encoding
a decoded key to measure it is the bug class A2 of docs/attacks.md.
"""

from __future__ import annotations

import binascii
import json
from dataclasses import dataclass
from typing import Any

import cbor2

from .errors import Code, VerificationError, fail

_TO_URL = bytes.maketrans(b"+/", b"-_")
#: base64url → base64 for binascii, with '+', '/' and '=' mapped to a byte binascii's strict mode refuses, so the
#: standard alphabet and padding are errors rather than second spellings.
_FROM_URL = bytes.maketrans(b"-_+/=", b"+/!!!")
_SEXTET = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")}
#: For a final group of 2 or 3 characters: the low bits of its last character that must be zero (RFC 4648 §3.5).
_SPARE_BITS = (0, 0, 0x0F, 0x03)
_PADDING = (b"", b"", b"==", b"=")


def b64url_encode(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).rstrip(b"=").translate(_TO_URL).decode("ascii")


def b64url_decode(value: object, *, field: str) -> bytes:
    """#sctn-dependencies: "Base64url Encoding ... with all trailing '=' characters omitted".

    Padding, the standard alphabet, whitespace, a length of 1 mod 4 and non-zero spare bits are all refused:
    a reference must not accept two spellings of one value (docs/attacks.md G: challenge in std alphabet / padded).
    """
    if not isinstance(value, str):
        raise fail(Code.ENCODING_BASE64URL_INVALID, f"{field} is not a string", field=field)
    remainder = len(value) % 4
    try:
        if remainder and _SEXTET[value[-1]] & _SPARE_BITS[remainder]:
            raise fail(Code.ENCODING_BASE64URL_INVALID, f"{field} has non-zero spare bits", field=field)
        # bytes.translate is one C pass (str.translate with a dict is a Python-level lookup per character).
        raw = value.encode("ascii").translate(_FROM_URL)
        return binascii.a2b_base64(raw + _PADDING[remainder], strict_mode=True)
    except (binascii.Error, ValueError, KeyError, IndexError, UnicodeEncodeError):
        raise fail(Code.ENCODING_BASE64URL_INVALID, f"{field} is not unpadded base64url", field=field) from None


class DuplicateMember(ValueError):
    """A JSON object names a member twice: two parsers may read two different values from it."""


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) != len(pairs):
        raise DuplicateMember(_repeated_names(pairs))
    return members


def _repeated_names(pairs: list[tuple[str, Any]]) -> list[str]:
    """The names that occur more than once, in one pass: the member count is attacker-chosen (a count() per name
    made 20,000 members with one duplicate cost ~30 s)."""
    seen: set[str] = set()
    repeated: set[str] = set()
    for name, _ in pairs:
        (repeated if name in seen else seen).add(name)
    return sorted(repeated)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")  # RFC 8259 has no NaN or Infinity


#: Built once (json.loads with hooks would build a decoder on every call): refuses duplicate members
#: (DuplicateMember) and NaN/Infinity (ValueError); integers stay exact Python ints.
STRICT_JSON = json.JSONDecoder(object_pairs_hook=_refuse_duplicates, parse_constant=_refuse_constant)


def strict_json_object(data: bytes, *, code: Code, what: str) -> dict[str, Any]:
    """UTF-8 JSON text that must be one object, under STRICT_JSON; any defect is `code`."""
    try:
        value = STRICT_JSON.decode(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise fail(code, f"{what} is not strict JSON: {exc}") from None
    if not isinstance(value, dict):
        raise fail(code, f"{what} is not a JSON object")
    return value


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


def is_int(value: object) -> bool:
    """A decoded CBOR integer: Python's bool is an int (True == 1), so CBOR true must not pass as 1."""
    return type(value) is int or (isinstance(value, int) and not isinstance(value, bool))


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
    end = _scan(data, start, what, limits)
    try:
        value = cbor2.loads(data[start:end])
    except Exception as exc:
        # The scan admits only what cbor2 decodes; reaching this line is a fidoconf bug, reported as one.
        raise fail(Code.INTERNAL_UNEXPECTED, f"{what}: scanned clean but cbor2 refused it: {exc}", where=what) from None
    return value, end


#: The attestation object as every browser writes it: {"fmt": text, "attStmt": map, "authData": bytes}, keys in
#: CTAP2 canonical order. These are the heads of its keys.
_FMT_KEY = b"\xa3\x63fmt"
_ATT_STMT_KEY = b"\x67attStmt"
_AUTH_DATA_KEY = b"\x68authData"


def canonical_attestation_object(data: bytes, *, limits: CborLimits = DEFAULT_LIMITS) -> dict[str, Any] | None:
    """The attestation object, when its bytes have exactly the canonical browser shape; otherwise None.

    On the hot path this replaces walking the three top-level entries: only attStmt, whose content varies,
    is scanned. Whatever it accepts, the generic scan accepts with the same value (tests/test_encoding.py);
    anything else, malformed or merely unusual, returns None and takes the generic path with its coded errors.
    """
    if not data.startswith(_FMT_KEY) or len(data) < 20 or len(data) > limits.max_size:
        return None
    head = data[5]
    if head >> 5 != _TEXT or head & 0x1F >= 24:
        return None
    stmt_start = 6 + (head & 0x1F) + 8
    try:
        fmt = data[6 : stmt_start - 8].decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not data.startswith(_ATT_STMT_KEY, stmt_start - 8) or len(data) <= stmt_start or data[stmt_start] >> 5 != _MAP:
        return None
    found = _alg_sig_statement(data, stmt_start, limits) or _flat_statement(data, stmt_start, limits)
    if found is not None:
        att_stmt, stmt_end = found
    else:
        try:
            # attStmt sits one level inside the attestation object: the generic scan counts that level, so must this.
            stmt_end = _scan(data, stmt_start, "attStmt", limits, depth=1)
        except VerificationError:
            return None
        att_stmt = None
    if not data.startswith(_AUTH_DATA_KEY, stmt_end):
        return None
    pos = stmt_end + 9
    if data[pos : pos + 1] == b"\x58" and len(data) > pos + 1 and data[pos + 1] >= 24:
        length, start = data[pos + 1], pos + 2
    elif data[pos : pos + 1] == b"\x59" and len(data) > pos + 2 and data[pos + 1] >= 1:
        length, start = int.from_bytes(data[pos + 1 : pos + 3], "big"), pos + 3
    else:
        return None
    if start + length != len(data):
        return None
    if att_stmt is None:
        att_stmt = cbor2.loads(data[stmt_start:stmt_end])
    return {"fmt": fmt, "attStmt": att_stmt, "authData": data[start:]}


_ALG_KEY, _SIG_KEY = b"\x63alg", b"\x63sig"


def _alg_sig_statement(data: bytes, pos: int, limits: CborLimits) -> tuple[dict[str, Any], int] | None:
    """attStmt exactly {"alg": <negative int>, "sig": <bytes>} in canonical CBOR (packed self attestation, the
    commonest statement), read without the generic scan; anything else is None. What it accepts, the scan accepts
    with the same value: a two-entry map (depth 2 <= max_depth), distinct sorted text keys, minimal heads."""
    if data[pos] != 0xA2 or not data.startswith(_ALG_KEY, pos + 1) or limits.max_depth < 2:
        return None
    pos += 5
    head = data[pos : pos + 1]
    if not head:
        return None
    if 0x20 <= head[0] <= 0x37:
        alg, pos = 0x1F - head[0], pos + 1
    elif head[0] == 0x38 and len(data) > pos + 1 and data[pos + 1] >= 24:
        alg, pos = -1 - data[pos + 1], pos + 2
    elif head[0] == 0x39 and len(data) > pos + 2 and data[pos + 1]:
        alg, pos = -1 - int.from_bytes(data[pos + 1 : pos + 3], "big"), pos + 3
    else:
        return None
    if not data.startswith(_SIG_KEY, pos):
        return None
    pos += 4
    head = data[pos : pos + 1]
    if not head:
        return None
    if 0x40 <= head[0] <= 0x57:
        length, pos = head[0] - 0x40, pos + 1
    elif head[0] == 0x58 and len(data) > pos + 1 and data[pos + 1] >= 24:
        length, pos = data[pos + 1], pos + 2
    elif head[0] == 0x59 and len(data) > pos + 2 and data[pos + 1]:
        length, pos = int.from_bytes(data[pos + 1 : pos + 3], "big"), pos + 3
    else:
        return None
    end = pos + length
    if end > len(data):
        return None
    return {"alg": alg, "sig": data[pos:end]}, end


def _flat_statement(data: bytes, pos: int, limits: CborLimits) -> tuple[dict[str, Any], int] | None:
    """attStmt as the x5c formats write it (packed full, fido-u2f, tpm, android-key): a map of at most 23 entries,
    short text keys in canonical order, each value an integer, a byte string, a text string or an array of at
    most 23 byte strings, every head minimal; read without the generic scan. Anything else is None. What it
    accepts, the scan accepts with the same value: sorted keys are distinct, minimal heads, depth 3 at most."""
    head = data[pos]
    if not 0xA0 <= head <= 0xB7 or limits.max_depth < 2:
        return None
    n = len(data)
    pos += 1
    out: dict[str, Any] = {}
    previous = b""
    for _ in range(head - 0xA0):
        # key: a text string shorter than 24 bytes, after the previous key in (length, bytes) order
        if pos >= n or not 0x60 <= data[pos] <= 0x77:
            return None
        end = pos + 1 + data[pos] - 0x60
        encoded = data[pos:end]
        if end > n or (len(encoded), encoded) <= (len(previous), previous):
            return None
        try:
            key = encoded[1:].decode("utf-8")
        except UnicodeDecodeError:
            return None
        previous, pos = encoded, end
        if pos >= n:
            return None
        major = data[pos] >> 5
        if major == _ARRAY:
            count = data[pos] & 0x1F
            if count >= 24 or limits.max_depth < 3:
                return None
            pos += 1
            items = []
            for _ in range(count):
                item = _flat_value(data, pos, n)
                if item is None or type(item[0]) is not bytes:
                    return None
                items.append(item[0])
                pos = item[1]
            out[key] = items
        else:
            found = _flat_value(data, pos, n)
            if found is None:
                return None
            out[key], pos = found
    return out, pos


def _flat_value(data: bytes, pos: int, n: int) -> tuple[int | bytes | str, int] | None:
    """One integer, byte string or text string at `pos` whose head is minimal with at most a 2-byte argument."""
    if pos >= n:
        return None
    initial = data[pos]
    major, info = initial >> 5, initial & 0x1F
    if info < 24:
        arg, pos = info, pos + 1
    elif info == 24 and pos + 1 < n and data[pos + 1] >= 24:
        arg, pos = data[pos + 1], pos + 2
    elif info == 25 and pos + 2 < n and data[pos + 1]:
        arg, pos = (data[pos + 1] << 8) | data[pos + 2], pos + 3
    else:
        return None
    if major == _UINT:
        return arg, pos
    if major == _NINT:
        return -1 - arg, pos
    end = pos + arg
    if major not in (_BYTES, _TEXT) or end > n:
        return None
    if major == _BYTES:
        return data[pos:end], end
    try:
        return data[pos:end].decode("utf-8"), end
    except UnicodeDecodeError:
        return None


def _scan(data: bytes, pos: int, what: str, limits: CborLimits, *, depth: int = 0) -> int:
    """Walk the heads of one item without building values; return its end offset or raise a coded error.

    Iterative, one frame per open container, because this runs on every verification: a recursive walk
    spends most of its time in Python calls.
    """
    n = len(data)
    require_minimal, require_sorted = limits.require_minimal, limits.require_sorted
    max_depth = limits.max_depth - depth  # `depth`: containers already open around the item at `pos`
    frames: list[tuple[int, set | None, bytes | None]] = []
    remaining, keys, previous = 1, None, None
    while True:
        if not remaining:
            if not frames:
                return pos
            remaining, keys, previous = frames.pop()
            continue
        is_key = keys is not None and not remaining % 2
        remaining -= 1
        item_start = pos
        if pos >= n:
            raise _scan_error(Code.CBOR_ITEM_TRUNCATED, "item expected", what, pos)
        initial = data[pos]
        major, info = initial >> 5, initial & 0x1F
        if info < 24:
            arg, pos = info, pos + 1
        elif info < 28:
            size = 1 << (info - 24)
            if pos + 1 + size > n:
                raise _scan_error(Code.CBOR_ITEM_TRUNCATED, "head argument truncated", what, pos)
            arg = int.from_bytes(data[pos + 1 : pos + 1 + size], "big")
            # "Integers must be encoded as small as possible" (CTAP2 #ctap2-canonical-cbor-encoding-form).
            if require_minimal and major != _SIMPLE and arg < (24 if size == 1 else 1 << (4 * size)):
                raise _scan_error(Code.CBOR_ITEM_NON_MINIMAL, "non-minimal head", what, item_start)
            pos += 1 + size
        elif info == 31:
            raise _scan_error(Code.CBOR_ITEM_INDEFINITE_LENGTH, "indefinite length or break", what, pos)
        else:
            raise _scan_error(Code.CBOR_ITEM_RESERVED, f"reserved additional info {info}", what, pos)
        if major <= _NINT:
            key: int | bytes = arg * 2 + major  # keys compare by value, so no second spelling hides a duplicate
        elif major <= _TEXT:
            end = pos + arg
            if end > n:
                raise _scan_error(Code.CBOR_ITEM_TRUNCATED, "string longer than the input", what, item_start)
            if major == _TEXT:
                try:
                    data[pos:end].decode("utf-8")
                except UnicodeDecodeError:
                    raise _scan_error(Code.CBOR_TEXT_INVALID_UTF8, "text is not UTF-8", what, item_start) from None
            key = data[pos:end]
            pos = end
        elif major <= _MAP:
            if len(frames) >= max_depth:
                raise _scan_error(Code.CBOR_ITEM_TOO_DEEP, f"nesting deeper than {limits.max_depth}", what, item_start)
            count = arg * 2 if major == _MAP else arg
            # Each element takes at least one byte: a count beyond the input is truncation, found before looping.
            if count > n - pos:
                raise _scan_error(Code.CBOR_ITEM_TRUNCATED, f"declared {arg} elements beyond the input", what, item_start)
        elif major == _TAG:
            raise _scan_error(Code.CBOR_ITEM_TAG_FORBIDDEN, f"tag {arg}", what, item_start)
        elif info in (20, 21, 22):
            pass  # false, true and null carry meaning in extension outputs
        elif info in (25, 26, 27):
            raise _scan_error(Code.CBOR_ITEM_FLOAT_FORBIDDEN, "floating-point value", what, item_start)
        else:
            raise _scan_error(Code.CBOR_ITEM_SIMPLE_FORBIDDEN, f"simple value {arg}", what, item_start)
        if is_key:
            # CTAP2 maps are keyed by integers or text; a bool key collides with 1 in Python (docs/attacks.md A).
            if major not in (_UINT, _NINT, _TEXT):
                raise _scan_error(Code.CBOR_MAP_KEY_TYPE_INVALID, f"map key of major type {major}", what, item_start)
            if key in keys:
                raise _scan_error(Code.CBOR_MAP_DUPLICATE_KEY, "duplicate map key", what, item_start)
            keys.add(key)
            if require_sorted:
                encoded = data[item_start:pos]
                if previous is not None and (len(encoded), encoded) <= (len(previous), previous):
                    raise _scan_error(Code.CBOR_MAP_UNSORTED, "map keys not in canonical order", what, item_start)
                previous = encoded
        if major in (_ARRAY, _MAP):
            frames.append((remaining, keys, previous))
            remaining, keys, previous = count, (set() if major == _MAP else None), None


def _scan_error(code: Code, message: str, what: str, offset: int):
    return fail(code, f"{what}: {message} at offset {offset}", where=what, offset=offset)
