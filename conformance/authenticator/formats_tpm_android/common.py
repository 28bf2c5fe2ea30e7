"""What the tpm and android-key cases share: the generated vectors' RP, the case record and attStmt edits.

Both builders sign last: everything a recipe field edits feeds a signature computed afterwards, so the defect is
signed over and is the only thing wrong with the credential.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

RP_ID = "fidoconf.example"
ORIGIN = "https://fidoconf.example"
PRESETS = ("strict", "fido-conformance", "permissive")


def edited_statement(fields: dict[str, Any], *, drop: tuple[str, ...] = (), set_: tuple[tuple[str, Any], ...] = ()) -> dict:
    """attStmt from its fields, with keys left out or replaced (syntax defects: after signing, nothing to re-sign)."""
    out = {k: v for k, v in fields.items() if k not in drop}
    out.update(dict(set_))
    return out


@dataclass(frozen=True, slots=True)
class Case:
    """One generated credential: a valid one (defect None) or exactly one defect, with its expected verdicts."""

    id: str
    fmt: str
    alg: str
    #: The one defect, in words; None for a valid credential.
    defect: str | None
    #: The requirement the defect breaks, quoted from the spec, and its anchor.
    requirement: str
    anchor: str
    #: The format builder's recipe (TpmRecipe / AndroidKeyRecipe).
    recipe: Any
    #: Preset → expected code (None: accept). Presets left out are not asserted for this case.
    outcomes: dict[str, str | None]
    #: A policy other than a preset under which `custom_expect` holds (e.g. {"preset": "strict", ...}).
    policy: dict[str, Any] | None = None
    custom_expect: str | None = None
    note: str = ""


#: Accepted under every preset. fido-conformance also requires the path to chain to an anchor: runners give it
#: the test root (vectors/generated/trust/root.pem, what `ca.export_trust` writes).
ACCEPT: dict[str, str | None] = dict.fromkeys(PRESETS)


def case_maker(fmt: str, *, alg: str, anchor: str, recipe: Callable[..., Any]) -> Callable[..., Case]:
    """`make(name, defect, requirement, outcome, **recipe fields)`; outcome is a code for every preset or a dict."""

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
    ) -> Case:
        outcomes = dict.fromkeys(PRESETS, outcome) if isinstance(outcome, str) else outcome
        return Case(
            f"{fmt}-{name}",
            fmt,
            alg,
            defect,
            requirement,
            anchor,
            recipe(**fields),
            outcomes,
            policy,
            custom_expect,
            note,
        )

    return make
