"""The defect a recipe planted, in words and as a decoded diff of the credential (base vs what was sent).

The diff is made by building the recipe's credential twice from one fixed seed, once without the defect, so the
only differences are the defect's (signatures are randomised and re-made, so they are listed only when one goes
missing or appears). It is computed only for cases a report details (not PASS), after the case ran.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .authenticator.authenticator import make_credential
from .decode import credential_diff, diff_sentence

#: Seed of the two twin credentials a diff compares (any fixed value: only their difference is reported).
DIFF_SEED = "fidoconf/report/defect-diff"


def defect_record(
    *,
    words: str,
    make: Callable[..., dict[str, Any]] | None = None,
    json_edits: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Callable[[], dict[str, Any]]:
    """A deferred defect description: `make(mutation_applied: bool)` builds the credential JSON either way."""

    def describe() -> dict[str, Any]:
        if make is None:
            return {"words": words, "diff": [], "summary": ""}
        try:
            base, sent = make(False), make(True)
            if json_edits is not None:
                sent = json_edits(sent)
            changes = credential_diff(base, sent)
        except Exception as exc:  # noqa: BLE001 - a report never breaks a case; it says it could not diff
            return {"words": words, "diff": [], "summary": f"(no diff: {type(exc).__name__}: {exc})"}
        return {"words": words, "diff": changes, "summary": diff_sentence(changes)}

    return describe


def recipe_defect(*, recipe: Any, mutation: Any, ceremony: Any, variant: str, alg: str, options: dict[str, Any],
                  pki: Any, origin: str, json_edits: Callable[[dict[str, Any]], dict[str, Any]] | None):
    """The deferred defect of one recipe case (see module doc)."""
    words = getattr(mutation, "description", "") or recipe.title

    def make(applied: bool) -> dict[str, Any]:
        bundle = make_credential(
            rp_id=ceremony.rp_id, origin=origin, challenge=ceremony.challenge, fmt=variant, alg=alg, seed=DIFF_SEED,
            mutation=mutation if applied else None, pki=pki, **(options if applied else {}),
        )
        return bundle.credential

    if mutation is None and json_edits is None:
        return defect_record(words=words)
    return defect_record(words=words, make=make, json_edits=json_edits)
