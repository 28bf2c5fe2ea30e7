"""Keys for every COSE algorithm, derived from a seed string, and deterministic signing.

Determinism is what makes generated vectors byte-identical across runs:
- EC private scalars come from HKDF-SHA256(seed); ECDSA signs per RFC 6979 (`deterministic_signing=True`).
- Ed25519 / Ed448 private keys are HKDF output; EdDSA signatures are deterministic by definition.
- RSA primes are searched from a SHAKE-256 stream of the seed (sieve, then Miller-Rabin with witnesses from a
  second stream), so no key fixtures are shipped. PKCS#1 v1.5 is deterministic; PSS (RFC 8017 §9.1.1 EMSA-PSS) is encoded here
  with a salt derived from the seed and the message, then signed with the raw RSA private operation.
- ML-DSA keys come from a 32-byte seed (as `MLDSA44PrivateKey.from_seed_bytes`) and sign with FIPS 204's
  deterministic variant (`mldsa.py`); each signature is verified with cryptography before it is returned.
These keys are test keys: the seeds are public, in this repository.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, mldsa, padding, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from . import mldsa as det_mldsa

KTY_OKP, KTY_EC2, KTY_RSA, KTY_AKP = 1, 2, 3, 7
CRV_P256, CRV_P384, CRV_P521, CRV_ED25519, CRV_ED448, CRV_SECP256K1 = 1, 2, 3, 6, 7, 8

_EC = {
    CRV_P256: (ec.SECP256R1, 32, 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551),
    CRV_P384: (
        ec.SECP384R1,
        48,
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973,
    ),
    CRV_P521: (
        ec.SECP521R1,
        66,
        0x01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409,
    ),
    CRV_SECP256K1: (ec.SECP256K1, 32, 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141),
}
#: Curve orders, for signature mutations that need n (r = n, high-S).
CURVE_ORDERS = {crv: order for crv, (_, _, order) in _EC.items()}


@dataclass(frozen=True, slots=True)
class AlgSpec:
    """One credential/attestation key type: a COSE alg plus, for EdDSA, its curve."""

    name: str
    alg: int
    kty: int
    crv: int | None = None
    hash: type[hashes.HashAlgorithm] | None = None
    pss: bool = False


ALGS: dict[str, AlgSpec] = {
    a.name: a
    for a in (
        AlgSpec("ES256", -7, KTY_EC2, CRV_P256, hashes.SHA256),
        AlgSpec("ES384", -35, KTY_EC2, CRV_P384, hashes.SHA384),
        AlgSpec("ES512", -36, KTY_EC2, CRV_P521, hashes.SHA512),
        AlgSpec("ES256K", -47, KTY_EC2, CRV_SECP256K1, hashes.SHA256),
        AlgSpec("ESP256", -9, KTY_EC2, CRV_P256, hashes.SHA256),
        AlgSpec("ESP384", -51, KTY_EC2, CRV_P384, hashes.SHA384),
        AlgSpec("ESP512", -52, KTY_EC2, CRV_P521, hashes.SHA512),
        AlgSpec("EdDSA-Ed25519", -8, KTY_OKP, CRV_ED25519),
        AlgSpec("EdDSA-Ed448", -8, KTY_OKP, CRV_ED448),
        AlgSpec("Ed25519", -19, KTY_OKP, CRV_ED25519),
        AlgSpec("Ed448", -53, KTY_OKP, CRV_ED448),
        AlgSpec("RS256", -257, KTY_RSA, None, hashes.SHA256),
        AlgSpec("RS384", -258, KTY_RSA, None, hashes.SHA384),
        AlgSpec("RS512", -259, KTY_RSA, None, hashes.SHA512),
        AlgSpec("RS1", -65535, KTY_RSA, None, hashes.SHA1),
        AlgSpec("PS256", -37, KTY_RSA, None, hashes.SHA256, pss=True),
        AlgSpec("PS384", -38, KTY_RSA, None, hashes.SHA384, pss=True),
        AlgSpec("PS512", -39, KTY_RSA, None, hashes.SHA512, pss=True),
        AlgSpec("ML-DSA-44", -48, KTY_AKP),
        AlgSpec("ML-DSA-65", -49, KTY_AKP),
        AlgSpec("ML-DSA-87", -50, KTY_AKP),
    )
}

_MLDSA_CLASSES = {-48: mldsa.MLDSA44PrivateKey, -49: mldsa.MLDSA65PrivateKey, -50: mldsa.MLDSA87PrivateKey}


def _hkdf(seed: str, info: str, length: int) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=length, salt=b"fidoconf-virtual-authenticator", info=info.encode()
    ).derive(seed.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A private key with its algorithm: signs deterministically and describes itself as a COSE_Key."""

    spec: AlgSpec
    private: Any
    seed: str
    #: ML-DSA only: the expanded key of the deterministic signer.
    mldsa_expanded: Any = None

    def public_key(self) -> Any:
        return self.private.public_key()

    def cose_key(self) -> dict[int, Any]:
        """The COSE_Key map (#sctn-encoded-credpubkey-examples): kty, alg and the kty's REQUIRED parameters."""
        spec, pub = self.spec, self.private.public_key()
        if spec.kty == KTY_EC2:
            numbers = pub.public_numbers()
            size = _EC[spec.crv][1]
            return {
                1: KTY_EC2,
                3: spec.alg,
                -1: spec.crv,
                -2: numbers.x.to_bytes(size, "big"),
                -3: numbers.y.to_bytes(size, "big"),
            }
        if spec.kty == KTY_OKP:
            return {1: KTY_OKP, 3: spec.alg, -1: spec.crv, -2: pub.public_bytes_raw()}
        if spec.kty == KTY_RSA:
            numbers = pub.public_numbers()
            return {1: KTY_RSA, 3: spec.alg, -1: _unsigned(numbers.n), -2: _unsigned(numbers.e)}
        return {1: KTY_AKP, 3: spec.alg, -1: pub.public_bytes_raw()}

    def sign(self, data: bytes) -> bytes:
        spec = self.spec
        if spec.kty == KTY_EC2:
            return self.private.sign(data, ec.ECDSA(spec.hash(), deterministic_signing=True))
        if spec.kty == KTY_OKP:
            return self.private.sign(data)
        if spec.kty == KTY_RSA:
            if spec.pss:
                return _pss_sign(self.private, data, spec.hash(), salt_seed=self.seed)
            return self.private.sign(data, padding.PKCS1v15(), spec.hash())
        signature = det_mldsa.sign(self.mldsa_expanded, data)
        self.private.public_key().verify(signature, data)  # never hand out a signature cryptography would refuse
        return signature


