"""Strict base64url and the CTAP2 CBOR profile: each malformation has its own code."""

import cbor2
import pytest
from fidoconf.verifier.encoding import CborLimits, b64url_decode, b64url_encode, decode_cbor, decode_cbor_prefix
from fidoconf.verifier.errors import Code, VerificationError
from hypothesis import given
from hypothesis import strategies as st

TRAILING = Code.CBOR_ATTESTATION_OBJECT_TRAILING_BYTES


def code_of(fn, *args, **kwargs) -> Code:
    with pytest.raises(VerificationError) as info:
        fn(*args, **kwargs)
    return info.value.code


@pytest.mark.parametrize("data", [b"", b"\x00", b"\xff" * 7, bytes(range(256))])
def test_base64url_round_trip(data):
    assert b64url_decode(b64url_encode(data), field="x") == data


@pytest.mark.parametrize(
    "text",
    ["AQ==", "AQ=", "a+b/", "ab cd", "A", "AR", "AQID\n", 5, None, "é"],
    ids=["padding", "half-padding", "std-alphabet", "space", "len-1-mod-4", "nonzero-pad-bits", "newline", "int",
         "none", "non-ascii"],
)
def test_base64url_rejects_other_spellings(text):
    assert code_of(b64url_decode, text, field="x") is Code.ENCODING_BASE64URL_INVALID


def decode(data: bytes, **limits):
    return decode_cbor(data, what="test", trailing_code=TRAILING, limits=CborLimits(**limits))


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": b"\x01"}), {"fmt": "none", "attStmt": {}, "authData": b"\x01"}),
        (bytes.fromhex("a2 01 02 20 f5".replace(" ", "")), {1: 2, -1: True}),
        (bytes.fromhex("83 f4 f5 f6"), [False, True, None]),
        (bytes.fromhex("1b ffffffffffffffff".replace(" ", "")), 2**64 - 1),
    ],
)
def test_decodes_well_formed_items(data, value):
    assert decode(data) == value


@pytest.mark.parametrize(
    ("hexdata", "code"),
    [
        ("a0 00", TRAILING),
        ("", Code.CBOR_ITEM_TRUNCATED),
        ("43 0102", Code.CBOR_ITEM_TRUNCATED),
        ("5b 7fffffffffffffff", Code.CBOR_ITEM_TRUNCATED),
        ("9a ffffffff", Code.CBOR_ITEM_TRUNCATED),
        ("9b ffffffffffffffff", Code.CBOR_ITEM_TRUNCATED),
        ("19", Code.CBOR_ITEM_TRUNCATED),
        ("bf 01 02 ff", Code.CBOR_ITEM_INDEFINITE_LENGTH),
        ("5f 41 01 ff", Code.CBOR_ITEM_INDEFINITE_LENGTH),
        ("ff", Code.CBOR_ITEM_INDEFINITE_LENGTH),
        ("1c", Code.CBOR_ITEM_RESERVED),
        ("c2 41 01", Code.CBOR_ITEM_TAG_FORBIDDEN),
        ("d8 18 41 01", Code.CBOR_ITEM_TAG_FORBIDDEN),
        ("f9 3c00", Code.CBOR_ITEM_FLOAT_FORBIDDEN),
        ("fb 3ff0000000000000", Code.CBOR_ITEM_FLOAT_FORBIDDEN),
        ("f7", Code.CBOR_ITEM_SIMPLE_FORBIDDEN),
        ("f0", Code.CBOR_ITEM_SIMPLE_FORBIDDEN),
        ("18 05", Code.CBOR_ITEM_NON_MINIMAL),
        ("38 06", Code.CBOR_ITEM_NON_MINIMAL),
        ("59 0001 00", Code.CBOR_ITEM_NON_MINIMAL),
        ("a2 01 02 01 03", Code.CBOR_MAP_DUPLICATE_KEY),
        ("a2 61 61 01 61 61 02", Code.CBOR_MAP_DUPLICATE_KEY),
        ("a2 01 02 f5 03", Code.CBOR_MAP_KEY_TYPE_INVALID),
        ("a1 41 01 02", Code.CBOR_MAP_KEY_TYPE_INVALID),
        ("a1 82 01 02 01", Code.CBOR_MAP_KEY_TYPE_INVALID),
        ("62 c328", Code.CBOR_TEXT_INVALID_UTF8),
        ("81 81 81 81 81 81 01", Code.CBOR_ITEM_TOO_DEEP),
    ],
)
def test_refuses_each_malformation_with_its_code(hexdata, code):
    assert code_of(decode, bytes.fromhex(hexdata.replace(" ", ""))) is code


def test_non_minimal_allowed_when_policy_relaxes_it():
    assert decode(bytes.fromhex("1805"), require_minimal=False) == 5


def test_unsorted_keys_refused_only_when_required():
    data = bytes.fromhex("a2 02 00 01 00".replace(" ", ""))
    assert decode(data) == {2: 0, 1: 0}
    assert code_of(decode, data, require_sorted=True) is Code.CBOR_MAP_UNSORTED


def test_size_limit():
    assert code_of(decode, cbor2.dumps(b"x" * 100), max_size=50) is Code.CBOR_ITEM_TOO_LARGE


