"""Appendix B "Signatures" and "none" (docs/attacks.md D, E1)."""

from __future__ import annotations

import base64
import hashlib

from . import cbor, der, requirements
from .cbor import Raw
from .hooks import DROP, func, leaf, set_fields
from .keys import CRV_P256, CURVE_ORDERS, derive_key
from .mutations import Mutation

PACKED = "#sctn-packed-attestation"
_PACKED_SIG = (
    "Verify that sig is a valid signature over the concatenation of authenticatorData and clientDataHash using "
    "the attestation public key in attestnCert with the algorithm specified in alg."
)
_SELF_ALG = "Validate that alg matches the algorithm of the credentialPublicKey in authenticatorData."
_CERT = "#sctn-packed-attestation-cert-requirements"
_CERT_REQ = (
    'Subject field MUST be set to: Subject-C, Subject-O, Subject-OU (literal string "Authenticator Attestation"), '
    "Subject-CN"
)
_SIGFMT = "#sctn-signature-attestation-types"
_SIGFMT_REQ = "ECDSA signatures are ASN.1 DER Ecdsa-Sig-Value encoded (RFC 3279 §2.2.3)."
U2F = "#sctn-fido-u2f-attestation"
_NONE = "#sctn-none-attestation"
_TRUST = "#sctn-registering-a-new-credential"
_TRUST_REQ = (
    "Assess the attestation trustworthiness using the outputs of the verification procedure: ... use the X.509 "
    "certificates returned as the attestation trust path from the verification procedure to verify that the "
    "attestation public key either correctly chains up to an acceptable root certificate, or is itself an "
    "acceptable certificate."
)
_SELF = ("packed-self", "ES256")
X5C = ("packed-x5c", "ES256")
U2F_BASE = ("fido-u2f", "ES256")
_N256 = CURVE_ORDERS[CRV_P256]
ACCEPT = {"expect": "accept"}
REQUIRE_TRUST = {"preset": "strict", "require_trusted_attestation": True}


def sig(name, description, fn, code, *, base=_SELF, requirement=_SIGFMT_REQ, anchor=_SIGFMT, **kw) -> Mutation:
    kw.setdefault("formats", (base[0],))
    return Mutation(name, "signature", description, requirement, anchor, {"signature": func(fn)}, code, base=base, **kw)


def stmt(
    name, group, description, hook, code, *, base=_SELF, requirement=_PACKED_SIG, anchor=PACKED, **kw
) -> Mutation:
    kw.setdefault("formats", (base[0],))
    return Mutation(name, group, description, requirement, anchor, {"att_stmt": hook}, code, base=base, **kw)


def cert(
    name, description, hook, code, *, base=X5C, requirement=_CERT_REQ, anchor=_CERT, group="packed", **kw
) -> Mutation:
    kw.setdefault("formats", (base[0],))
    return Mutation(name, group, description, requirement, anchor, {"params": hook}, code, base=base, **kw)


def chain(name, description, hook, code, *, base=X5C, requirement=_TRUST_REQ, **kw) -> Mutation:
    kw.setdefault("formats", ("packed-x5c", "fido-u2f"))
    return Mutation(name, "chain", description, requirement, _TRUST, {"params": hook}, code, base=base, **kw)


def _ecdsa(fn):
    return lambda sig: fn(*der.ecdsa_values(sig))


def flip_middle(sig: bytes) -> bytes:
    # A DER ECDSA signature's middle byte is sometimes the tag or length of s (r one octet short): flipping it
    # makes the signature malformed, not wrong. So for DER, flip a bit in the middle of s's value instead.
    i = _middle_of_s(sig) or len(sig) // 2
    return sig[:i] + bytes([sig[i] ^ 0x01]) + sig[i + 1 :]


