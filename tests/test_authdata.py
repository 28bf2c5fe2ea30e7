"""authenticatorData parsing: lengths, flags, the wire length of the key, extensions, trailing bytes."""

import hashlib

import cbor2
import pytest
from fidoconf.verifier.authdata import parse_authenticator_data
from fidoconf.verifier.errors import Code, VerificationError

RP_HASH = hashlib.sha256(b"example.com").digest()
# A well-formed EC2 P-256 COSE key shape (values are not checked by authData parsing).
KEY = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: b"x" * 32, -3: b"y" * 32})


def auth_data(flags=0x41, cred_id=b"\x01" * 16, key=KEY, tail=b"", length=None, aaguid=b"\xaa" * 16) -> bytes:
    body = RP_HASH + bytes([flags]) + (7).to_bytes(4, "big")
    if flags & 0x40:
        n = len(cred_id) if length is None else length
        body += aaguid + n.to_bytes(2, "big") + cred_id + key
    return body + tail


def code_of(raw: bytes) -> Code:
    with pytest.raises(VerificationError) as info:
        parse_authenticator_data(raw)
    return info.value.code


def test_parses_every_field():
    ad = parse_authenticator_data(auth_data(flags=0x45 | 0x18 | 0x80, tail=cbor2.dumps({"credProtect": 2})))
    assert ad.rp_id_hash == RP_HASH and ad.sign_count == 7 and ad.aaguid == b"\xaa" * 16
    assert ad.credential_id == b"\x01" * 16 and ad.credential_public_key == KEY
    assert ad.extensions == {"credProtect": 2}
    assert (ad.flags.up, ad.flags.uv, ad.flags.be, ad.flags.bs, ad.flags.at, ad.flags.ed) == (True,) * 6


def test_key_length_is_measured_on_the_wire():
    # Non-minimal alg head: a re-encoding would be one byte shorter and the check below would see trailing junk.
    key = bytes.fromhex("a5010203380620012158") + b"\x20" + b"x" * 32 + bytes.fromhex("225820") + b"y" * 32
    from fidoconf.verifier.encoding import CborLimits

    ad = parse_authenticator_data(auth_data(key=key), limits=CborLimits(require_minimal=False))
    assert ad.credential_public_key == key


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (RP_HASH + b"\x01\x00\x00\x00", Code.AUTH_DATA_LENGTH_TOO_SHORT),
        (auth_data()[:37 + 17], Code.AUTH_DATA_ATTESTED_CREDENTIAL_DATA_TRUNCATED),
        (auth_data(cred_id=b"", length=0), Code.AUTH_DATA_CREDENTIAL_ID_EMPTY),
        (auth_data(cred_id=b"\x01" * 1024), Code.AUTH_DATA_CREDENTIAL_ID_TOO_LONG),
        (auth_data(length=65535), Code.AUTH_DATA_CREDENTIAL_ID_TOO_LONG),
        (auth_data(cred_id=b"\x01" * 16, key=b"", length=900), Code.AUTH_DATA_CREDENTIAL_ID_TRUNCATED),
        (auth_data(key=b""), Code.AUTH_DATA_CREDENTIAL_PUBLIC_KEY_MISSING),
        (auth_data(key=KEY[:-5]), Code.CBOR_ITEM_TRUNCATED),
        (auth_data(tail=b"\x00"), Code.AUTH_DATA_TRAILING_BYTES),
        (auth_data(flags=0xC1), Code.AUTH_DATA_EXTENSIONS_MISSING),
        (auth_data(flags=0xC1, tail=cbor2.dumps([1])), Code.AUTH_DATA_EXTENSIONS_TYPE_INVALID),
        (auth_data(flags=0xC1, tail=cbor2.dumps(3)), Code.AUTH_DATA_EXTENSIONS_TYPE_INVALID),
        (auth_data(flags=0xC1, tail=bytes.fromhex("a2 6161 01 6161 02".replace(" ", ""))), Code.CBOR_MAP_DUPLICATE_KEY),
        (auth_data(flags=0x41, tail=cbor2.dumps({"credProtect": 2})), Code.AUTH_DATA_TRAILING_BYTES),
        (auth_data(flags=0xC1, tail=cbor2.dumps({"a": 1}) + b"\x00"), Code.AUTH_DATA_TRAILING_BYTES),
        (auth_data(flags=0x51), Code.AUTH_DATA_FLAGS_BS_WITHOUT_BE),
        (auth_data(key=bytes.fromhex("c2") + KEY), Code.CBOR_ITEM_TAG_FORBIDDEN),
        (auth_data(key=bytes.fromhex("bf01020326ff")), Code.CBOR_ITEM_INDEFINITE_LENGTH),
    ],
    ids=[
        "short", "at-under-18", "credid-0", "credid-1024", "credid-65535", "credid-beyond", "no-key", "key-truncated",
        "junk-after-key", "ed-no-map", "ed-array", "ed-int", "ed-dup-keys", "map-without-ed", "junk-after-ext",
        "bs-without-be", "tagged-key", "indefinite-key",
    ],
)
def test_refuses_each_defect(raw, code):
    assert code_of(raw) is code


def test_no_attested_data_is_parsed_for_assertions():
    ad = parse_authenticator_data(auth_data(flags=0x01))
    assert ad.credential_id is None and ad.credential_public_key is None


@pytest.mark.parametrize(
    "key",
    [
        cbor2.dumps({1: 2, 3: -7, -1: 1, -2: bytes(range(32)), -3: bytes(range(32, 64))}),
        cbor2.dumps({1: 1, 3: -8, -1: 6, -2: bytes(range(32))}),
        cbor2.dumps({1: 3, 3: -257, -1: bytes(range(256)), -2: b"\x01\x00\x01"}),
        cbor2.dumps({1: 3, 3: -257, -1: bytes(range(256)), -2: b"\x03"}),
    ],
    ids=["es256", "ed25519", "rs256", "rs256-e3"],
)
def test_canonical_key_fast_path_equals_the_generic_scan(key):
    from fidoconf.verifier.authdata import _canonical_key
    from fidoconf.verifier.encoding import decode_cbor_prefix

    raw = auth_data(key=key, tail=b"")
    pos = 37 + 18 + 16
    assert _canonical_key(raw, pos) == decode_cbor_prefix(raw, pos, what="k")
    # A truncated template falls back to the generic path and its coded error.
    assert _canonical_key(raw[:-1], pos) is None
