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
