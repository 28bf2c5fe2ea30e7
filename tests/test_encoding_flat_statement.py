"""The flat attStmt shortcut of verifier.encoding.canonical_attestation_object (the x5c formats' statements: text
keys to integers, strings and arrays of byte strings, read without the generic scan): it is taken for the
canonical shape with the strict value, and whatever it returns is what the strict decode returns for the same
bytes, across spliced and truncated variants and under every depth limit."""

from __future__ import annotations

import cbor2
import pytest
from fidoconf.verifier.encoding import DEFAULT_LIMITS, CborLimits, canonical_attestation_object, decode_cbor
from fidoconf.verifier.errors import Code, VerificationError
from hypothesis import given
from hypothesis import strategies as st

TRAILING = Code.CBOR_ATTESTATION_OBJECT_TRAILING_BYTES
AUTH_DATA = b"\x01" * 37


def _object(att_stmt: dict, fmt: str = "packed") -> bytes:
    # cbor2's canonical mode writes map keys in CTAP2 order (shorter first, then bytewise), as authenticators do.
    return cbor2.dumps({"fmt": fmt, "attStmt": att_stmt, "authData": AUTH_DATA}, canonical=True)


def _strict(data: bytes, limits: CborLimits = DEFAULT_LIMITS):
    try:
        return decode_cbor(data, what="ao", trailing_code=TRAILING, limits=limits)
    except VerificationError:
        return None


def _statement(x5c: list[bytes], alg: int, sig: bytes) -> dict:
    return {"alg": alg, "sig": sig, "x5c": x5c}


def test_a_tpm_shaped_statement_takes_the_shortcut_with_the_strict_value():
    att_stmt = {
        "ver": "2.0",
        "alg": -257,
        "x5c": [b"\x30" * 600, b"\x30" * 450],
        "sig": b"s" * 256,
        "certInfo": b"c" * 130,
        "pubArea": b"p" * 280,
    }
    data = _object(att_stmt, "tpm")
    fast = canonical_attestation_object(data)
    assert fast == _strict(data) == {"fmt": "tpm", "attStmt": att_stmt, "authData": AUTH_DATA}


@given(
    alg=st.integers(min_value=-65536, max_value=65535),
    sig=st.binary(max_size=300),
    x5c=st.lists(st.binary(max_size=300), max_size=5),
)
def test_packed_full_statements_take_the_shortcut_with_the_strict_value(alg, sig, x5c):
    data = _object(_statement(x5c, alg, sig))
    fast = canonical_attestation_object(data)
    assert fast is not None
    assert fast == _strict(data) == {"fmt": "packed", "attStmt": _statement(x5c, alg, sig), "authData": AUTH_DATA}


@given(
    att_stmt=st.dictionaries(
        st.text(max_size=6),
        st.integers(min_value=-70000, max_value=70000)
        | st.binary(max_size=30)
        | st.text(max_size=5)
        | st.lists(st.binary(max_size=30) | st.integers(-3, 3), max_size=4)
        | st.booleans(),
        max_size=5,
    ),
    cut=st.integers(min_value=0, max_value=200),
    splice=st.binary(max_size=3),
    drop=st.integers(min_value=0, max_value=3),
    max_depth=st.integers(min_value=1, max_value=4),
)
def test_the_shortcut_never_returns_what_the_strict_decode_would_not(att_stmt, cut, splice, drop, max_depth):
    data = _object(att_stmt)
    data = data[:cut] + splice + data[cut + drop :]
    limits = CborLimits(max_depth=max_depth)
    fast = canonical_attestation_object(data, limits=limits)
    if fast is not None:
        assert fast == _strict(data, limits)


@pytest.mark.parametrize(
    ("spelling", "why"),
    [
        (b"\xa2\x63sig\x41s\x63alg\x26", "keys out of canonical order"),
        (b"\xa2\x63alg\x26\x63alg\x27", "a repeated key"),
        (b"\xa2\x63alg\x38\x06\x63sig\x41s", "a non-minimal integer head"),
        (b"\xa2\x63alg\x26\x63x5c\x81\x59\x00\x01s", "a non-minimal length inside x5c"),
        (b"\xa2\x63alg\x26\x63x5c\x81\x61s", "text inside x5c"),
        (b"\xa2\x63alg\x26\x63sig\xf5", "a boolean value"),
        (b"\xa2\x63alg\x26\x63sig\x62\xff\xfe", "text that is not UTF-8"),
    ],
)
def test_other_shapes_get_exactly_the_strict_decode(spelling, why):
    # The shortcut declines these; the generic scan then decides, so the answer is the strict one either way.
    data = b"\xa3\x63fmt\x66packed\x67attStmt" + spelling + b"\x68authData\x58\x25" + AUTH_DATA
    assert canonical_attestation_object(data) == _strict(data), why


def test_an_x5c_array_needs_depth_three():
    data = _object({"alg": -7, "sig": b"s", "x5c": [b"c"]})
    assert canonical_attestation_object(data, limits=CborLimits(max_depth=2)) is None
    assert _strict(data, CborLimits(max_depth=2)) is None
    assert canonical_attestation_object(data, limits=CborLimits(max_depth=3)) == _strict(data, CborLimits(max_depth=3))
