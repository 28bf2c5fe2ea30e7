"""None attestation (#sctn-none-attestation)."""

from __future__ import annotations

from ..errors import Code, fail
from . import AttestationContext, StatementResult


def verify(att_stmt: dict, ctx: AttestationContext) -> StatementResult:
    # #sctn-none-attestation: "attStmtType = ( fmt: "none", attStmt: emptyMap )". Anything inside the map is a
    # statement the RP would be ignoring (docs/attacks.md Appendix A rows 29-30).
    if att_stmt:
        raise fail(Code.ATT_STMT_KEY_UNEXPECTED, f"none attestation with attStmt keys {sorted(map(str, att_stmt))}")
    return StatementResult(attestation_type="none")
