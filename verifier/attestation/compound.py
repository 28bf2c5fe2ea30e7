"""Compound attestation (WebAuthn Level 3 #sctn-compound-attestation): several statements for one credential.

    $$attStmtType //= ( fmt: "compound", attStmt: [2* nonCompoundAttStmt] )
    nonCompoundAttStmt = { $$attStmtType } .within { fmt: text .ne "compound" }

Each element is verified by its own registered format with the same authenticatorData and clientDataHash.
The spec leaves two decisions to the RP; fidoconf's are:

- Failures ("If validation fails for one or more subStmt, decide the appropriate result based on Relying Party
  policy"): with `Policy.compound_require_all` (strict, fido-conformance) any failing element fails the whole
  statement with that element's own code. Without it (permissive) failing elements are dropped, but at least one
  element other than none must verify, so [none, forged packed] never passes as "none" (docs/attacks.md E8).
- A statement made only of none elements is refused (`att_stmt.compound.all_none`): it attests nothing, and
  wrapping none in compound would only dodge a policy that refuses fmt none.

What is returned ("any combination of outputs from successful verification procedures"): the attestation type
and trust path of the strongest verified element (attca, basic or anonca before self before none; the first in
array order among equals), and every verified element in `parts`, so each trust path can be assessed.
"""

from __future__ import annotations

from ..errors import Code, VerificationError, fail
from . import AttestationContext, StatementResult

FMT = "compound"
_ENTRY_KEYS = frozenset({"fmt", "attStmt"})
#: Higher is stronger: a path to a CA says more than a self signature, which says more than nothing.
_STRENGTH = {"attca": 2, "basic": 2, "anonca": 2, "self": 1, "none": 0}


def verify(att_stmt: object, ctx: AttestationContext) -> StatementResult:
    entries = _entries(att_stmt, ctx)
    if all(fmt == "none" for fmt, _ in entries):
        raise fail(Code.ATT_STMT_COMPOUND_ALL_NONE, "every compound element is fmt none: nothing is attested")
    # "For each subStmt of attStmt, evaluate the verification procedure corresponding to the attestation statement
    # format identifier subStmt.fmt with verification procedure inputs subStmt, authenticatorData and
    # clientDataHash."
    verified: list[tuple[int, str, StatementResult]] = []
    failures: list[VerificationError] = []
    for index, (fmt, statement) in enumerate(entries):
        try:
            verified.append((index, fmt, _verify_one(fmt, statement, ctx)))
        except VerificationError as exc:
            located = VerificationError(exc.code, f"compound[{index}] ({fmt}): {exc.message}", **exc.detail)
            located.detail["compound_index"] = index
            # "If validation fails for one or more subStmt, decide the appropriate result based on Relying Party
            # policy."
            if ctx.policy.compound_require_all:
                raise located from exc
            failures.append(located)
    # "If sufficiently many (as determined by Relying Party policy) items of attStmt verify successfully, return
    # implementation-specific values representing any combination of outputs from successful verification
    # procedures."
    if not any(fmt != "none" for _, fmt, _ in verified):
        raise failures[0]
    primary_index, primary_fmt, primary = max(verified, key=lambda v: (_STRENGTH[v[2].attestation_type], -v[0]))
    return StatementResult(
        attestation_type=primary.attestation_type,
        trust_path=primary.trust_path,
        info={
            "primary": primary_index,
            "statements": [
                {"index": index, "fmt": fmt, "attestation_type": result.attestation_type, **result.info}
                for index, fmt, result in verified
            ],
            "failed": [{"index": f.detail["compound_index"], "code": f.code.value} for f in failures],
        },
        parts=tuple(result for _, _, result in verified),
    )


def _entries(att_stmt: object, ctx: AttestationContext) -> list[tuple[str, dict]]:
    """The CDDL, element by element, before any element is verified: a malformed statement costs no signature."""
    if not isinstance(att_stmt, list):
        raise fail(Code.ATTESTATION_OBJECT_ATT_STMT_TYPE_INVALID, "compound attStmt is not an array")
    # "[2* nonCompoundAttStmt]": at least two elements.
    if len(att_stmt) < 2:
        raise fail(Code.ATT_STMT_COMPOUND_TOO_FEW, f"compound attStmt has {len(att_stmt)} element(s), at least 2")
    if len(att_stmt) > ctx.policy.compound_max_statements:
        raise fail(
            Code.ATT_STMT_COMPOUND_TOO_MANY,
            f"compound attStmt has {len(att_stmt)} elements, policy allows {ctx.policy.compound_max_statements}",
        )
    return [_entry(item, index, ctx) for index, item in enumerate(att_stmt)]


def _formats(ctx: AttestationContext):
    from . import REGISTRY  # the registry imports this module

    return REGISTRY if ctx.formats is None else ctx.formats


def _entry(item: object, index: int, ctx: AttestationContext) -> tuple[str, dict]:

    # "nonCompoundAttStmt = { $$attStmtType }": a map of exactly fmt and attStmt.
    if not isinstance(item, dict):
        raise fail(Code.ATT_STMT_COMPOUND_ENTRY_MALFORMED, f"compound[{index}] is not a map", compound_index=index)
    fmt = item.get("fmt")
    if not isinstance(fmt, str):
        raise fail(Code.ATT_STMT_COMPOUND_ENTRY_MALFORMED, f"compound[{index}].fmt is not text", compound_index=index)
    # '.within { fmt: text .ne "compound" }': one level only.
    if fmt == FMT:
        raise fail(Code.ATT_STMT_COMPOUND_NESTED, f"compound[{index}] is itself compound", compound_index=index)
    if set(item) != _ENTRY_KEYS:
        raise fail(
            Code.ATT_STMT_COMPOUND_ENTRY_MALFORMED,
            f"compound[{index}] has keys {sorted(map(str, item))}, not fmt and attStmt",
            compound_index=index,
        )
    # #sctn-registering-a-new-credential step 22, for each element: a case-sensitive match against the supported
    # formats, then the RP's own list.
    if fmt not in _formats(ctx):
        raise fail(Code.ATTESTATION_FMT_UNSUPPORTED, f"compound[{index}] format {fmt!r} is not supported")
    allowed = ctx.policy.allowed_formats
    if allowed is not None and fmt not in allowed:
        raise fail(Code.ATTESTATION_FMT_NOT_ALLOWED, f"compound[{index}] format {fmt!r} is refused by policy")
    if not isinstance(item["attStmt"], dict):
        raise fail(Code.ATTESTATION_OBJECT_ATT_STMT_TYPE_INVALID, f"compound[{index}].attStmt is not a map")
    return fmt, item["attStmt"]


def _verify_one(fmt: str, statement: dict, ctx: AttestationContext) -> StatementResult:
    return _formats(ctx)[fmt](statement, ctx)
