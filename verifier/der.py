"""The project's one DER reader: strict (X.690 §8, §10), for the certificate fields and extension values read by
hand (verifier/cert_der.py, android-key's KeyDescription) and for the suite's authenticator, which edits DER it
built (`encoded_children`).

cryptography has no generic ASN.1 parser, so structures it does not know (android-key's KeyDescription) are
walked here. DER only: definite minimal lengths, minimal tag numbers and INTEGERs, no trailing bytes.
Callers turn `DerError` into their own coded error.
"""

from __future__ import annotations

from dataclasses import dataclass

UNIVERSAL, CONTEXT = 0, 2
INTEGER, OCTET_STRING, NULL, ENUMERATED, SEQUENCE, SET = 2, 4, 5, 10, 16, 17


class DerError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Tlv:
    cls: int
    constructed: bool
    number: int
    value: bytes

    def is_universal(self, number: int, *, constructed: bool = False) -> bool:
        return self.cls == UNIVERSAL and self.number == number and self.constructed == constructed


def header(data: bytes, pos: int, end: int) -> tuple[int, int, int, int]:
    """The TLV at `pos` inside data[:end] → (identifier octet, tag number, content start, content end).

    Offsets into one buffer, no copies: a certificate is walked once at this level (verifier/cert_der.py)."""
    if pos >= end:
        raise DerError("truncated before a tag")
    first = data[pos]
    pos += 1
    number = first & 0x1F
    if number == 0x1F:
        number, pos = _high_tag_number(data, pos, end)
    if pos >= end:
        raise DerError("truncated before a length")
    length = data[pos]
    pos += 1
    if length & 0x80:
        count = length & 0x7F
        # X.690 §10.1: DER lengths are definite and use the fewest octets; long form only for lengths >= 128.
        if count == 0:
            raise DerError("indefinite length")
        if count > 4 or pos + count > end or data[pos] == 0:
            raise DerError("invalid long-form length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
        if length < 0x80:
            raise DerError("non-minimal length")
    stop = pos + length
    if stop > end:
        raise DerError("value runs past its container")
    return first, number, pos, stop


def _high_tag_number(data: bytes, pos: int, end: int) -> tuple[int, int]:
    # High-tag-number form (X.690 §8.1.2.4): base-128, no leading 0x80 octet, only for numbers >= 31.
    number = 0
    while True:
        if pos >= end:
            raise DerError("truncated inside a tag")
        octet = data[pos]
        pos += 1
        if number == 0 and octet == 0x80:
            raise DerError("non-minimal tag number")
        number = (number << 7) | (octet & 0x7F)
        if number > 0xFFFF:
            raise DerError("tag number too large")
        if not octet & 0x80:
            break
    if number < 0x1F:
        raise DerError("tag number in long form below 31")
    return number, pos


def read_tlv(data: bytes, pos: int) -> tuple[Tlv, int]:
    """One TLV at `pos` → (tlv, offset past it)."""
    first, number, start, stop = header(data, pos, len(data))
    return Tlv(first >> 6, bool(first & 0x20), number, data[start:stop]), stop


def children(data: bytes) -> list[Tlv]:
    """The TLVs that exactly fill `data` (a constructed value's content)."""
    items, pos = [], 0
    while pos < len(data):
        tlv, pos = read_tlv(data, pos)
        items.append(tlv)
    return items


def single(data: bytes, what: str) -> Tlv:
    """`data` is exactly one TLV."""
    tlv, end = read_tlv(data, 0)
    if end != len(data):
        raise DerError(f"{len(data) - end} byte(s) after the {what}")
    return tlv


def expect(tlv: Tlv, number: int, *, constructed: bool, what: str) -> bytes:
    if not tlv.is_universal(number, constructed=constructed):
        raise DerError(f"{what} has the wrong tag")
    return tlv.value


def integer(tlv: Tlv, what: str, number: int = INTEGER) -> int:
    value = expect(tlv, number, constructed=False, what=what)
    # X.690 §8.3.2: at least one octet; the first nine bits are never all zeros or all ones.
    if not value or (len(value) > 1 and (value[0], value[1] & 0x80) in ((0, 0), (0xFF, 0x80))):
        raise DerError(f"{what} is not a minimal INTEGER")
    return int.from_bytes(value, "big", signed=True)


def encoded_children(element: bytes) -> list[bytes]:
    """The encodings (tag, length and value) of the TLVs inside the one constructed TLV `element`."""
    content = single(element, "element").value
    out, pos = [], 0
    while pos < len(content):
        _, end = read_tlv(content, pos)
        out.append(content[pos:end])
        pos = end
    return out


def oid_text(content: bytes) -> str:
    """An OBJECT IDENTIFIER's content octets → dotted text (X.690 §8.19)."""
    if not content or content[-1] & 0x80:
        raise DerError("truncated OBJECT IDENTIFIER")
    arcs, value, arc_start = [], 0, True
    for octet in content:
        if arc_start and octet == 0x80:
            raise DerError("non-minimal OBJECT IDENTIFIER arc")
        value = (value << 7) | (octet & 0x7F)
        arc_start = not octet & 0x80
        if arc_start:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in (first, arcs[0] - 40 * first, *arcs[1:]))


def oid_content(dotted: str) -> bytes:
    """Dotted text → an OBJECT IDENTIFIER's content octets (the inverse of `oid_text`)."""
    arcs = [int(a) for a in dotted.split(".")]
    out = bytearray()
    for arc in (40 * arcs[0] + arcs[1], *arcs[2:]):
        chunk = [arc & 0x7F]
        while arc > 0x7F:
            arc >>= 7
            chunk.append(0x80 | (arc & 0x7F))
        out += bytes(reversed(chunk))
    return bytes(out)