def _unsigned(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


@cache
def derive_key(alg_name: str, seed: str, *, rsa_bits: int = 2048) -> SigningKey:
    """The key for `alg_name` derived from `seed` (same inputs, same key, every run)."""
    spec = ALGS[alg_name]
    info = f"{alg_name}/{rsa_bits}" if spec.kty == KTY_RSA else alg_name
    if spec.kty == KTY_EC2:
        factory, _size, order = _EC[spec.crv]
        scalar = int.from_bytes(_hkdf(seed, info, 96), "big") % (order - 1) + 1
        return SigningKey(spec, ec.derive_private_key(scalar, factory()), seed)
    if spec.kty == KTY_OKP:
        if spec.crv == CRV_ED25519:
            return SigningKey(spec, ed25519.Ed25519PrivateKey.from_private_bytes(_hkdf(seed, info, 32)), seed)
        return SigningKey(spec, ed448.Ed448PrivateKey.from_private_bytes(_hkdf(seed, info, 57)), seed)
    if spec.kty == KTY_RSA:
        return SigningKey(spec, _rsa_key(_hkdf(seed, info, 32), rsa_bits), seed)
    xi = _hkdf(seed, info, 32)
    return SigningKey(spec, _MLDSA_CLASSES[spec.alg].from_seed_bytes(xi), seed, det_mldsa.keygen(xi, spec.alg))


# --- RSA from a seed ---

def _small_primes(limit: int) -> list[int]:
    sieve = bytearray([1]) * limit
    sieve[:2] = b"\x00\x00"
    for i in range(2, int(limit**0.5) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytes(len(range(i * i, limit, i)))
    return [i for i in range(3, limit) if sieve[i]]


#: The product of the odd primes below 10000: one gcd rules out most composites before any modular exponentiation.
_SIEVE_PRODUCT = math.prod(_small_primes(10_000))
#: Miller-Rabin rounds for a candidate that survived the sieve (FIPS 186-5 Table B.1 asks for fewer at 1024 bits).
_MR_ROUNDS = 8


class _Stream:
    def __init__(self, key: bytes) -> None:
        self.key = key
        self.counter = 0

    def take(self, nbytes: int) -> int:
        self.counter += 1
        return int.from_bytes(hashlib.shake_256(self.key + self.counter.to_bytes(8, "big")).digest(nbytes), "big")


def _is_probable_prime(n: int, witnesses: _Stream) -> bool:
    if math.gcd(n, _SIEVE_PRODUCT) != 1:
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(_MR_ROUNDS):
        a = witnesses.take((n.bit_length() + 7) // 8) % (n - 3) + 2
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(candidates: _Stream, witnesses: _Stream, bits: int, e: int) -> int:
    while True:
        # Top two bits set so p*q has exactly 2*bits bits; odd.
        candidate = candidates.take(bits // 8) | (3 << (bits - 2)) | 1
        if (candidate - 1) % e and _is_probable_prime(candidate, witnesses):
            return candidate


def _rsa_key(key_seed: bytes, bits: int) -> rsa.RSAPrivateKey:
    e = 65537
    # Candidates and Miller-Rabin witnesses come from separate streams, so neither depends on the other's use.
    candidates, witnesses = _Stream(key_seed + b"/candidates"), _Stream(key_seed + b"/witnesses")
    p = _prime(candidates, witnesses, bits // 2, e)
    q = _prime(candidates, witnesses, bits // 2, e)
    while q == p:
        q = _prime(candidates, witnesses, bits // 2, e)
    p, q = max(p, q), min(p, q)
    d = pow(e, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=rsa.rsa_crt_dmp1(d, p),
        dmq1=rsa.rsa_crt_dmq1(d, q),
        iqmp=rsa.rsa_crt_iqmp(p, q),
        public_numbers=rsa.RSAPublicNumbers(e, p * q),
    )
    # The numbers were computed above from two probable primes; cryptography's own key checks add nothing here.
    return numbers.private_key(unsafe_skip_rsa_key_validation=True)


def _mgf1(seed: bytes, length: int, hash_alg: hashes.HashAlgorithm) -> bytes:
    out = b""
    counter = 0
    while len(out) < length:
        digest = hashes.Hash(type(hash_alg)())
        digest.update(seed + counter.to_bytes(4, "big"))
        out += digest.finalize()
        counter += 1
    return out[:length]


def _digest(hash_alg: hashes.HashAlgorithm, data: bytes) -> bytes:
    digest = hashes.Hash(type(hash_alg)())
    digest.update(data)
    return digest.finalize()


def _pss_sign(private: rsa.RSAPrivateKey, data: bytes, hash_alg: hashes.HashAlgorithm, *, salt_seed: str) -> bytes:
    """RSASSA-PSS (RFC 8017 §8.1.1) with EMSA-PSS encoding (§9.1.1); salt length = hash length."""
    numbers = private.private_numbers()
    n, d = numbers.public_numbers.n, numbers.d
    em_bits = n.bit_length() - 1
    em_len = (em_bits + 7) // 8
    h_len = hash_alg.digest_size
    m_hash = _digest(hash_alg, data)
    salt = hashlib.sha256(b"fidoconf-pss-salt" + salt_seed.encode() + data).digest()[:h_len].ljust(h_len, b"\x5a")
    h = _digest(hash_alg, b"\x00" * 8 + m_hash + salt)
    db = b"\x00" * (em_len - len(salt) - h_len - 2) + b"\x01" + salt
    masked = bytes(a ^ b for a, b in zip(db, _mgf1(h, em_len - h_len - 1, hash_alg), strict=True))
    masked = bytes([masked[0] & (0xFF >> (8 * em_len - em_bits))]) + masked[1:]
    em = masked + h + b"\xbc"
    signature = pow(int.from_bytes(em, "big"), d, n).to_bytes((n.bit_length() + 7) // 8, "big")
    private.public_key().verify(signature, data, padding.PSS(padding.MGF1(hash_alg), h_len), hash_alg)
    return signature
