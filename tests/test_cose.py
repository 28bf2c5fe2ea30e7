"""COSE_Key validation per kty and alg, and signature verification strictness."""

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, mldsa, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from fidoconf.verifier.cose import ALGORITHMS, cose_key_from_map, parse_cose_key, verify_signature
from fidoconf.verifier.encoding import CborLimits
from fidoconf.verifier.errors import Code, VerificationError
from fidoconf.verifier.keys import _WEIERSTRASS, ec_point_on_curve

from . import seeded

P256 = ec.derive_private_key(0x1234567, ec.SECP256R1())
_n = P256.public_key().public_numbers()
X, Y = _n.x.to_bytes(32, "big"), _n.y.to_bytes(32, "big")
EC2 = {1: 2, 3: -7, -1: 1, -2: X, -3: Y}
RSA_KEY = rsa.generate_private_key(65537, 2048)
_rn = RSA_KEY.public_key().public_numbers()
RSA = {1: 3, 3: -257, -1: _rn.n.to_bytes(256, "big"), -2: b"\x01\x00\x01"}
ED = ed25519.Ed25519PrivateKey.generate()
OKP = {1: 1, 3: -8, -1: 6, -2: ED.public_key().public_bytes_raw()}


def code_of(params, min_rsa_bits=2048) -> Code:
    with pytest.raises(VerificationError) as info:
        cose_key_from_map(params, min_rsa_bits=min_rsa_bits)
    return info.value.code


def with_(base, **changes):
    out = dict(base)
    for k, v in changes.items():
        label = int(k.replace("m", "-").lstrip("_"))
        if v is None:
            out.pop(label, None)
        else:
            out[label] = v
    return out


def test_loads_every_key_type():
    assert cose_key_from_map(EC2, min_rsa_bits=2048).alg.name == "ES256"
    assert cose_key_from_map(RSA, min_rsa_bits=2048).alg.name == "RS256"
    assert cose_key_from_map(OKP, min_rsa_bits=2048).crv == 6
    ed4 = ed448.Ed448PrivateKey.generate().public_key().public_bytes_raw()
    assert cose_key_from_map({1: 1, 3: -53, -1: 7, -2: ed4}, min_rsa_bits=2048).alg.name == "Ed448"
    ml = mldsa.MLDSA44PrivateKey.generate().public_key().public_bytes_raw()
    assert cose_key_from_map({1: 7, 3: -48, -1: ml}, min_rsa_bits=2048).alg.name == "ML-DSA-44"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ([1, 2], Code.COSE_KEY_TYPE_INVALID),
        ({"kty": 2, 3: -7}, Code.COSE_KEY_LABEL_INVALID),
        (with_(EC2, _1=None), Code.COSE_KEY_KTY_MISSING),
        (with_(EC2, _1=9), Code.COSE_KEY_KTY_UNSUPPORTED),
        (with_(EC2, _1="EC2"), Code.COSE_KEY_KTY_UNSUPPORTED),
        (with_(EC2, _3=None), Code.COSE_KEY_ALG_MISSING),
        (with_(EC2, _3=-999), Code.COSE_KEY_ALG_UNSUPPORTED),
        (with_(EC2, _3="-7"), Code.COSE_KEY_ALG_UNSUPPORTED),
        (with_(EC2, _1=3), Code.COSE_KEY_ALG_KTY_MISMATCH),
        (with_(EC2, _2=b"kid"), Code.COSE_KEY_PARAM_UNEXPECTED),
        (with_(EC2, m4=b"d"), Code.COSE_KEY_PARAM_UNEXPECTED),
        (with_(EC2, m1=None), Code.COSE_KEY_CRV_MISSING),
        (with_(EC2, m1=2), Code.COSE_KEY_CRV_ALG_MISMATCH),
        (with_(EC2, m1=42), Code.COSE_KEY_CRV_UNSUPPORTED),
        (with_(EC2, m2=None), Code.COSE_KEY_X_MISSING),
        (with_(EC2, m2=X[1:]), Code.COSE_KEY_X_LENGTH_INVALID),
        (with_(EC2, m3=None), Code.COSE_KEY_Y_MISSING),
        (with_(EC2, m3=True), Code.COSE_KEY_Y_LENGTH_INVALID),
        (with_(EC2, m3=Y + b"\x00"), Code.COSE_KEY_Y_LENGTH_INVALID),
        (with_(EC2, m3=bytes(32)), Code.COSE_KEY_POINT_INVALID),
        (with_(EC2, m2=b"\xff" * 32, m3=b"\xff" * 32), Code.COSE_KEY_POINT_INVALID),
        (with_(RSA, m1=None), Code.COSE_KEY_N_MISSING),
        (with_(RSA, m2=None), Code.COSE_KEY_E_MISSING),
        (with_(RSA, m1=b"\x00" + RSA[-1]), Code.COSE_KEY_N_INVALID),
        (with_(RSA, m2=b"\x01\x00\x00"), Code.COSE_KEY_E_INVALID),
        (with_(RSA, m2=b"\x01"), Code.COSE_KEY_E_INVALID),
        (with_(RSA, m1=RSA[-1][:128]), Code.COSE_KEY_RSA_TOO_SMALL),
        (with_(OKP, m1=1), Code.COSE_KEY_CRV_ALG_MISMATCH),
        (with_(OKP, _3=-53), Code.COSE_KEY_CRV_ALG_MISMATCH),
        (with_(OKP, m2=b"x" * 31), Code.COSE_KEY_X_LENGTH_INVALID),
        ({1: 7, 3: -48}, Code.COSE_KEY_PUB_MISSING),
        ({1: 7, 3: -48, -1: b"x" * 1311}, Code.COSE_KEY_PUB_LENGTH_INVALID),
    ],
)
def test_refuses_each_key_defect(params, code):
    assert code_of(params) is code


