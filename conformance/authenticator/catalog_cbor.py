"""Appendix B "CBOR framing": how the attestation object is encoded (docs/attacks.md A1-A11). Its members (fmt,
attStmt, authData: presence, type, fmt matching) are catalog_attobj."""

from __future__ import annotations

from . import cbor, requirements
from .cbor import Raw
from .hooks import canonical_sorted, func, replace_pair
from .mutations import Mutation

_CANON = "#sctn-conforming-all-classes"
_CANON_REQ = (
    "All CBOR encoding performed by the members of the above conformance classes MUST be done using the CTAP2 "
    "canonical CBOR encoding form."
)
_ATTOBJ = "#sctn-attestation"
_STEP13 = "#sctn-registering-a-new-credential"
_STEP13_REQ = (
    "Perform CBOR decoding on the attestationObject field of the AuthenticatorAttestationResponse structure to "
    "obtain the attestation statement format fmt, the authenticator data authData, and the attestation statement "
    "attStmt."
)


def _bytes(name, description, fn, code, **kw) -> Mutation:
    return Mutation(
        name=name,
        group="cbor",
        description=description,
        requirement=kw.pop("requirement", _STEP13_REQ),
        anchor=kw.pop("anchor", _STEP13),
        hooks={"attestation_object_bytes": func(fn)},
        expected_code=code,
        **kw,
    )


def _pairs(name, description, hook, code, **kw) -> Mutation:
    return Mutation(
        name=name,
        group=kw.pop("group", "cbor"),
        description=description,
        requirement=kw.pop("requirement", _STEP13_REQ),
        anchor=kw.pop("anchor", _STEP13),
        hooks={"attestation_object": hook},
        expected_code=code,
        **kw,
    )


def _att_stmt_raw(raw: bytes):
    return replace_pair("attStmt", Raw(raw))


def _with_head(data: bytes, head: bytes) -> bytes:
    """Swap the single-byte map head of the top-level map for `head`."""
    return head + data[1:]


def _append(*extra):
    return func(lambda pairs: list(pairs) + list(extra))


def _prepend(*extra):
    return func(lambda pairs: list(extra) + list(pairs))


_TRAILING = "cbor.attestation_object.trailing_bytes"
_NON_MINIMAL_POLICY = {"preset": "strict", "cbor": {"require_minimal": False}}
_SORTED_POLICY = {"preset": "strict", "cbor": {"require_sorted": True}}
_ACCEPT = {"expect": "accept"}

