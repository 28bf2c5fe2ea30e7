"""Keys, secrets and IDs for tests from one seeded generator: a test's inputs never depend on the run.

Tokens are hex, so no value starts with '-' (a random urlsafe access key once did, and argparse read it as an
option). ECDSA and RSA *signatures* stay randomized by cryptography, and RSA key generation cannot be seeded;
no test's outcome depends on those bits.
"""

from __future__ import annotations

import random

from cryptography.hazmat.primitives.asymmetric import ec

_RNG = random.Random("fidoconf-tests")
#: Group orders, so a derived scalar is a valid private key on each curve the tests use.
_ORDERS = {
    "secp256r1": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "secp256k1": 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141,
}


def token_hex(nbytes: int = 16) -> str:
    return _RNG.randbytes(nbytes).hex()


def ec_key(curve: ec.EllipticCurve | None = None) -> ec.EllipticCurvePrivateKey:
    curve = curve or ec.SECP256R1()
    # Any scalar below 2^(bits - 1) is below the group order of these curves (P-384, P-521).
    order = _ORDERS.get(curve.name, 2 ** (curve.key_size - 1))
    return ec.derive_private_key(_RNG.randrange(1, order), curve)
