"""The attStmt {alg, sig} shortcut of verifier.encoding.canonical_attestation_object (packed self attestation's
statement, read without the generic scan): it is taken for the canonical shape, and whatever it returns is what
the strict decode returns for the same bytes, across spliced and truncated variants."""

from __future__ import annotations

import cbor2
from fidoconf.verifier.encoding import canonical_attestation_object, decode_cbor
from fidoconf.verifier.errors import Code, VerificationError
from hypothesis import given
from hypothesis import strategies as st

TRAILING = Code.CBOR_ATTESTATION_OBJECT_TRAILING_BYTES


def _object(att_stmt: dict) -> bytes:
    return cbor2.dumps({"fmt": "packed", "attStmt": att_stmt, "authData": b"\x01" * 37})


def _strict(data: bytes):
    try:
        return decode_cbor(data, what="ao", trailing_code=TRAILING)
    except VerificationError:
        return None


@given(alg=st.integers(min_value=-70000, max_value=-1), sig=st.binary(max_size=300))
def test_the_canonical_alg_sig_statement_takes_the_shortcut_with_the_strict_value(alg, sig):
    data = _object({"alg": alg, "sig": sig})
    fast = canonical_attestation_object(data)
    expected = _strict(data)
    if alg < -65536:  # a 4-byte negative integer head: the shortcut declines, the generic scan decides
        assert fast is None or fast == expected
        return
    assert fast == expected == {"fmt": "packed", "attStmt": {"alg": alg, "sig": sig}, "authData": b"\x01" * 37}


@given(
    alg=st.integers(min_value=-300, max_value=30),
    sig=st.binary(max_size=40),
    cut=st.integers(min_value=0, max_value=80),
    splice=st.binary(max_size=3),
    drop=st.integers(min_value=0, max_value=3),
)
def test_the_shortcut_never_returns_what_the_strict_decode_would_not(alg, sig, cut, splice, drop):
    data = _object({"alg": alg, "sig": sig})
    data = data[:cut] + splice + data[cut + drop :]
    fast = canonical_attestation_object(data)
    if fast is not None:
        assert fast == _strict(data)


def test_non_minimal_heads_and_other_shapes_are_declined():
    canonical = _object({"alg": -7, "sig": b"s" * 30})
    at = canonical.index(b"\x63alg") + 4
    # alg -7 spelled with a one-byte argument (38 06), and sig's length 30 spelled with two bytes (59 00 1e)
    non_minimal_alg = canonical[:at] + b"\x38\x06" + canonical[at + 1 :]
    sig_at = canonical.index(b"\x63sig") + 4
    non_minimal_sig = canonical[:sig_at] + b"\x59\x00\x1e" + canonical[sig_at + 2 :]
    assert canonical_attestation_object(non_minimal_alg) is None
    assert canonical_attestation_object(non_minimal_sig) is None
    # keys in the other order: the generic scan reads it (sorting is a policy choice), with the strict value
    swapped = _object({"sig": b"s", "alg": -7})
    assert canonical_attestation_object(swapped) == _strict(swapped) == {
        "fmt": "packed", "attStmt": {"sig": b"s", "alg": -7}, "authData": b"\x01" * 37
    }
