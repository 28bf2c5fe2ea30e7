"""Appendix B "COSE key" and the re-encode traps inside it (docs/attacks.md A2, C1-C5)."""

from __future__ import annotations

from functools import partial

from . import cbor
from .catalog_authdata import (
    ACCEPT,
    KEY,
    P256,
    REG,
    alg_non_minimal,
    canonical_items,
    cbor_decode_small,
    cose_bytes,
    cose_defect,
    flip_y,
    insert_before_end,
    junk,
)
from .cbor import Pairs
from .hooks import DROP, build_attr, func, set_labels
from .keys import derive_key
from .mutations import Mutation

MUTATIONS: tuple[Mutation, ...] = (
    # --- A2 re-encode traps in the COSE key ---
    cose_bytes(
        "cose-non-minimal-alg",
        "the key's alg -7 written as 38 06 (non-minimal): a re-encoding parser measures it one byte short",
        alg_non_minimal,
        "cbor.item.non_minimal",
        outcomes={"permissive": ACCEPT},
    ),
    cose_bytes(
        "cose-half-float-param-with-junk",
        "an extra parameter -100 holding a half float, then 6 junk bytes that a re-encode-and-measure parser skips",
        lambda d: insert_before_end(d, cbor.encode(-100) + cbor.half_float(1.0)),
        "cbor.item.float_forbidden",
        extra_hooks={"auth_data": junk(6)},
    ),
    cose_bytes(
        "cose-single-float-param-with-junk",
        "an extra parameter -100 holding a single-precision float, then 4 junk bytes (cbor2 re-encodes it as a double)",
        lambda d: insert_before_end(d, cbor.encode(-100) + cbor.single_float(1.5)),
        "cbor.item.float_forbidden",
        extra_hooks={"auth_data": junk(4)},
    ),
    cose_bytes(
        "cose-indefinite-map",
        "the COSE key as an indefinite-length map",
        lambda d: b"\xbf" + d[1:] + b"\xff",
        "cbor.item.indefinite_length",
    ),
    cose_bytes(
        "cose-tag-on-x-with-junk",
        "x wrapped in tag 24, then 2 junk bytes",
        lambda d: d.replace(b"\x21\x58\x20", b"\x21\xd8\x18\x58\x20", 1),
        "cbor.item.tag_forbidden",
        extra_hooks={"auth_data": junk(2)},
    ),
    cose_bytes(
        "cose-truncated",
        "the COSE key's last 5 bytes cut off (nothing follows)",
        lambda d: d[:-5],
        "cbor.item.truncated",
    ),
    cose_bytes(
        "cose-duplicate-label",
        "label 3 (alg) appears twice",
        lambda d: insert_before_end(d, b"\x03\x26"),
        "cbor.map.duplicate_key",
    ),
    cose_bytes(
        "cose-unsorted-labels",
        "COSE labels in reverse canonical order",
        lambda d: cbor.map_in_order(list(reversed(canonical_items(cbor_decode_small(d))))),
        "cbor.map.unsorted",
        policy={"preset": "strict", "cbor": {"require_sorted": True}},
        outcomes={"strict": ACCEPT},
    ),
    cose_bytes(
        "cose-raw-ec-point",
        "a raw uncompressed point 04||x||y where the COSE key belongs",
        lambda d: b"\x04" + cbor_decode_small(d)[-2] + cbor_decode_small(d)[-3],
        "auth_data.trailing_bytes.present",
    ),
    # --- COSE key content (C1-C5) ---
    cose_defect(
        "cose-bool-label",
        "a key with boolean label true (collides with 1 in Python)",
        func(lambda c: Pairs.of(canonical_items(c) + [(True, 3)])),
        "cbor.map.key_type_invalid",
    ),
    cose_bytes(
        "cose-float-label",
        "a second alg under the float label 3.0 ({3: -7, 3.0: -257}: equal keys in Python)",
        lambda d: insert_before_end(d, cbor.half_float(3.0) + cbor.encode(-257)),
        # Both a float and a non-int/text key: "no floats anywhere" is the broader rule, so it is the one named.
        "cbor.item.float_forbidden",
    ),
    cose_defect(
        "cose-text-labels",
        "text labels 'kty', 'alg', 'crv', 'x', 'y'",
        func(lambda c: dict(zip(("kty", "alg", "crv", "x", "y"), (c[1], c[3], c[-1], c[-2], c[-3]), strict=True))),
        "cose_key.label.invalid",
    ),
    cose_defect("cose-kty-missing", "no kty (1)", set_labels({1: DROP}), "cose_key.kty.missing"),
    cose_defect("cose-alg-missing", "no alg (3)", set_labels({3: DROP}), "cose_key.alg.missing"),
    cose_defect("cose-crv-missing", "no crv (-1)", set_labels({-1: DROP}), "cose_key.crv.missing"),
    cose_defect("cose-x-missing", "no x (-2)", set_labels({-2: DROP}), "cose_key.x.missing"),
    cose_defect("cose-y-missing", "no y (-3)", set_labels({-3: DROP}), "cose_key.y.missing"),
    cose_defect("cose-kid-present", "an OPTIONAL kid (2) parameter", set_labels({2: b"kid"}), "cose_key.param.unexpected"),
    cose_defect(
        "cose-key-ops-present", "an OPTIONAL key_ops (4) parameter", set_labels({4: [2]}), "cose_key.param.unexpected"
    ),
    cose_defect(
        "cose-kty-rsa-with-ec-params",
        "kty 3 (RSA) with alg -7 and EC2 parameters",
        set_labels({1: 3}),
        "cose_key.alg.kty_mismatch",
    ),
    cose_defect("cose-kty-symmetric", "kty 4 (Symmetric)", set_labels({1: 4}), "cose_key.kty.unsupported"),
    cose_defect("cose-alg-unknown", "alg -999", set_labels({3: -999}), "cose_key.alg.unsupported"),
    cose_defect("cose-alg-crv-mismatch", "alg ES256 with crv 2 (P-384)", set_labels({-1: 2}), "cose_key.crv.alg_mismatch"),
    cose_defect("cose-crv-unknown", "crv 99", set_labels({-1: 99}), "cose_key.crv.unsupported"),
    Mutation(
        "cose-alg-not-in-pub-key-cred-params",
        "cose_key",
        "an ES256 key while the RP offered only RS256",
        'Verify that the "alg" parameter in the credential public key in authData matches the alg attribute of one of the items in pkOptions.pubKeyCredParams.',
        REG,
        {},
        "cose_key.alg.not_allowed",
        pub_key_cred_params=(-257,),
    ),
    cose_defect(
        "cose-point-off-curve",
        "y with its lowest bit flipped: the point is not on P-256",
        func(flip_y),
        "cose_key.point.invalid",
        requirement="#sctn-registering-a-new-credential: the credential public key must be a valid key for its algorithm (point on the curve).",
    ),
    cose_defect(
        "cose-point-at-infinity",
        "x = y = 0 (the encoding of no point)",
        set_labels({-2: bytes(32), -3: bytes(32)}),
        "cose_key.point.invalid",
    ),
    cose_defect(
        "cose-x-not-below-p",
        "x = p (a coordinate outside the field)",
        set_labels({-2: P256.to_bytes(32, "big")}),
        "cose_key.point.invalid",
    ),
    cose_defect("cose-x-short", "x of 31 bytes", func(lambda c: {**c, -2: c[-2][1:]}), "cose_key.x.length_invalid"),
    cose_defect(
        "cose-y-long",
        "y of 33 bytes (leading zero)",
        func(lambda c: {**c, -3: b"\x00" + c[-3]}),
        "cose_key.y.length_invalid",
    ),
    cose_defect(
        "cose-y-compressed-bool",
        "y is the boolean sign bit of a compressed point",
        set_labels({-3: True}),
        "cose_key.y.length_invalid",
    ),
    # RSA (C4)
    cose_defect(
        "cose-rsa-n-missing",
        "RSA key without n (-1)",
        set_labels({-1: DROP}),
        "cose_key.n.missing",
        base=("none", "RS256"),
        algs=("RS256",),
    ),
    cose_defect(
        "cose-rsa-e-missing",
        "RSA key without e (-2)",
        set_labels({-2: DROP}),
        "cose_key.e.missing",
        base=("none", "RS256"),
        algs=("RS256",),
    ),
    cose_defect(
        "cose-rsa-n-leading-zero",
        "n with a leading zero octet",
        func(lambda c: {**c, -1: b"\x00" + c[-1]}),
        "cose_key.n.invalid",
        base=("none", "RS256"),
        algs=("RS256",),
        requirement="RFC 8230 §4: the octet sequence MUST utilize the minimum number of octets needed to represent the value.",
    ),
    cose_defect(
        "cose-rsa-e-one",
        "e = 1",
        set_labels({-2: b"\x01"}),
        "cose_key.e.invalid",
        base=("none", "RS256"),
        algs=("RS256",),
    ),
    cose_defect(
        "cose-rsa-e-even",
        "e = 65536 (even)",
        set_labels({-2: b"\x01\x00\x00"}),
        "cose_key.e.invalid",
        base=("none", "RS256"),
        algs=("RS256",),
    ),
    cose_defect(
        "cose-rsa-e-not-below-n",
        "e = n + 2 (odd, not below n)",
        func(lambda c: {**c, -2: (int.from_bytes(c[-1], "big") + 2).to_bytes(len(c[-1]), "big")}),
        "cose_key.e.invalid",
        base=("none", "RS256"),
        algs=("RS256",),
    ),
    Mutation(
        "cose-rsa-1024-bit",
        "cose_key",
        "a 1024-bit RSA credential key",
        "RFC 8230 §6.1: a key size of 2048 bits or larger MUST be used with these algorithms.",
        KEY,
        {
            "params": build_attr(
                credential_key=partial(derive_key, "RS256", "fidoconf/cose-rsa-1024-bit/credential", rsa_bits=1024)
            )
        },
        "cose_key.rsa.too_small",
        base=("none", "RS256"),
        algs=("RS256",),
        policy={"preset": "strict", "min_rsa_bits": 2048},
    ),
    # OKP
    cose_defect(
        "cose-okp-alg-es256",
        "an Ed25519 OKP key labelled alg -7",
        set_labels({3: -7}),
        "cose_key.alg.kty_mismatch",
        base=("none", "Ed25519"),
        algs=("Ed25519",),
        pub_key_cred_params=(-7, -19),
    ),
    cose_defect(
        "cose-okp-crv-ed448-for-ed25519",
        "alg Ed25519 (-19) with crv 7 (Ed448)",
        set_labels({-1: 7}),
        "cose_key.crv.alg_mismatch",
        base=("none", "Ed25519"),
        algs=("Ed25519",),
    ),
    cose_defect(
        "cose-okp-crv-x25519",
        "alg EdDSA with crv 4 (X25519, a key-agreement curve)",
        set_labels({-1: 4}),
        "cose_key.crv.unsupported",
        base=("none", "EdDSA-Ed25519"),
        algs=("EdDSA-Ed25519",),
    ),
    cose_defect(
        "cose-okp-x-short",
        "Ed25519 x of 31 bytes",
        func(lambda c: {**c, -2: c[-2][1:]}),
        "cose_key.x.length_invalid",
        base=("none", "Ed25519"),
        algs=("Ed25519",),
    ),
    # AKP (ML-DSA)
    cose_defect(
        "cose-akp-pub-missing",
        "ML-DSA-44 key without pub (-1)",
        set_labels({-1: DROP}),
        "cose_key.pub.missing",
        base=("none", "ML-DSA-44"),
        algs=("ML-DSA-44",),
    ),
    cose_defect(
        "cose-akp-pub-short",
        "ML-DSA-44 pub of 1311 bytes",
        func(lambda c: {**c, -1: c[-1][:-1]}),
        "cose_key.pub.length_invalid",
        base=("none", "ML-DSA-44"),
        algs=("ML-DSA-44",),
    ),
    cose_defect(
        "cose-akp-extra-param",
        "ML-DSA-44 key with an extra -2 parameter",
        set_labels({-2: b"\x00"}),
        "cose_key.param.unexpected",
        base=("none", "ML-DSA-44"),
        algs=("ML-DSA-44",),
    ),
)
