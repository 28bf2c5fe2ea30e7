"""Statement fields every signature-bearing format shares: alg, sig, and the closed set of keys."""

from __future__ import annotations

from ..cose import ALGORITHMS, Algorithm
from ..encoding import is_int
from ..errors import Code, fail
from ..policy import Policy


def check_keys(att_stmt: dict, *, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
    """A statement carries exactly its format's fields: an unknown key is a statement nobody verified."""
    # Runs on every verification: membership in the two short tuples, no sets built.
    extra = [k for k in att_stmt if k not in required and k not in optional]
    if extra:
        raise fail(Code.ATT_STMT_KEY_UNEXPECTED, f"unexpected attStmt key(s) {sorted(map(str, extra))}")


def statement_alg(att_stmt: dict, *, policy: Policy) -> Algorithm:
    """attStmt.alg: "A COSEAlgorithmIdentifier containing the identifier of the algorithm used to generate the
    attestation signature" (#sctn-packed-attestation). An integer, never text, float or bool."""
    if "alg" not in att_stmt:
        raise fail(Code.ATT_STMT_ALG_MISSING, "attStmt.alg missing")
    value = att_stmt["alg"]
    if not is_int(value):
        raise fail(Code.ATT_STMT_ALG_TYPE_INVALID, f"attStmt.alg is {type(value).__name__}, not an integer")
    alg = ALGORITHMS.get(value)
    if alg is None:
        raise fail(Code.ATT_STMT_ALG_UNSUPPORTED, f"attStmt.alg {value} is not a supported algorithm")
    if alg.alg == -65535 and not policy.allow_sha1:
        raise fail(Code.ATT_STMT_ALG_SHA1_FORBIDDEN, "attStmt.alg RS1 (SHA-1) is refused by policy")
    return alg


def statement_sig(att_stmt: dict) -> bytes:
    if "sig" not in att_stmt:
        raise fail(Code.ATT_STMT_SIG_MISSING, "attStmt.sig missing")
    sig = att_stmt["sig"]
    if not isinstance(sig, bytes):
        raise fail(Code.ATT_STMT_SIG_TYPE_INVALID, "attStmt.sig is not a byte string")
    return sig
