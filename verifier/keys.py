"""Public-key sanity shared by COSE keys and certificate keys: checks cryptography does not make for us.

Two concerns, each one small function: the key is what its standard says a key is (RFC 8017 §3.1 for RSA,
RFC 8032 §5.1.3 for Ed25519), and verifying with it costs a bounded amount of work (a hostile RSA exponent makes
each signature check as slow as a private-key operation; OpenSSL bounds the exponent only above 3072-bit moduli).
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import rsa

#: Largest RSA modulus verified: bounds the cost of one check (~0.5 ms here; OpenSSL allows 16384). No WebAuthn
#: authenticator or attestation CA uses more than 4096.
MAX_RSA_MODULUS_BITS = 8192
#: Largest RSA public exponent, in bits (OpenSSL's OPENSSL_RSA_MAX_PUBEXP_BITS for large moduli). Real keys use
#: 3, 17 or 65537; a huge exponent serves only to make verification slow.
MAX_RSA_EXPONENT_BITS = 64

_ED25519_P = 2**255 - 19
#: y-coordinates of the eight points of small order on edwards25519 (identity, order 2, 4 and 8; libsodium's list).
_ED25519_ORDER_8_Y = 2707385501144840649318225287225658788936804267575313519463743609750303402022
_ED25519_SMALL_ORDER_Y = frozenset({1, _ED25519_P - 1, 0, _ED25519_ORDER_8_Y, _ED25519_P - _ED25519_ORDER_8_Y})


def rsa_numbers_problem(*, n: int, e: int) -> str | None:
    """Why (n, e) is not an RSA public key fidoconf verifies with, or None.

    RFC 8017 §3.1: "n = r_1 * r_2 * ... * r_u ... the r_i are distinct odd primes" (so n is odd) and "the RSA
    public exponent e is an integer between 3 and n - 1 satisfying GCD(e, \\lambda(n)) = 1" (so e is odd).
    """
    if n.bit_length() > MAX_RSA_MODULUS_BITS:
        return f"modulus of {n.bit_length()} bits exceeds {MAX_RSA_MODULUS_BITS}"
    if n % 2 == 0:
        return "modulus is even (RFC 8017 §3.1: a product of odd primes)"
    if e < 3 or e % 2 == 0 or e >= n:
        return f"exponent {e} is not an odd value in [3, n)"
    if e.bit_length() > MAX_RSA_EXPONENT_BITS:
        return f"exponent of {e.bit_length()} bits exceeds {MAX_RSA_EXPONENT_BITS}"
    return None


def public_key_problem(key: object) -> str | None:
    """`rsa_numbers_problem` for a cryptography public key; other key types have nothing to add here."""
    if isinstance(key, rsa.RSAPublicKey):
        numbers = key.public_numbers()
        return rsa_numbers_problem(n=numbers.n, e=numbers.e)
    return None


def ed25519_is_weak(encoded: bytes) -> bool:
    """A small-order point or a non-canonical encoding (y >= p): RFC 8032 §5.1.3 decoding fails for y >= p, and
    with a small-order key a signature can verify for every message without any private key."""
    y = int.from_bytes(encoded, "little") & ((1 << 255) - 1)
    return y >= _ED25519_P or y in _ED25519_SMALL_ORDER_Y


#: Short Weierstrass curves y^2 = x^3 + ax + b over GF(p), by cryptography's curve name: (p, a, b) from SEC 2
#: v2 §2.4.1 (secp256k1), §2.4.2 (secp256r1), §2.5.1 (secp384r1) and §2.6.1 (secp521r1). Each has cofactor 1, so a
#: point on the curve is in the prime-order group: there is no small-subgroup point to refuse separately.
_WEIERSTRASS = {
    "secp256r1": (
        2**256 - 2**224 + 2**192 + 2**96 - 1,
        -3,
        0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
    ),
    "secp384r1": (
        2**384 - 2**128 - 2**96 + 2**32 - 1,
        -3,
        0xB3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF,
    ),
    "secp521r1": (
        2**521 - 1,
        -3,
        0x0051953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF109E156193951EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B503F00,
    ),
    "secp256k1": (2**256 - 2**32 - 977, 0, 7),
}


def ec_point_on_curve(curve: str, x: bytes, y: bytes) -> bool:
    """Whether (x, y), big-endian coordinates, is a point of `curve` (a name in `_WEIERSTRASS`): both coordinates
    field elements (< p) and y^2 = x^3 + ax + b (SEC 1 v2 §3.2.2.1, what OpenSSL checks when it loads a point).
    Checked here so that a credential key no signature is ever verified with (every x5c format's) is validated
    without building an OpenSSL key object for it."""
    p, a, b = _WEIERSTRASS[curve]
    px, py = int.from_bytes(x, "big"), int.from_bytes(y, "big")
    return px < p and py < p and (py * py - (px * px * px + a * px + b)) % p == 0
