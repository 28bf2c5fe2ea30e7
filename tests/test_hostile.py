"""Issue 11, hostile input: type confusion in decoded CBOR, key strength wherever a key is relied on, bounded
chain work and one verdict for one statement whatever its key order. Each test asserts verdict and code."""

from __future__ import annotations

import hashlib

import cbor2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fidoconf.conformance import bench_worst as worst
from fidoconf.conformance.authenticator.keys import ALGS, SigningKey, derive_key
from fidoconf.verifier import Code, Policy, TrustStore, VerificationError, verify_registration
from fidoconf.verifier.cose import cose_key_from_map, parse_cose_key
from fidoconf.verifier.encoding import CborLimits, b64url_encode, is_int
from fidoconf.verifier.keys import ed25519_is_weak, rsa_numbers_problem
from fidoconf.verifier.trust import MAX_SIGNATURE_CHECKS, validate_chain

STRICT, PERMISSIVE = Policy.preset("strict"), Policy.preset("permissive")
EC2 = {1: 2, 3: -7, -1: 1, -2: bytes(32), -3: bytes(32)}


@pytest.fixture(scope="module")
def pki():
    return worst.WorstPki("hostile-tests")


def code_of(fn, *args, **kwargs) -> Code:
    with pytest.raises(VerificationError) as info:
        fn(*args, **kwargs)
    return info.value.code


def verify(credential, challenge, *, policy=STRICT, trust=None):
    return verify_registration(
        credential,
        expected_challenge=challenge,
        expected_origin=worst.ORIGIN,
        expected_rp_id=worst.RP_ID,
        policy=policy,
        trust=trust or TrustStore.empty(),
        clock=lambda: worst.NOW,
    )


# --- type confusion ---------------------------------------------------------------------------------------------


def test_is_int_refuses_bool():
    assert (is_int(1), is_int(-7), is_int(True), is_int(False), is_int(1.0), is_int("1")) == (
        True, True, False, False, False, False,
    )


@pytest.mark.parametrize(
    ("label", "value", "code"),
    [
        (1, [2], Code.COSE_KEY_KTY_TYPE_INVALID),
        (1, {2: 2}, Code.COSE_KEY_KTY_TYPE_INVALID),
        (1, True, Code.COSE_KEY_KTY_TYPE_INVALID),
        (1, b"\x02", Code.COSE_KEY_KTY_TYPE_INVALID),
        (1, "EC2", Code.COSE_KEY_KTY_UNSUPPORTED),  # int / tstr: text is a kty, just not one WebAuthn uses
        (-1, [1], Code.COSE_KEY_CRV_TYPE_INVALID),
        (-1, {1: 1}, Code.COSE_KEY_CRV_TYPE_INVALID),
        (-1, True, Code.COSE_KEY_CRV_TYPE_INVALID),
        (-1, "P-256", Code.COSE_KEY_CRV_UNSUPPORTED),
    ],
)
def test_kty_and_crv_of_the_wrong_type_are_coded(label, value, code):
    wire = cbor2.dumps({**EC2, label: value})
    assert code_of(parse_cose_key, wire, min_rsa_bits=2048, limits=CborLimits()) is code


@pytest.mark.parametrize("kty", [[1], {1: 1}, True])
def test_okp_and_rsa_kty_confusion_is_coded_too(kty):
    assert code_of(cose_key_from_map, {1: kty, 3: -8, -1: 6, -2: bytes(32)}, min_rsa_bits=2048) is (
        Code.COSE_KEY_KTY_TYPE_INVALID
    )


def test_crv_true_in_a_registration_is_refused_not_read_as_p256(pki):
    # CBOR true (0xf5) compared equal to crv 1 before: the key was accepted and stored with its f5 byte.
    challenge = hashlib.sha256(b"crv-true").digest()
    credential = worst.packed_shape(
        "crv-true", challenge=challenge, credential_key=derive_key("ES256", "crv-true"),
        hooks={"cose_key": lambda cose, _build: {**cose, -1: True}},
    )
    assert code_of(verify, credential, challenge) is Code.COSE_KEY_CRV_TYPE_INVALID


def test_safetynet_jws_alg_array_is_coded():
    from fidoconf.verifier.attestation.android_safetynet import parse_jws

    jws = ".".join(b64url_encode(p) for p in (b'{"alg":["RS256"]}', b"{}", b"\x01")).encode()
    assert code_of(parse_jws, jws) is Code.SAFETYNET_RESPONSE_ALG_UNSUPPORTED