def _middle_of_s(sig: bytes) -> int | None:
    """Offset of the middle octet of s in a DER SEQUENCE { r INTEGER, s INTEGER } of short form, else None."""
    if len(sig) < 8 or sig[0] != 0x30 or sig[1] != len(sig) - 2 or sig[2] != 0x02:
        return None
    s_tag = 4 + sig[3]
    if s_tag + 2 > len(sig) or sig[s_tag] != 0x02 or s_tag + 2 + sig[s_tag + 1] != len(sig) or sig[s_tag + 1] < 2:
        return None
    return s_tag + 2 + sig[s_tag + 1] // 2


def _swap_signer(attr: str, key_fn):
    """At the x5c stage (after the chain and the COSE key exist), change who signs."""

    def hook(x5c, build):
        setattr(build, attr, key_fn(build))
        return x5c

    return hook


def subject(**changes):
    base = dict(
        (
            ("C", "US"),
            ("O", "fidoconf test authenticators"),
            ("OU", "Authenticator Attestation"),
            ("CN", "fidoconf virtual authenticator"),
        )
    )
    for key, value in changes.items():
        if value is None:
            base.pop(key)
        else:
            base[key] = value
    return leaf(subject=tuple(base.items()))


def u2f_over_packed_data(_data: bytes, build) -> bytes:
    return build.auth_data + hashlib.sha256(build.client_data_json).digest()