MUTATIONS: tuple[Mutation, ...] = (
    # --- A1 trailing bytes ---
    _bytes("cbor-trailing-zero-byte", "one 0x00 byte after the attestation object", lambda d: d + b"\x00", _TRAILING, requirement=requirements.ONE_CBOR_ITEM, level="STRICT"),
    _bytes(
        "cbor-trailing-four-bytes",
        "0xdeadbeef after the attestation object",
        lambda d: d + b"\xde\xad\xbe\xef",
        _TRAILING,
        requirement=requirements.ONE_CBOR_ITEM,
        level="STRICT",
    ),
    _bytes(
        "cbor-trailing-second-item",
        "a second complete attestation object after the first",
        lambda d: d + d,
        _TRAILING,
        requirement=requirements.ONE_CBOR_ITEM,
        level="STRICT",
    ),
    # --- A7 truncation and over-declared lengths ---
    _bytes(
        "cbor-truncated-last-item",
        "last byte of authData (the last item) cut off",
        lambda d: d[:-1],
        "cbor.item.truncated",
        requirement=requirements.ATTOBJ_DECODE,
        level="MUST",
    ),
    _pairs(
        "cbor-declared-length-overflow",
        "authData's byte-string head declares 5 more bytes than are present",
        replace_pair("authData", lambda v: Raw(cbor.head(cbor.BYTES, len(v) + 5) + v)),
        "cbor.item.truncated",
        requirement=requirements.ATTOBJ_DECODE,
        level="MUST",
    ),
    _pairs(
        "cbor-count-2-pow-32",
        "attStmt holds an array whose head declares 2^32 elements",
        _att_stmt_raw(b"\xa1\x61x\x9a\xff\xff\xff\xff"),
        "cbor.item.truncated",
        requirement=requirements.ATTOBJ_DECODE,
        level="MUST",
    ),
    _pairs(
        "cbor-count-2-pow-64-minus-1",
        "attStmt holds an array whose head declares 2^64-1 elements",
        _att_stmt_raw(b"\xa1\x61x\x9b" + b"\xff" * 8),
        "cbor.item.truncated",
        requirement=requirements.ATTOBJ_DECODE,
        level="MUST",
    ),
    _pairs(
        "cbor-bytes-length-2-pow-63",
        "attStmt holds a byte string declaring 2^63-1 bytes",
        _att_stmt_raw(b"\xa1\x61x\x5b\x7f" + b"\xff" * 7),
        "cbor.item.truncated",
        requirement=requirements.ATTOBJ_DECODE,
        level="MUST",
    ),
    # --- A4 / A5 duplicate and typed keys ---
    _pairs(
        "cbor-duplicate-fmt-same-value",
        "fmt appears twice with the same value",
        _append(("fmt", "none")),
        "cbor.map.duplicate_key",
        requirement=requirements.DUPLICATE_KEYS,
        level="STRICT",
    ),
    _pairs(
        "cbor-duplicate-fmt-packed-then-none",
        "fmt 'packed' and a second fmt 'none': last-wins parsers downgrade the statement to none",
        _append(("fmt", "none")),
        "cbor.map.duplicate_key",
        base=("packed-self", "ES256"),
        requirement=requirements.ATTOBJ_DUPLICATE_MEMBER,
        level="MUST",
    ),
    _pairs(
        "cbor-duplicate-attstmt",
        "attStmt appears twice (the real one and an empty map)",
        _append(("attStmt", {})),
        "cbor.map.duplicate_key",
        base=("packed-self", "ES256"),
        requirement=requirements.ATTOBJ_DUPLICATE_MEMBER,
        level="MUST",
    ),
    _pairs(
        "cbor-duplicate-authdata-non-preferred-key",
        "a second authData under the same key spelled with a 2-byte text head (78 08): equal keys, different bytes",
        func(lambda pairs: list(pairs) + [(Raw(b"\x78\x08authData"), dict(pairs)["authData"])]),
        "cbor.map.duplicate_key",
        policy=_NON_MINIMAL_POLICY,
        outcomes={"strict": {"expect": "reject", "expected_code": "cbor.item.non_minimal"}},
        level="SHOULD",
    ),
    _pairs(
        "cbor-top-level-int-key",
        "an extra integer key 1 in the attestation object",
        _prepend((1, 1)),
        "attestation_object.key.unexpected",
        requirement=requirements.ATTOBJ_MEMBERS,
        anchor=_ATTOBJ,
        level="STRICT",
    ),
    _pairs(
        "cbor-top-level-bytes-key",
        "a byte-string key b'fmt' in the attestation object",
        _prepend((b"fmt", "none")),
        "cbor.map.key_type_invalid",
        requirement=requirements.ATTOBJ_MEMBERS,
        level="STRICT",
    ),
    _pairs(
        "cbor-top-level-extra-text-key",
        "an unknown text key 'extra' in the attestation object",
        func(lambda pairs: canonical_sorted(list(pairs) + [("extra", 0)])),
        "attestation_object.key.unexpected",
        requirement=requirements.ATTOBJ_MEMBERS,
        anchor=_ATTOBJ,
        level="STRICT",
    ),
    # --- A6 non-canonical encodings ---
    _bytes(
        "cbor-indefinite-top-level-map",
        "the attestation object as an indefinite-length map (bf ... ff)",
        lambda d: _with_head(d, b"\xbf") + b"\xff",
        "cbor.item.indefinite_length",
        requirement=requirements.CTAP2_CANONICAL,
        anchor=_CANON,
        level="STRICT",
    ),
    _pairs(
        "cbor-indefinite-authdata-bytes",
        "authData as an indefinite-length byte string of two chunks",
        replace_pair("authData", lambda v: Raw(cbor.indefinite_bytes([v[:37], v[37:]]))),
        "cbor.item.indefinite_length",
        requirement=requirements.CTAP2_CANONICAL,
        anchor=_CANON,
        level="STRICT",
    ),
    _pairs(
        "cbor-indefinite-fmt-text",
        "fmt as an indefinite-length text string 'no' 'ne'",
        replace_pair("fmt", Raw(cbor.indefinite_text(["no", "ne"]))),
        "cbor.item.indefinite_length",
        requirement=requirements.CTAP2_CANONICAL,
        anchor=_CANON,
        level="STRICT",
    ),
    _bytes(
        "cbor-non-minimal-map-head",
        "the top-level map count written as b8 03 instead of a3",
        lambda d: b"\xb8\x03" + d[1:],
        "cbor.item.non_minimal",
        requirement=_CANON_REQ,
        anchor=_CANON,
        outcomes={"permissive": _ACCEPT},
        level="SHOULD",
    ),
    _pairs(
        "cbor-non-minimal-authdata-length",
        "authData's length written with a 2-byte argument although it fits in one",
        replace_pair("authData", lambda v: Raw(cbor.head(cbor.BYTES, len(v), width=2) + v)),
        "cbor.item.non_minimal",
        requirement=_CANON_REQ,
        anchor=_CANON,
        outcomes={"permissive": _ACCEPT},
        level="SHOULD",
    ),
    _pairs(
        "cbor-unsorted-top-level-keys",
        "attestation object keys in reverse canonical order (authData, attStmt, fmt)",
        func(lambda pairs: list(reversed(pairs))),
        "cbor.map.unsorted",
        requirement=_CANON_REQ,
        anchor=_CANON,
        policy=_SORTED_POLICY,
        outcomes={"strict": _ACCEPT},
        level="SHOULD",
    ),
    # --- A10 tags, floats, simple values ---
    _bytes(
        "cbor-tag-self-describe",
        "the attestation object wrapped in the self-describe tag 55799 (d9 d9 f7)",
        lambda d: b"\xd9\xd9\xf7" + d,
        "cbor.item.tag_forbidden",
        requirement=_CANON_REQ,
        anchor=_CANON,
        level="MUST",
    ),
    _pairs(
        "cbor-tag-on-authdata",
        "authData wrapped in tag 24 (encoded CBOR data item)",
        replace_pair("authData", lambda v: Raw(cbor.tagged(24, v))),
        "cbor.item.tag_forbidden",
        requirement=_CANON_REQ,
        anchor=_CANON,
        level="MUST",
    ),
    _pairs(
        "cbor-simple-undefined-attstmt",
        "attStmt is the simple value undefined (f7)",
        _att_stmt_raw(b"\xf7"),
        "cbor.item.simple_forbidden",
        requirement=requirements.ATTOBJ_DECODE,
        level="MUST",
    ),
    _pairs(
        "cbor-reserved-additional-info",
        "attStmt is an item head with reserved additional information 28 (1c)",
        _att_stmt_raw(b"\x1c"),
        "cbor.item.reserved",
        requirement=requirements.ATTOBJ_DECODE,
        level="MUST",
    ),
    _pairs(
        "cbor-float-in-att-stmt",
        "attStmt of fmt none holds a half-precision float",
        _att_stmt_raw(b"\xa1\x61x" + cbor.half_float(1.0)),
        "cbor.item.float_forbidden",
        requirement=requirements.NONE_EMPTY_STMT,
        level="STRICT",
    ),
    # --- A8 nesting ---
    _pairs(
        "cbor-nesting-too-deep",
        "attStmt holds arrays nested 6 deep (deeper than any WebAuthn structure)",
        _att_stmt_raw(b"\xa1\x61x" + b"\x81" * 6 + b"\x00"),
        "cbor.item.too_deep",
        requirement=requirements.NESTING_LIMIT,
        level="STRICT",
    ),
    # --- text and top-level shape ---
    _pairs(
        "cbor-fmt-invalid-utf8",
        "fmt is a text string holding the invalid UTF-8 bytes ff fe",
        replace_pair("fmt", Raw(b"\x64\xff\xfeon")),
        "cbor.text.invalid_utf8",
        requirement=requirements.ATTOBJ_DECODE,
        level="MUST",
    ),
    _pairs(
        "cbor-top-level-array",
        "the attestation object is an array [fmt, attStmt, authData], not a map",
        func(lambda pairs: Raw(cbor.encode([v for _, v in pairs]))),
        "attestation_object.type.not_map",
        requirement=requirements.ATTOBJ_DECODE,
        anchor=_ATTOBJ,
        level="MUST",
    ),
    _bytes(
        "cbor-empty-attestation-object",
        "the attestation object is zero bytes",
        lambda d: b"",
        "cbor.attestation_object.empty",
        vector_file=False,
        requirement=requirements.ATTOBJ_DECODE,
        level="MUST",  # test_vector_files requires every credential member to decode to bytes
    ),
)