# --- one statement, one verdict, whatever the key order ----------------------------------------------------------


def _nested(depth: int) -> object:
    value: object = 0
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("depth", [2, 3, 4, 5])
def test_fast_path_and_strict_decoder_agree_across_key_orders(pki, depth):
    # attStmt {"sig": ..., "x": [[...]]}: the canonical fast path counted one level fewer than the strict decoder,
    # so the same statement was too_deep in one key order and att_stmt.key.unexpected in the other.
    challenge = hashlib.sha256(b"nesting").digest()
    outcomes = set()
    for order in (("fmt", "attStmt", "authData"), ("authData", "attStmt", "fmt"), ("attStmt", "fmt", "authData")):
        credential = worst.packed_shape(
            "nesting", challenge=challenge, credential_key=derive_key("ES256", "nesting"),
            hooks={
                "att_stmt": lambda statement, _build: {**statement, "x": _nested(depth)},
                "attestation_object": lambda pairs, _build, order=order: sorted(pairs, key=lambda kv: order.index(kv[0])),
            },
        )
        outcomes.add(code_of(verify, credential, challenge))
    expected = Code.ATT_STMT_KEY_UNEXPECTED if depth <= 3 else Code.CBOR_ITEM_TOO_DEEP
    assert outcomes == {expected}


# --- key strength -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "e", "problem"),
    [
        ((1 << 2047) + 2, 65537, "modulus is even"),
        ((1 << 2047) + 1, 65536, "exponent 65536"),
        ((1 << 2047) + 1, 1, "exponent 1 "),
        ((1 << 2047) + 1, (1 << 64) + 1, "exponent of 65 bits"),
        ((1 << 8192) + 1, 65537, "modulus of 8193 bits"),
        ((1 << 2047) + 1, 65537, None),
    ],
)
def test_rsa_numbers(n, e, problem):
    found = rsa_numbers_problem(n=n, e=e)
    assert (found is None) == (problem is None)
    assert problem is None or problem in found