MUTATIONS: tuple[Mutation, ...] = (
    # --- D3 ECDSA encoding ---
    sig(
        "sig-ecdsa-bit-flip",
        "one bit of the ECDSA signature flipped",
        flip_middle,
        "att_stmt.sig.invalid",
        requirement=_PACKED_SIG,
        anchor=PACKED,
        level="MUST",
    ),
    sig(
        "sig-ecdsa-der-trailing-byte", "DER signature followed by 0x00", lambda s: s + b"\x00", "att_stmt.sig.malformed",
        requirement=requirements.ECDSA_DER,
        level="MUST"
    ),
    sig(
        "sig-ecdsa-extra-integer",
        "a third INTEGER inside the SEQUENCE",
        _ecdsa(lambda r, s: der.tlv(der.SEQUENCE, der.integer(r) + der.integer(s) + der.integer(1))),
        "att_stmt.sig.malformed",
        requirement=requirements.ECDSA_DER,
        level="MUST",
    ),
    sig(
        "sig-ecdsa-non-minimal-integer",
        "r with a superfluous leading zero octet",
        _ecdsa(lambda r, s: der.tlv(der.SEQUENCE, der.integer(r, pad=1) + der.integer(s))),
        "att_stmt.sig.malformed",
        requirement=requirements.ECDSA_DER,
        level="MUST",
    ),
    sig(
        "sig-ecdsa-ber-long-length",
        "SEQUENCE length in BER long form (30 81 nn)",
        lambda s: b"\x30\x81" + s[1:2] + s[2:],
        "att_stmt.sig.malformed",
        requirement=requirements.ECDSA_DER,
        level="MUST",
    ),
    sig("sig-ecdsa-r-zero", "r = 0", _ecdsa(lambda r, s: der.ecdsa_signature(0, s)), "att_stmt.sig.malformed", requirement=requirements.ECDSA_DER, level="MUST"),
    sig("sig-ecdsa-s-zero", "s = 0", _ecdsa(lambda r, s: der.ecdsa_signature(r, 0)), "att_stmt.sig.malformed", requirement=requirements.ECDSA_DER, level="MUST"),
    sig(
        "sig-ecdsa-r-equals-n",
        "r = n (the group order), outside [1, n-1]",
        _ecdsa(lambda r, s: der.ecdsa_signature(_N256, s)),
        "att_stmt.sig.invalid",
        requirement=requirements.ECDSA_DER,
        level="MUST",
    ),
    sig(
        "sig-ecdsa-s-above-n",
        "s + n in place of s: congruent, but outside [1, n-1]",
        _ecdsa(lambda r, s: der.ecdsa_signature(r, s + _N256)),
        "att_stmt.sig.invalid",
    ),
    sig(
        "valid-sig-ecdsa-high-s",
        "s replaced by n - s: the other valid signature (WebAuthn does not require low-S)",
        _ecdsa(lambda r, s: der.ecdsa_signature(r, _N256 - s)),
        None,
        requirement=requirements.ECDSA_DER,
        level="MUST",
    ),
    sig(
        "sig-ecdsa-x5c-bit-flip",
        "one bit of an x5c (full attestation) signature flipped",
        flip_middle,
        "att_stmt.sig.invalid",
        base=X5C,
        requirement=_PACKED_SIG,
        anchor=PACKED,
        level="MUST",
    ),
    # --- other algorithms ---
    sig(
        "sig-rsa-short",
        "RS256 signature one byte shorter than the modulus",
        lambda s: s[1:],
        "att_stmt.sig.malformed",
        base=("packed-self", "RS256"),
        algs=("RS256",),
        requirement=requirements.SIG_OVER_DATA,
        level="MUST",
    ),
    sig(
        "sig-rsa-long",
        "RS256 signature with a leading zero octet (longer than the modulus)",
        lambda s: b"\x00" + s,
        "att_stmt.sig.malformed",
        base=("packed-self", "RS256"),
        algs=("RS256",),
        requirement=requirements.SIG_OVER_DATA,
        level="MUST",
    ),
    sig(
        "sig-rsa-bit-flip",
        "RS256 signature with one bit flipped",
        flip_middle,
        "att_stmt.sig.invalid",
        base=("packed-self", "RS256"),
        algs=("RS256",),
        requirement=requirements.SIG_OVER_DATA,
        level="MUST",
    ),
    sig(
        "sig-pss-bit-flip",
        "PS256 signature with one bit flipped",
        flip_middle,
        "att_stmt.sig.invalid",
        base=("packed-self", "PS256"),
        algs=("PS256",),
        requirement=requirements.SIG_OVER_DATA,
        level="MUST",
    ),
    sig(
        "sig-ed25519-bit-flip",
        "Ed25519 signature with one bit flipped",
        flip_middle,
        "att_stmt.sig.invalid",
        base=("packed-self", "Ed25519"),
        algs=("Ed25519",),
        requirement=requirements.SIG_OVER_DATA,
        level="MUST",
    ),
    sig(
        "sig-ed25519-truncated",
        "Ed25519 signature of 63 bytes",
        lambda s: s[:-1],
        "att_stmt.sig.invalid",
        base=("packed-self", "Ed25519"),
        algs=("Ed25519",),
        requirement=requirements.SIG_OVER_DATA,
        level="MUST",
    ),
    sig(
        "sig-mldsa44-bit-flip",
        "ML-DSA-44 signature with one bit flipped",
        flip_middle,
        "att_stmt.sig.invalid",
        base=("packed-self", "ML-DSA-44"),
        algs=("ML-DSA-44",),
        requirement=requirements.SIG_OVER_DATA,
        level="MUST",
    ),
    Mutation(
        "sig-over-auth-data-only",
        "signature",
        "the signature covers authenticatorData without clientDataHash",
        _PACKED_SIG,
        PACKED,
        {"signed_data": lambda _d, b: b.auth_data},
        "att_stmt.sig.invalid",
        base=_SELF,
        formats=("packed-self", "packed-x5c"),
        level="MUST",
    ),
    Mutation(
        "sig-self-by-other-key",
        "signature",
        "self attestation signed by a key other than the credential key",
        _PACKED_SIG,
        PACKED,
        {"x5c": _swap_signer("credential_key", lambda b: derive_key("ES256", "fidoconf/other-key"))},
        "att_stmt.sig.invalid",
        base=_SELF,
        formats=("packed-self",),
        not_resigned=True,
        level="MUST",
    ),
    Mutation(
        "sig-x5c-by-credential-key",
        "signature",
        "full attestation signed by the credential key, not the attestation certificate's key",
        _PACKED_SIG,
        PACKED,
        {"x5c": _swap_signer("attestation_key", lambda b: b.credential_key)},
        "att_stmt.sig.invalid",
        base=X5C,
        formats=("packed-x5c",),
        not_resigned=True,
        level="MUST",
    ),
    # --- alg and sig members (A10, D1) ---
    stmt("att-stmt-alg-text", "signature", "alg is the text '-7'", set_fields(alg="-7"), "att_stmt.alg.type_invalid", level="MUST"),
    stmt("att-stmt-alg-bool", "signature", "alg is true", set_fields(alg=True), "att_stmt.alg.type_invalid", level="MUST"),
    stmt(
        "att-stmt-alg-float",
        "signature",
        "alg is the half float -7.0",
        set_fields(alg=Raw(cbor.half_float(-7.0))),
        "cbor.item.float_forbidden",
        level="MUST",
    ),
    stmt("att-stmt-alg-unknown", "signature", "alg is -999", set_fields(alg=-999), "att_stmt.alg.unsupported", level="MUST"),
    stmt("att-stmt-alg-missing", "signature", "no alg", set_fields(alg=DROP), "att_stmt.alg.missing", level="MUST"),
    stmt("att-stmt-sig-missing", "signature", "no sig", set_fields(sig=DROP), "att_stmt.sig.missing", level="MUST"),
    stmt(
        "att-stmt-sig-text",
        "signature",
        "sig is a text string",
        func(lambda st: {**st, "sig": base64.b64encode(st["sig"]).decode()}),
        "att_stmt.sig.type_invalid",
        level="MUST",
    ),
    stmt(
        "att-stmt-sig-tagged",
        "signature",
        "sig wrapped in tag 24",
        func(lambda st: {**st, "sig": Raw(cbor.tagged(24, st["sig"]))}),
        "cbor.item.tag_forbidden",
        level="MUST",
    ),
    stmt(
        "packed-self-alg-es384-for-es256-key",
        "signature",
        "self attestation alg -35 (ES384) for an ES256 key",
        set_fields(alg=-35),
        "att_stmt.alg.mismatch",
        requirement=requirements.PACKED_SELF_ALG,
        level="MUST",
    ),
    stmt(
        "packed-self-alg-rs256-for-es256-key",
        "signature",
        "self attestation alg -257 (RS256) for an ES256 key",
        set_fields(alg=-257),
        "att_stmt.alg.mismatch",
        requirement=requirements.PACKED_SELF_ALG,
        level="MUST",
    ),
    stmt(
        "packed-x5c-alg-rs256-for-ec-cert",
        "signature",
        "full attestation alg -257 while the certificate key is P-256",
        set_fields(alg=-257),
        "att_stmt.alg.mismatch",
        base=X5C,
        level="MUST",
    ),
    stmt(
        "packed-x5c-alg-es384-for-p256-cert",
        "signature",
        "full attestation alg -35 (P-384) while the certificate key is P-256",
        set_fields(alg=-35),
        "att_stmt.alg.mismatch",
        base=X5C,
        level="MUST",
    ),
    # --- none (E1) ---
    stmt(
        "none-att-stmt-not-empty",
        "none",
        "fmt none with attStmt {x: 1}",
        set_fields(x=1),
        "att_stmt.key.unexpected",
        base=("none", "ES256"),
        requirement=requirements.NONE_EMPTY_STMT,
        anchor=_NONE,
        level="STRICT",
    ),
    stmt(
        "none-att-stmt-packed-fields",
        "none",
        "fmt none with a packed-looking attStmt {alg, sig}",
        set_fields(alg=-7, sig=b"\x30\x00"),
        "att_stmt.key.unexpected",
        base=("none", "ES256"),
        requirement='attStmtType = ( fmt: "none", attStmt: emptyMap )',
        anchor=_NONE,
        level="MUST",
    ),
)
