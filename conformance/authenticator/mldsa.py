"""Deterministic ML-DSA signing (FIPS 204), for byte-identical test vectors only.

cryptography's ML-DSA `sign` is the hedged variant: every signature differs, so generated vectors could not be
reproduced byte for byte. FIPS 204 §3.4 defines the deterministic variant (rnd = {0}^32); this module
implements ML-DSA.KeyGen_internal (Algorithm 6) and ML-DSA.Sign_internal (Algorithm 7) for the pure
(non-pre-hash) mode with an empty context string. Keys come from the same 32-byte seed that
`MLDSA*PrivateKey.from_seed_bytes` takes, and every signature is checked with cryptography's verifier before
it is used, so a bug here cannot produce a vector that only this code would accept.

Test-vector generation only: this is neither constant-time nor fast.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

Q = 8380417
N = 256
D = 13
ZETA = 1753
_N_INV = pow(256, -1, Q)


@dataclass(frozen=True, slots=True)
class Params:
    name: str
    k: int
    l: int  # noqa: E741 - FIPS 204 names the matrix width ℓ
    eta: int
    tau: int
    lam: int
    gamma1: int
    gamma2: int
    omega: int

    @property
    def beta(self) -> int:
        return self.tau * self.eta


PARAMS = {
    -48: Params("ML-DSA-44", 4, 4, 2, 39, 128, 1 << 17, (Q - 1) // 88, 80),
    -49: Params("ML-DSA-65", 6, 5, 4, 49, 192, 1 << 19, (Q - 1) // 32, 55),
    -50: Params("ML-DSA-87", 8, 7, 2, 60, 256, 1 << 19, (Q - 1) // 32, 75),
}


def _bitrev8(value: int) -> int:
    return int(f"{value:08b}"[::-1], 2)


_ZETAS = [pow(ZETA, _bitrev8(i), Q) for i in range(256)]


def _h(data: bytes, length: int) -> bytes:
    return hashlib.shake_256(data).digest(length)


def _ntt(poly: list[int]) -> list[int]:
    w = list(poly)
    m, length = 0, 128
    while length >= 1:
        for start in range(0, 256, 2 * length):
            m += 1
            z = _ZETAS[m]
            for j in range(start, start + length):
                t = z * w[j + length] % Q
                w[j + length] = (w[j] - t) % Q
                w[j] = (w[j] + t) % Q
        length //= 2
    return w


def _intt(poly: list[int]) -> list[int]:
    w = list(poly)
    m, length = 256, 1
    while length < 256:
        for start in range(0, 256, 2 * length):
            m -= 1
            z = Q - _ZETAS[m]
            for j in range(start, start + length):
                t = w[j]
                w[j] = (t + w[j + length]) % Q
                w[j + length] = z * (t - w[j + length]) % Q
        length *= 2
    return [x * _N_INV % Q for x in w]


def _mul(a: list[int], b: list[int]) -> list[int]:
    return [x * y % Q for x, y in zip(a, b, strict=True)]


def _add(a: list[int], b: list[int]) -> list[int]:
    return [(x + y) % Q for x, y in zip(a, b, strict=True)]


def _sub(a: list[int], b: list[int]) -> list[int]:
    return [(x - y) % Q for x, y in zip(a, b, strict=True)]


def _mat_vec(matrix: list[list[list[int]]], vector_hat: list[list[int]]) -> list[list[int]]:
    rows = []
    for row in matrix:
        acc = [0] * 256
        for a, v in zip(row, vector_hat, strict=True):
            acc = [(s + x * y) % Q for s, x, y in zip(acc, a, v, strict=True)]
        rows.append(acc)
    return rows


def _centered(value: int, modulus: int) -> int:
    r = value % modulus
    return r - modulus if r > modulus // 2 else r


def _inf_norm(vector: list[list[int]]) -> int:
    return max(abs(_centered(c, Q)) for poly in vector for c in poly)


# --- sampling (FIPS 204 §7.3) ---


def _rej_ntt_poly(seed: bytes) -> list[int]:
    stream = hashlib.shake_128(seed).digest(1344)
    coefficients: list[int] = []
    pos = 0
    while len(coefficients) < 256:
        if pos + 3 > len(stream):
            stream = hashlib.shake_128(seed).digest(len(stream) * 2)
        z = stream[pos] | stream[pos + 1] << 8 | (stream[pos + 2] & 0x7F) << 16
        pos += 3
        if z < Q:
            coefficients.append(z)
    return coefficients


def _rej_bounded_poly(seed: bytes, eta: int) -> list[int]:
    stream = _h(seed, 512)
    coefficients: list[int] = []
    pos = 0
    while len(coefficients) < 256:
        if pos >= len(stream):
            stream = _h(seed, len(stream) * 2)
        byte = stream[pos]
        pos += 1
        for half in (byte & 0x0F, byte >> 4):
            if len(coefficients) == 256:
                break
            if eta == 2 and half < 15:
                coefficients.append((2 - half % 5) % Q)
            elif eta == 4 and half < 9:
                coefficients.append((4 - half) % Q)
    return coefficients


def _expand_a(rho: bytes, p: Params) -> list[list[list[int]]]:
    return [[_rej_ntt_poly(rho + bytes([s, r])) for s in range(p.l)] for r in range(p.k)]


def _sample_in_ball(seed: bytes, tau: int) -> list[int]:
    stream = _h(seed, 8 + 256 * 4)
    signs = int.from_bytes(stream[:8], "little")
    c = [0] * 256
    pos = 8
    for i in range(256 - tau, 256):
        while True:
            if pos >= len(stream):
                stream = _h(seed, len(stream) * 2)
            j = stream[pos]
            pos += 1
            if j <= i:
                break
        c[i] = c[j]
        c[j] = Q - 1 if signs >> (i + tau - 256) & 1 else 1
    return c


def _bit_unpack(data: bytes, a: int, b: int) -> list[int]:
    width = (a + b).bit_length()
    value = int.from_bytes(data, "little")
    mask = (1 << width) - 1
    return [(b - (value >> (i * width) & mask)) % Q for i in range(256)]


def _expand_mask(rho: bytes, mu: int, p: Params) -> list[list[int]]:
    width = (p.gamma1 - 1).bit_length() + 1
    return [
        _bit_unpack(_h(rho + (mu + r).to_bytes(2, "little"), 32 * width), p.gamma1 - 1, p.gamma1) for r in range(p.l)
    ]


# --- rounding (FIPS 204 §7.4) ---


def _power2round(r: int) -> tuple[int, int]:
    r0 = _centered(r, 1 << D)
    return (r - r0) >> D, r0


def _decompose(r: int, gamma2: int) -> tuple[int, int]:
    r0 = _centered(r, 2 * gamma2)
    if r - r0 == Q - 1:
        return 0, r0 - 1
    return (r - r0) // (2 * gamma2), r0


# --- encodings (FIPS 204 §7.1-7.2) ---


def _pack(coefficients: list[int], width: int) -> bytes:
    value = 0
    for i, c in enumerate(coefficients):
        value |= c << (i * width)
    return value.to_bytes(32 * width, "little")


def _bit_pack(poly: list[int], a: int, b: int) -> bytes:
    return _pack([(b - _centered(c, Q)) for c in poly], (a + b).bit_length())


@dataclass(frozen=True, slots=True)
class ExpandedKey:
    params: Params
    public_key: bytes
    rho: bytes
    key: bytes
    tr: bytes
    a_hat: list[list[list[int]]]
    s1_hat: list[list[int]]
    s2_hat: list[list[int]]
    t0_hat: list[list[int]]


def keygen(seed: bytes, alg: int) -> ExpandedKey:
    """ML-DSA.KeyGen_internal(ξ) (FIPS 204 Algorithm 6)."""
    p = PARAMS[alg]
    expanded = _h(seed + bytes([p.k, p.l]), 128)
    rho, rho_prime, key = expanded[:32], expanded[32:96], expanded[96:]
    a_hat = _expand_a(rho, p)
    s1 = [_rej_bounded_poly(rho_prime + r.to_bytes(2, "little"), p.eta) for r in range(p.l)]
    s2 = [_rej_bounded_poly(rho_prime + (r + p.l).to_bytes(2, "little"), p.eta) for r in range(p.k)]
    s1_hat = [_ntt(s) for s in s1]
    t = [_add(_intt(row), s) for row, s in zip(_mat_vec(a_hat, s1_hat), s2, strict=True)]
    t1, t0 = [], []
    for poly in t:
        pairs = [_power2round(c) for c in poly]
        t1.append([hi for hi, _ in pairs])
        t0.append([lo % Q for _, lo in pairs])
    public_key = rho + b"".join(_pack(poly, 10) for poly in t1)
    return ExpandedKey(
        params=p,
        public_key=public_key,
        rho=rho,
        key=key,
        tr=_h(public_key, 64),
        a_hat=a_hat,
        s1_hat=s1_hat,
        s2_hat=[_ntt(s) for s in s2],
        t0_hat=[_ntt(t) for t in t0],
    )


def sign(expanded: ExpandedKey, message: bytes) -> bytes:
    """ML-DSA.Sign(sk, M, ctx="") in its deterministic variant: Sign_internal with rnd = {0}^32."""
    p = expanded.params
    mu = _h(expanded.tr + b"\x00\x00" + message, 64)
    rho_second = _h(expanded.key + bytes(32) + mu, 64)
    w1_width = ((Q - 1) // (2 * p.gamma2) - 1).bit_length()
    kappa = 0
    while True:
        y = _expand_mask(rho_second, kappa, p)
        kappa += p.l
        w = [_intt(row) for row in _mat_vec(expanded.a_hat, [_ntt(v) for v in y])]
        w1 = [[_decompose(c, p.gamma2)[0] for c in poly] for poly in w]
        c_tilde = _h(mu + b"".join(_pack(poly, w1_width) for poly in w1), p.lam // 4)
        c_hat = _ntt(_sample_in_ball(c_tilde, p.tau))
        cs1 = [_intt(_mul(c_hat, s)) for s in expanded.s1_hat]
        cs2 = [_intt(_mul(c_hat, s)) for s in expanded.s2_hat]
        z = [_add(a, b) for a, b in zip(y, cs1, strict=True)]
        w_minus = [_sub(a, b) for a, b in zip(w, cs2, strict=True)]
        r0_norm = max(abs(_decompose(c, p.gamma2)[1]) for poly in w_minus for c in poly)
        if _inf_norm(z) >= p.gamma1 - p.beta or r0_norm >= p.gamma2 - p.beta:
            continue
        ct0 = [_intt(_mul(c_hat, t)) for t in expanded.t0_hat]
        if _inf_norm(ct0) >= p.gamma2:
            continue
        hints = _make_hints(ct0, w_minus, p.gamma2)
        if sum(map(len, hints)) > p.omega:
            continue
        return c_tilde + b"".join(_bit_pack(poly, p.gamma1 - 1, p.gamma1) for poly in z) + _hint_pack(hints, p)


def _make_hints(ct0: list[list[int]], w_minus: list[list[int]], gamma2: int) -> list[list[int]]:
    """MakeHint(−ct0, w − cs2 + ct0): positions where adding −ct0 changes the high bits."""
    hints = []
    for c_poly, w_poly in zip(ct0, w_minus, strict=True):
        positions = []
        for j, (c, w) in enumerate(zip(c_poly, w_poly, strict=True)):
            r = (w + c) % Q
            if _decompose(r, gamma2)[0] != _decompose((r - c) % Q, gamma2)[0]:
                positions.append(j)
        hints.append(positions)
    return hints


def _hint_pack(hints: list[list[int]], p: Params) -> bytes:
    out = bytearray(p.omega + p.k)
    index = 0
    for i, positions in enumerate(hints):
        for j in positions:
            out[index] = j
            index += 1
        out[p.omega + i] = index
    return bytes(out)
