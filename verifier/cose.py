"""COSE_Key (RFC 9052 §7, RFC 9053, RFC 8230, draft-ietf-cose-dilithium) → a cryptography public key, strictly.

#sctn-encoded-credpubkey-examples: "The credential public key ... MUST contain the "alg" parameter and MUST NOT
contain any other OPTIONAL parameters." Every parameter is checked for presence, type, length and agreement
with kty/alg/crv before cryptography sees it; cryptography then enforces point-on-curve and key validity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, mldsa, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from .encoding import CborLimits, decode_cbor, is_int
from .errors import Code, fail
from .keys import ec_point_on_curve, ed25519_is_weak, rsa_numbers_problem

KTY_OKP, KTY_EC2, KTY_RSA, KTY_AKP = 1, 2, 3, 7
CRV_P256, CRV_P384, CRV_P521, CRV_ED25519, CRV_ED448, CRV_SECP256K1 = 1, 2, 3, 6, 7, 8

PublicKey = Any  # a cryptography public key object


@dataclass(frozen=True, slots=True)
class Algorithm:
    alg: int
    name: str
    kty: int
    #: EC2/OKP curves this alg may use (fully-specified algs name exactly one).
    curves: tuple[int, ...] = ()
    hash: type[hashes.HashAlgorithm] | None = None
    pss: bool = False
    #: AKP: the public key length in bytes.
    pub_length: int = 0


ALGORITHMS: dict[int, Algorithm] = {
    a.alg: a
    for a in (
        Algorithm(-7, "ES256", KTY_EC2, (CRV_P256,), hashes.SHA256),
        Algorithm(-35, "ES384", KTY_EC2, (CRV_P384,), hashes.SHA384),
        Algorithm(-36, "ES512", KTY_EC2, (CRV_P521,), hashes.SHA512),
        Algorithm(-47, "ES256K", KTY_EC2, (CRV_SECP256K1,), hashes.SHA256),
        Algorithm(-9, "ESP256", KTY_EC2, (CRV_P256,), hashes.SHA256),
        Algorithm(-51, "ESP384", KTY_EC2, (CRV_P384,), hashes.SHA384),
        Algorithm(-52, "ESP512", KTY_EC2, (CRV_P521,), hashes.SHA512),
        Algorithm(-8, "EdDSA", KTY_OKP, (CRV_ED25519, CRV_ED448)),
        Algorithm(-19, "Ed25519", KTY_OKP, (CRV_ED25519,)),
        Algorithm(-53, "Ed448", KTY_OKP, (CRV_ED448,)),
        Algorithm(-257, "RS256", KTY_RSA, (), hashes.SHA256),
        Algorithm(-258, "RS384", KTY_RSA, (), hashes.SHA384),
        Algorithm(-259, "RS512", KTY_RSA, (), hashes.SHA512),
        Algorithm(-65535, "RS1", KTY_RSA, (), hashes.SHA1),
        Algorithm(-37, "PS256", KTY_RSA, (), hashes.SHA256, pss=True),
        Algorithm(-38, "PS384", KTY_RSA, (), hashes.SHA384, pss=True),
        Algorithm(-39, "PS512", KTY_RSA, (), hashes.SHA512, pss=True),
        Algorithm(-48, "ML-DSA-44", KTY_AKP, (), pub_length=1312),
        Algorithm(-49, "ML-DSA-65", KTY_AKP, (), pub_length=1952),
        Algorithm(-50, "ML-DSA-87", KTY_AKP, (), pub_length=2592),
    )
}
SUPPORTED_ALGORITHMS: tuple[int, ...] = tuple(ALGORITHMS)

_EC_CURVES: dict[int, tuple[Callable[[], ec.EllipticCurve], int]] = {
    CRV_P256: (ec.SECP256R1, 32),
    CRV_P384: (ec.SECP384R1, 48),
    CRV_P521: (ec.SECP521R1, 66),
    CRV_SECP256K1: (ec.SECP256K1, 32),
}
_CURVE_INSTANCES = {crv: factory() for crv, (factory, _) in _EC_CURVES.items()}
_OKP_LENGTHS = {CRV_ED25519: 32, CRV_ED448: 57}
_MLDSA = {-48: mldsa.MLDSA44PublicKey, -49: mldsa.MLDSA65PublicKey, -50: mldsa.MLDSA87PublicKey}

#: Labels each kty may carry: 1 kty, 3 alg, and the key parameters. Anything else is an OPTIONAL parameter.
_ALLOWED_LABELS = {
    KTY_EC2: frozenset({1, 3, -1, -2, -3}),
    KTY_OKP: frozenset({1, 3, -1, -2}),
    KTY_RSA: frozenset({1, 3, -1, -2}),
    KTY_AKP: frozenset({1, 3, -1}),
}


class CoseKey:
    """A validated credential public key. EC2 and RSA keys are checked when read (the point on the curve,
    keys.ec_point_on_curve; the modulus and exponent, keys.rsa_numbers_problem) and become cryptography key objects
    only when something uses one: in every x5c format nothing verifies a signature with the credential key at
    registration, and building the OpenSSL key costs more than the checks. `numbers` is what was read: (x, y)
    coordinate bytes of an EC2 key, (n, e) of an RSA key, None for the others."""

    __slots__ = ("alg", "kty", "crv", "numbers", "_public_key")

    def __init__(
        self,
        alg: Algorithm,
        kty: int,
        crv: int | None,
        public_key: PublicKey | None,
        numbers: tuple[bytes, bytes] | tuple[int, int] | None = None,
    ) -> None:
        self.alg, self.kty, self.crv, self.numbers = alg, kty, crv, numbers
        self._public_key = public_key

    @property
    def public_key(self) -> PublicKey:
        key = self._public_key
        if key is None:
            key = self._public_key = _build_key(self.kty, self.crv, self.numbers)
        return key

    def __repr__(self) -> str:
        return f"CoseKey(alg={self.alg.name}, kty={self.kty}, crv={self.crv})"


def _build_key(kty: int, crv: int | None, numbers: tuple) -> PublicKey:
    # Not after the checks said yes (cose_key_from_map); coded all the same.
    try:
        if kty == KTY_EC2:
            return ec.EllipticCurvePublicKey.from_encoded_point(_CURVE_INSTANCES[crv], b"\x04" + numbers[0] + numbers[1])
        n, e = numbers
        return rsa.RSAPublicNumbers(e, n).public_key()
    except (ValueError, UnsupportedAlgorithm):
        if kty == KTY_EC2:
            raise fail(Code.COSE_KEY_POINT_INVALID, "EC point is not on the curve") from None
        raise fail(Code.COSE_KEY_N_INVALID, "the credential public key is not a key cryptography can load") from None


def parse_cose_key(
    wire: bytes, *, min_rsa_bits: int, limits: CborLimits, refuse_weak_ed25519: bool = False
) -> CoseKey:
    """Decode and validate a credential public key given as its exact wire bytes."""
    params = decode_cbor(wire, what="credentialPublicKey", trailing_code=Code.AUTH_DATA_TRAILING_BYTES, limits=limits)
    return cose_key_from_map(params, min_rsa_bits=min_rsa_bits, refuse_weak_ed25519=refuse_weak_ed25519)


def cose_key_from_map(
    params: object, *, min_rsa_bits: int, refuse_weak_ed25519: bool = False, load_now: bool = False
) -> CoseKey:
    """A validated credential public key. `load_now` says the caller will verify a signature with it (self
    attestation): an EC2 key is then built into an OpenSSL key here, which checks the point as it loads, instead of
    being checked in Python and built on first use. The key returned is valid either way."""
    if not isinstance(params, dict):
        raise fail(Code.COSE_KEY_TYPE_INVALID, "credential public key is not a CBOR map")
    for label in params:
        if type(label) is not int and not is_int(label):  # the plain-int test first: this runs per label
            # Text labels ('kty', 'OKP') are what broken firmware emits (docs/attacks.md C); COSE keys use ints here.
            raise fail(Code.COSE_KEY_LABEL_INVALID, f"label {label!r} is not an integer")
    kty = params.get(1)
    if kty is None:
        raise fail(Code.COSE_KEY_KTY_MISSING, "kty (1) missing")
    _check_label_type(kty, "kty", Code.COSE_KEY_KTY_TYPE_INVALID)
    if not is_int(kty) or kty not in _ALLOWED_LABELS:
        raise fail(Code.COSE_KEY_KTY_UNSUPPORTED, f"kty {kty!r} unsupported")
    alg_id = params.get(3)
    if alg_id is None:
        raise fail(Code.COSE_KEY_ALG_MISSING, "alg (3) missing")
    alg = ALGORITHMS.get(alg_id) if is_int(alg_id) else None
    if alg is None:
        raise fail(Code.COSE_KEY_ALG_UNSUPPORTED, f"alg {alg_id!r} unsupported")
    if alg.kty != kty:
        raise fail(Code.COSE_KEY_ALG_KTY_MISMATCH, f"alg {alg.name} needs kty {alg.kty}, key has {kty}")
    extra = set(params) - _ALLOWED_LABELS[kty]
    if extra:
        raise fail(Code.COSE_KEY_PARAM_UNEXPECTED, f"unexpected parameter(s) {sorted(extra)}")
    if kty == KTY_EC2:
        crv, point = _ec2_point(params, alg, check_point=not load_now)
        key = CoseKey(alg, kty, crv, None, point)
        if load_now:
            _ = key.public_key
        return key
    if kty == KTY_RSA:
        return CoseKey(alg, kty, None, None, _rsa_numbers(params, min_rsa_bits))
    crv, public_key = _LOADERS[kty](params, alg, min_rsa_bits)
    if refuse_weak_ed25519 and crv == CRV_ED25519 and ed25519_is_weak(params[-2]):
        raise fail(Code.COSE_KEY_POINT_WEAK, "Ed25519 key is a small-order point or a non-canonical encoding")
    return CoseKey(alg, kty, crv, public_key)


def _check_label_type(value: object, name: str, code: Code) -> None:
    # RFC 9052 §7 / RFC 9053 §7.1: kty and crv are "int / tstr". A bool would compare equal to 1 and an array or
    # map cannot be looked up at all, so anything else is refused before any comparison.
    if not (is_int(value) or isinstance(value, str)):
        raise fail(code, f"{name} is {type(value).__name__}, not an integer or text")


def _bytes_param(params: dict, label: int, missing: Code, length: int | None, bad_length: Code) -> bytes:
    value = params.get(label)
    if value is None:
        raise fail(missing, f"parameter {label} missing")
    if not isinstance(value, bytes):
        raise fail(bad_length, f"parameter {label} is {type(value).__name__}, not a byte string")
    if length is not None and len(value) != length:
        raise fail(bad_length, f"parameter {label} is {len(value)} bytes, expected {length}")
    return value


def _curve(params: dict, alg: Algorithm) -> int:
    crv = params.get(-1)
    if crv is None:
        raise fail(Code.COSE_KEY_CRV_MISSING, "crv (-1) missing")
    _check_label_type(crv, "crv", Code.COSE_KEY_CRV_TYPE_INVALID)
    if not is_int(crv) or crv not in alg.curves:
        known = crv in _EC_CURVES or crv in _OKP_LENGTHS
        code = Code.COSE_KEY_CRV_ALG_MISMATCH if known else Code.COSE_KEY_CRV_UNSUPPORTED
        raise fail(code, f"crv {crv!r} is not allowed with {alg.name}")
    return crv


def _ec2_point(params: dict, alg: Algorithm, *, check_point: bool) -> tuple[int, tuple[bytes, bytes]]:
    """The curve and the (x, y) coordinates of an EC2 key; with `check_point`, one whose point is on the curve."""
    crv = _curve(params, alg)
    size = _EC_CURVES[crv][1]
    x = _bytes_param(params, -2, Code.COSE_KEY_X_MISSING, size, Code.COSE_KEY_X_LENGTH_INVALID)
    # A boolean y is point compression, which WebAuthn's EC2 keys do not use.
    y = _bytes_param(params, -3, Code.COSE_KEY_Y_MISSING, size, Code.COSE_KEY_Y_LENGTH_INVALID)
    if check_point and not ec_point_on_curve(_CURVE_INSTANCES[crv].name, x, y):
        raise fail(Code.COSE_KEY_POINT_INVALID, "EC point is not on the curve")
    return crv, (x, y)


def _load_okp(params: dict, alg: Algorithm, _min_rsa_bits: int) -> tuple[int, PublicKey]:
    crv = _curve(params, alg)
    x = _bytes_param(params, -2, Code.COSE_KEY_X_MISSING, _OKP_LENGTHS[crv], Code.COSE_KEY_X_LENGTH_INVALID)
    try:
        if crv == CRV_ED25519:
            return crv, ed25519.Ed25519PublicKey.from_public_bytes(x)
        return crv, ed448.Ed448PublicKey.from_public_bytes(x)
    except (ValueError, UnsupportedAlgorithm):
        raise fail(Code.COSE_KEY_POINT_INVALID, "OKP public key is invalid") from None


def _rsa_numbers(params: dict, min_rsa_bits: int) -> tuple[int, int]:
    """(n, e) of an RSA key that is one fidoconf verifies with."""
    n_bytes = _bytes_param(params, -1, Code.COSE_KEY_N_MISSING, None, Code.COSE_KEY_N_INVALID)
    e_bytes = _bytes_param(params, -2, Code.COSE_KEY_E_MISSING, None, Code.COSE_KEY_E_INVALID)
    # RFC 8230 §4: "The octet sequence MUST utilize the minimum number of octets needed to represent the value."
    if not n_bytes or n_bytes[0] == 0:
        raise fail(Code.COSE_KEY_N_INVALID, "modulus is empty or has a leading zero octet")
    if not e_bytes or e_bytes[0] == 0:
        raise fail(Code.COSE_KEY_E_INVALID, "exponent is empty or has a leading zero octet")
    n, e = int.from_bytes(n_bytes, "big"), int.from_bytes(e_bytes, "big")
    if n.bit_length() < min_rsa_bits:
        raise fail(Code.COSE_KEY_RSA_TOO_SMALL, f"{n.bit_length()}-bit modulus is below {min_rsa_bits}")
    problem = rsa_numbers_problem(n=n, e=e)
    if problem:
        code = Code.COSE_KEY_E_INVALID if problem.startswith("exponent") else Code.COSE_KEY_N_INVALID
        raise fail(code, problem)
    return n, e


def _load_akp(params: dict, alg: Algorithm, _min_rsa_bits: int) -> tuple[None, PublicKey]:
    pub = _bytes_param(params, -1, Code.COSE_KEY_PUB_MISSING, alg.pub_length, Code.COSE_KEY_PUB_LENGTH_INVALID)
    try:
        return None, _MLDSA[alg.alg].from_public_bytes(pub)
    except (ValueError, UnsupportedAlgorithm):
        raise fail(Code.COSE_KEY_PUB_LENGTH_INVALID, "ML-DSA public key is invalid") from None


_LOADERS = {KTY_OKP: _load_okp, KTY_AKP: _load_akp}

_ECDSA = {h: ec.ECDSA(h()) for h in (hashes.SHA256, hashes.SHA384, hashes.SHA512)}


def verify_signature(*, public_key: PublicKey, alg: Algorithm, signature: bytes, data: bytes) -> None:
    """Verify `signature` over `data` with `alg`; refuse key/alg disagreements and non-DER ECDSA signatures."""
    if not isinstance(signature, bytes):
        raise fail(Code.ATT_STMT_SIG_TYPE_INVALID, "sig is not a byte string")
    try:
        _VERIFIERS[alg.kty](public_key, alg, signature, data)
    except InvalidSignature:
        raise fail(Code.ATT_STMT_SIG_INVALID, f"{alg.name} signature does not verify") from None
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise fail(Code.ATT_STMT_SIG_MALFORMED, f"{alg.name} signature unusable: {exc}") from None


def _verify_ecdsa(public_key: PublicKey, alg: Algorithm, signature: bytes, data: bytes) -> None:
    # The concrete key class first: isinstance against cryptography's ABC runs Python code on every call.
    is_ec = type(public_key) is _EC_KEY_CLASS or isinstance(public_key, ec.EllipticCurvePublicKey)
    if not is_ec or public_key.curve.name != _CURVE_NAMES[alg.curves[0]]:
        raise fail(Code.ATT_STMT_ALG_MISMATCH, f"{alg.name} does not fit the signing key")
    try:
        public_key.verify(signature, data, _ECDSA.get(alg.hash) or ec.ECDSA(alg.hash()))
    except InvalidSignature:
        # Signatures are DER (#sctn-signature-attestation-types). OpenSSL already refuses BER, trailing bytes,
        # extra INTEGERs and out-of-range r/s (docs/attacks.md D); classifying only on failure keeps the valid
        # path at one verify while still telling "malformed" from "wrong" to the caller.
        _classify_ecdsa_failure(signature)
        raise


def _classify_ecdsa_failure(signature: bytes) -> None:
    try:
        r, s = decode_dss_signature(signature)
    except ValueError:
        raise fail(Code.ATT_STMT_SIG_MALFORMED, "ECDSA signature is not a DER SEQUENCE of two INTEGERs") from None
    if r <= 0 or s <= 0 or encode_dss_signature(r, s) != signature:
        raise fail(Code.ATT_STMT_SIG_MALFORMED, "ECDSA signature is not canonical DER")


def _verify_okp(public_key: PublicKey, alg: Algorithm, signature: bytes, data: bytes) -> None:
    expected = ed25519.Ed25519PublicKey if CRV_ED25519 in alg.curves else ed448.Ed448PublicKey
    if not isinstance(public_key, expected) and not (
        alg.alg == -8 and isinstance(public_key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey))
    ):
        raise fail(Code.ATT_STMT_ALG_MISMATCH, f"{alg.name} does not fit the signing key")
    public_key.verify(signature, data)


def _verify_rsa(public_key: PublicKey, alg: Algorithm, signature: bytes, data: bytes) -> None:
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise fail(Code.ATT_STMT_ALG_MISMATCH, f"{alg.name} does not fit the signing key")
    if len(signature) != (public_key.key_size + 7) // 8:
        raise fail(Code.ATT_STMT_SIG_MALFORMED, "RSA signature length differs from the modulus length")
    hash_alg = alg.hash()
    pad = padding.PSS(padding.MGF1(hash_alg), padding.PSS.DIGEST_LENGTH) if alg.pss else padding.PKCS1v15()
    public_key.verify(signature, data, pad, hash_alg)


def _verify_mldsa(public_key: PublicKey, alg: Algorithm, signature: bytes, data: bytes) -> None:
    if not isinstance(public_key, _MLDSA[alg.alg]):
        raise fail(Code.ATT_STMT_ALG_MISMATCH, f"{alg.name} does not fit the signing key")
    public_key.verify(signature, data)


_CURVE_NAMES = {crv: curve.name for crv, curve in _CURVE_INSTANCES.items()}
#: The class cryptography gives EC public keys (what an ABC isinstance check resolves to), from the P-256 base point.
_EC_KEY_CLASS = type(
    ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(),
        bytes.fromhex(
            "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
            "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"
        ),
    )
)
_VERIFIERS = {KTY_EC2: _verify_ecdsa, KTY_OKP: _verify_okp, KTY_RSA: _verify_rsa, KTY_AKP: _verify_mldsa}