def test_prefix_reports_the_wire_end_not_a_re_encoding():
    # A key encoded with a non-minimal head is longer on the wire than its re-encoding: the end must be the wire one.
    item = bytes.fromhex("a1 01 18 02".replace(" ", ""))
    value, end = decode_cbor_prefix(item + b"junk", 0, what="k", limits=CborLimits(require_minimal=False))
    assert value == {1: 2} and end == len(item)


def test_duplicates_found_across_spellings_when_non_minimal_is_allowed():
    for hexdata in ("a2 05 00 18 05 00", "a2 61 61 00 78 01 61 00", "a2 20 00 38 00 00"):
        data = bytes.fromhex(hexdata.replace(" ", ""))
        assert code_of(decode, data, require_minimal=False) is Code.CBOR_MAP_DUPLICATE_KEY


def test_canonical_attestation_object_equals_the_generic_decode():
    import json

    from fidoconf.verifier.encoding import b64url_decode, canonical_attestation_object

    from .conftest import VECTORS

    checked = 0
    for path in sorted(VECTORS.glob("*/*/*.json")):
        if path.parent.name == "trust":
            continue
        response = json.loads(path.read_text()).get("credential", {}).get("response")
        try:
            data = b64url_decode(response["attestationObject"], field="ao")
        except (VerificationError, KeyError, TypeError):
            continue
        fast = canonical_attestation_object(data)
        if fast is None:
            continue
        assert fast == decode_cbor(data, what="ao", trailing_code=TRAILING), path
        checked += 1
    assert checked > 100


@pytest.mark.parametrize(
    "data",
    [
        cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": b"\x01" * 40}) + b"\x00",
        cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": b"\x01" * 40})[:-1],
        bytes.fromhex("a3636d667464") + b"none",
        cbor2.dumps({"fmt": "none", "attStmt": {1: 2.5}, "authData": b"\x01" * 40}),
        # a bignum tag decodes to an int beyond 64 bits, which cbor2 writes back with the same tag
        cbor2.dumps({"fmt": "none", "attStmt": {"n": 1 << 70}, "authData": b"\x01" * 40}),
        cbor2.dumps({"fmt": "none", "attStmt": {True: 1}, "authData": b"\x01" * 40}),
        cbor2.dumps({"fmt": "none", "attStmt": {b"k": 1}, "authData": b"\x01" * 40}),
        cbor2.dumps({"fmt": "none", "attStmt": {"u": cbor2.undefined}, "authData": b"\x01" * 40}),
        cbor2.dumps({"fmt": "none", "attStmt": {"t": cbor2.CBORTag(24, b"x")}, "authData": b"\x01" * 40}),
        cbor2.dumps({"fmt": "none", "attStmt": {"d": [[[[[1]]]]]}, "authData": b"\x01" * 40}),
        # duplicate key: two "fmt" entries, the map head counting both
        bytes.fromhex("a4") + cbor2.dumps("fmt") + cbor2.dumps("none") + cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": b"\x01"})[1:],
        # non-minimal head on the attStmt map, indefinite-length authData
        bytes.fromhex("a3") + cbor2.dumps("fmt") + cbor2.dumps("none") + cbor2.dumps("attStmt") + b"\xb8\x00"
        + cbor2.dumps("authData") + b"\x41\x01",
        bytes.fromhex("a3") + cbor2.dumps("fmt") + cbor2.dumps("none") + cbor2.dumps("attStmt") + b"\xa0"
        + cbor2.dumps("authData") + b"\x5f\x41\x01\xff",
    ],
)
def test_canonical_attestation_object_declines_what_it_cannot_vouch_for(data):
    from fidoconf.verifier.encoding import canonical_attestation_object

    assert canonical_attestation_object(data) is None


_cbor_leaves = (
    st.integers(min_value=-(1 << 70), max_value=1 << 70)
    | st.binary(max_size=8)
    | st.text(max_size=4)
    | st.booleans()
    | st.none()
    | st.floats(allow_nan=False)
    | st.just(cbor2.undefined)
    | st.builds(cbor2.CBORTag, st.sampled_from([0, 2, 24, 55799]), st.binary(max_size=3))
)
_cbor_values = st.recursive(
    _cbor_leaves,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.integers(-30, 30) | st.text(max_size=3) | st.booleans(), inner, max_size=3),
    max_leaves=12,
)


@given(
    att_stmt=st.dictionaries(st.text(max_size=4) | st.integers(-3, 3), _cbor_values, max_size=4),
    cut=st.integers(min_value=0, max_value=400),
    splice=st.binary(max_size=3),
    drop=st.integers(min_value=0, max_value=3),
)
def test_fast_path_never_accepts_what_the_strict_decode_would_not(att_stmt, cut, splice, drop):
    # The fast path is sound only if everything it returns is what the strict scan would return for the same
    # bytes: random statements (tags, floats, bignums, bool keys, deep nesting) and random byte splices.
    from fidoconf.verifier.encoding import canonical_attestation_object

    try:
        data = cbor2.dumps({"fmt": "packed", "attStmt": att_stmt, "authData": b"\x01" * 37})
    except Exception:  # noqa: BLE001 - a value cbor2 cannot encode has no bytes to test
        return
    data = data[:cut] + splice + data[cut + drop :]
    fast = canonical_attestation_object(data)
    if fast is not None:
        assert fast == decode_cbor(data, what="ao", trailing_code=TRAILING)
