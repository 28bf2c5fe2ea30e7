"""What the tpm and android-key records share: the generated vectors' RP, the record maker and attStmt edits.

Both builders sign last: everything a shape field edits feeds a signature computed afterwards, so the defect is
signed over and is the only thing wrong with the credential.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..mutations import PRESETS, Mutation, outcome_of

RP_ID = "fidoconf.example"
ORIGIN = "https://fidoconf.example"


def edited_statement(fields: dict[str, Any], *, drop: tuple[str, ...] = (), set_: tuple[tuple[str, Any], ...] = ()) -> dict:
    """attStmt from its fields, with keys left out or replaced (syntax defects: after signing, nothing to re-sign)."""
    out = {k: v for k, v in fields.items() if k not in drop}
    out.update(dict(set_))
    return out


#: Accepted under every preset. fido-conformance also requires the path to chain to an anchor: runners give it
#: the test root (vectors/generated/trust/root.pem, what `ca.export_trust` writes).
ACCEPT: dict[str, str | None] = dict.fromkeys(PRESETS)


def case_maker(fmt: str, *, alg: str, anchor: str, shape: Callable[..., Any]) -> Callable[..., Mutation]:
    """`make(name, defect, requirement, outcome, **shape fields)`: a defect record (no hooks; the shape is the
    builder's statement_options). outcome is a code for every preset or a dict preset → code; with `policy`,
    `custom_expect` is what that policy answers ("accept" or a code)."""

    def make(
        name: str,
        defect: str | None,
        requirement: str,
        outcome: dict[str, str | None] | str,
        *,
        alg: str = alg,
        anchor: str = anchor,
        policy: dict[str, Any] | None = None,
        custom_expect: str | None = None,
        note: str = "",
        **fields: Any,
    ) -> Mutation:
        codes = dict.fromkeys(PRESETS, outcome) if isinstance(outcome, str) else outcome
        expected = codes["strict"] if policy is None else (None if custom_expect in (None, "accept") else custom_expect)
        return Mutation(
            name=f"{fmt}-{name}",
            group=fmt,
            description=defect,
            requirement=requirement,
            anchor=anchor,
            expected_code=expected,
            base=(fmt, alg),
            formats=(fmt,),
            policy=policy,
            outcomes={preset: outcome_of(code) for preset, code in codes.items()},
            options={"statement_options": shape(**fields)},
            level="MUST",
            note=note,
        )

    return make