def test_raw_x962_point_instead_of_cose_is_not_a_map():
    with pytest.raises(VerificationError) as info:
        parse_cose_key(b"\x04" + X + Y, min_rsa_bits=2048, limits=CborLimits())
    assert info.value.code in (Code.AUTH_DATA_TRAILING_BYTES, Code.COSE_KEY_TYPE_INVALID)


def test_ecdsa_signature_strictness():
    key = cose_key_from_map(EC2, min_rsa_bits=2048)
    sig = P256.sign(b"data", ec.ECDSA(hashes.SHA256()))
    verify_signature(public_key=key.public_key, alg=key.alg, signature=sig, data=b"data")
    r, s = decode_dss_signature(sig)
    cases = {
        sig + b"\x00": Code.ATT_STMT_SIG_MALFORMED,
        b"\x30\x81" + sig[1:]: Code.ATT_STMT_SIG_MALFORMED,
        sig[:-1] + bytes([sig[-1] ^ 1]): Code.ATT_STMT_SIG_INVALID,
    }
    for bad, code in cases.items():
        with pytest.raises(VerificationError) as info:
            verify_signature(public_key=key.public_key, alg=key.alg, signature=bad, data=b"data")
        assert info.value.code is code
    with pytest.raises(VerificationError) as info:
        verify_signature(public_key=key.public_key, alg=key.alg, signature="text", data=b"data")
    assert info.value.code is Code.ATT_STMT_SIG_TYPE_INVALID
    with pytest.raises(VerificationError) as info:
        verify_signature(public_key=key.public_key, alg=ALGORITHMS[-257], signature=sig, data=b"data")
    assert info.value.code is Code.ATT_STMT_ALG_MISMATCH


def test_rsa_signature_length_must_equal_modulus():
    key = cose_key_from_map(RSA, min_rsa_bits=2048)
    with pytest.raises(VerificationError) as info:
        verify_signature(public_key=key.public_key, alg=key.alg, signature=b"\x01" * 255, data=b"d")
    assert info.value.code is Code.ATT_STMT_SIG_MALFORMED


def test_every_algorithm_is_supported_by_this_cryptography_build():
    assert len(ALGORITHMS) == 20


# --- the EC point check that stands in for OpenSSL's when nothing verifies with the key ------------------------


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1(), ec.SECP256K1()], ids=lambda c: c.name)
def test_ec_point_on_curve_agrees_with_openssl(curve):
    """keys.ec_point_on_curve says yes exactly when cryptography loads the point: real keys, neighbours of their
    coordinates (off the curve), and coordinates at or past the field prime."""
    size = (curve.key_size + 7) // 8
    p = _WEIERSTRASS[curve.name][0]
    for _ in range(8):
        numbers = seeded.ec_key(curve).public_key().public_numbers()
        for x, y in (
            (numbers.x, numbers.y),
            (numbers.x, numbers.y + 1),
            (numbers.x ^ 1, numbers.y),
            (numbers.x, p - numbers.y),  # the negated point: on the curve
            (numbers.x + p, numbers.y),  # same residue, but not a field element
            (0, 0),
        ):
            if x.bit_length() > size * 8 or y.bit_length() > size * 8:
                continue
            xb, yb = x.to_bytes(size, "big"), y.to_bytes(size, "big")
            try:
                ec.EllipticCurvePublicKey.from_encoded_point(curve, b"\x04" + xb + yb)
                loads = True
            except ValueError:
                loads = False
            assert ec_point_on_curve(curve.name, xb, yb) is loads, (curve.name, x, y)


def test_ec2_key_is_loaded_only_when_used_and_equals_the_eager_load():
    key = seeded.ec_key()
    numbers = key.public_key().public_numbers()
    params = {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
    cose = cose_key_from_map(params, min_rsa_bits=2048)
    assert cose._public_key is None
    assert cose.public_key.public_numbers() == numbers
    off_curve = {**params, -3: (numbers.y + 1).to_bytes(32, "big")}
    with pytest.raises(VerificationError) as refused:
        cose_key_from_map(off_curve, min_rsa_bits=2048)
    assert refused.value.code is Code.COSE_KEY_POINT_INVALID