@pytest.mark.parametrize(
    ("n", "e", "code"),
    [
        ((1 << 2047) + 2, 65537, Code.COSE_KEY_N_INVALID),
        ((1 << 2047) + 1, (1 << 64) + 1, Code.COSE_KEY_E_INVALID),
        ((1 << 8192) + 1, 65537, Code.COSE_KEY_N_INVALID),
    ],
)
def test_cose_rsa_key_shape(n, e, code):
    params = {1: 3, 3: -257, -1: n.to_bytes((n.bit_length() + 7) // 8, "big"), -2: e.to_bytes((e.bit_length() + 7) // 8, "big")}
    assert code_of(cose_key_from_map, params, min_rsa_bits=2048) is code


_P = 2**255 - 19
_ORDER_8_Y = 2707385501144840649318225287225658788936804267575313519463743609750303402022


@pytest.mark.parametrize(
    "y",
    [1, 0, _P - 1, _ORDER_8_Y, _P - _ORDER_8_Y, _P, _P + 1, 2**255 - 1],
    ids=["identity", "order4", "order2", "order8a", "order8b", "p", "p+1", "max"],
)
def test_small_order_and_non_canonical_ed25519_keys(y):
    for sign in (0, 1 << 255):
        assert ed25519_is_weak((y | sign).to_bytes(32, "little"))


def test_a_real_ed25519_key_is_not_weak():
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"ed").digest()).public_key()
    assert not ed25519_is_weak(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def test_identity_ed25519_key_self_attests_without_a_private_key_unless_strict():
    # With the identity point as public key, R = identity and S = 0 verify for every message (RFC 8032 §5.1.7).
    identity = (1).to_bytes(32, "little")
    challenge = hashlib.sha256(b"identity").digest()
    credential = worst.packed_shape(
        "identity", challenge=challenge, credential_key=derive_key("EdDSA-Ed25519", "identity"),
        hooks={"cose_key": lambda cose, _build: {**cose, -2: identity}, "signature": lambda _sig, _build: identity + bytes(32)},
    )
    assert verify(credential, challenge, policy=PERMISSIVE).attestation_type == "self"
    assert code_of(verify, credential, challenge) is Code.COSE_KEY_POINT_WEAK


def _rsa_leaf_registration(pki, label: str, public_key, signing_key):
    leaf = worst.cert(f"{label} leaf", "Worst Root", public_key, pki.root_key, ca=False, serial=9)
    challenge = hashlib.sha256(label.encode()).digest()

    def rsa_attestation(_x5c, build):  # the leaf certifies `public_key`; `signing_key` signs the statement (RS256)
        build.attestation_key = SigningKey(ALGS["RS256"], signing_key, label)
        return [leaf.public_bytes(serialization.Encoding.DER)]

    credential = worst.packed_shape(
        label, challenge=challenge, credential_key=derive_key("ES256", f"{label}/credential"), variant="packed-x5c",
        hooks={"x5c": rsa_attestation},
    )
    return credential, challenge


def test_policy_rsa_floor_applies_to_the_attestation_certificate(pki):
    # A 1024-bit attestation key under a trusted root: trusted before, below strict's 2048-bit floor now.
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    credential, challenge = _rsa_leaf_registration(pki, "weak-leaf", weak.public_key(), weak)
    trust = TrustStore.from_certificates(anchors=[pki.root_cert])
    assert verify(credential, challenge, policy=Policy(min_rsa_bits=1024), trust=trust).trusted is True
    assert code_of(verify, credential, challenge, trust=trust) is Code.TRUST_CHAIN_WEAK_KEY


def test_attestation_certificate_with_even_modulus_is_refused(pki):
    real = pki.rsa_key(0)
    n = real.public_key().public_numbers().n
    even = rsa.RSAPublicNumbers(65537, n + 1).public_key()
    credential, challenge = _rsa_leaf_registration(pki, "even-leaf", even, real)
    assert code_of(verify, credential, challenge) is Code.ATT_CERT_PUBLIC_KEY_INVALID


# --- bounded chain work -----------------------------------------------------------------------------------------


def test_valid_chain_of_30_intermediates_is_refused_for_its_length(pki):
    shape = next(s for s in worst.build_shapes(seed="hostile-tests") if "30 intermediates" in s.label)
    assert code_of(verify, shape.credential, shape.challenge, trust=shape.trust) is Code.TRUST_CHAIN_TOO_LONG


def test_signature_checks_per_chain_are_bounded(pki):
    # 40 same-named helper intermediates, none the issuer: each costs a signature check, so the walk stops.
    leaf_key = worst.ec_key("budget/leaf")
    helpers = [pki.same_named_ca(i, big_exponent=False) for i in range(40)]
    leaf = worst.cert("budget leaf", "Same Name CA", leaf_key.public_key(), pki.root_key, ca=False, serial=3)
    trust = TrustStore.from_certificates(anchors=[pki.root_cert], intermediates=helpers)
    verdict = validate_chain([leaf], trust=trust, aaguid=None, clock=lambda: worst.NOW, policy=STRICT)
    assert (verdict.trusted, verdict.code) == (False, Code.TRUST_CHAIN_TOO_COSTLY)
    few = TrustStore.from_certificates(anchors=[pki.root_cert], intermediates=helpers[: MAX_SIGNATURE_CHECKS // 2])
    verdict = validate_chain([leaf], trust=few, aaguid=None, clock=lambda: worst.NOW, policy=STRICT)
    assert (verdict.trusted, verdict.code) == (False, Code.TRUST_CHAIN_INVALID)


def test_duplicate_report_names_each_repeated_key_once():
    from fidoconf.verifier.clientdata import parse_client_data

    members = "".join(f',"m{i}":0' for i in range(5000))
    raw = ('{"a":1' + members + ',"m3":1,"a":2,"m3":2}').encode()
    with pytest.raises(VerificationError) as info:
        parse_client_data(raw, policy=STRICT)
    assert info.value.code is Code.CLIENT_DATA_JSON_DUPLICATE_KEY
    assert "['a', 'm3']" in info.value.message


# --- mutations that must produce exactly one defect --------------------------------------------------------------


@pytest.mark.parametrize("r_bits", [248, 247, 256, 240])
@pytest.mark.parametrize("s_bits", [256, 248, 247])
def test_bit_flip_mutation_changes_the_value_of_s_never_the_der_structure(r_bits, s_bits):
    # SIG-SIG-F32: with r one octet short, the middle byte of the DER signature is s's tag; a correct server then
    # answers att_stmt.sig.malformed where the case expects att_stmt.sig.invalid.
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
    from fidoconf.conformance.authenticator.catalog_statements import flip_middle

    r, s = (1 << (r_bits - 1)) + 12345, (1 << (s_bits - 1)) + 6789
    flipped = flip_middle(encode_dss_signature(r, s))
    r2, s2 = decode_dss_signature(flipped)
    assert (r2, s2 != s, encode_dss_signature(r2, s2)) == (r, True, flipped)
