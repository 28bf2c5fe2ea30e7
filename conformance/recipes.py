"""Running a recipe against a target: a fresh credential for the server's own challenge, one defect, a verdict.

A negative case proves something only if the undamaged base would have been accepted, so the base's positive
control runs first (once per base); when the target refuses the base, the negative case is SKIPPED with that
reason instead of passing for the wrong one (the FIDO tool's F-tests pass on any refusal).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from .authenticator.defects import registry
from .authenticator.keys import ALGS
from .authenticator.mutations import Mutation
from .cases import Case
from .defects import recipe_defect
from .environment import ALG_NAMES, Environment
from .profiles import Ceremony
from .reasons import check_reason


def _value(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$bytes"}:
        return bytes.fromhex(value["$bytes"])
    if isinstance(value, dict):
        return {k: _value(v) for k, v in value.items()}
    return value


def edits_mutation(edits: list[dict[str, Any]]) -> Mutation | None:
    """Client-data and attStmt edits as a Mutation (client data is re-signed; attStmt comes after signing)."""
    client = [e for e in edits if "client_data" in e]
    statement = [e for e in edits if "att_stmt" in e]
    if not client and not statement:
        return None

    def edit_client_data(value: dict[str, Any], _build: Any) -> dict[str, Any]:
        value = dict(value)
        for e in client:
            if e["client_data"] == "set":
                value[e["field"]] = _value(e["value"])
            else:
                value.pop(e["field"], None)
        return value

    def edit_statement(value: dict[str, Any], _build: Any) -> dict[str, Any]:
        value = dict(value)
        for e in statement:
            if e["att_stmt"] == "replace":
                value = _value(e["value"])
            elif e["att_stmt"] == "set":
                value[e["field"]] = _value(e["value"])
            else:
                value.pop(e["field"], None)
        return value

    hooks = {}
    if client:
        hooks["client_data"] = edit_client_data
    if statement:
        hooks["att_stmt"] = edit_statement
    return Mutation(name="recipe-edit", group="recipe", description="", requirement="", anchor="", hooks=hooks,
                    expected_code=None)


def apply_json_edits(credential: dict[str, Any], edits: list[dict[str, Any]]) -> dict[str, Any]:
    credential = copy.deepcopy(credential)
    for e in (e for e in edits if "json" in e):
        *parents, last = e["path"]
        node = credential
        for key in parents:
            node = node[key]
        if e["json"] == "delete":
            node.pop(last, None)
        elif e["json"] == "prefix":
            node[last] = e["value"] + node[last]
        else:
            node[last] = _value(e["value"])
    return credential


def _offered(ceremony: Ceremony) -> set[int]:
    return {p.get("alg") for p in ceremony.options.get("pubKeyCredParams") or [] if isinstance(p, dict)}


def ed25519_spelling(alg: str, offered: set[int]) -> str:
    """An Ed25519 case names the fully-specified Ed25519 (-19); a server that offers Ed25519 only as EdDSA (-8)
    gets the same key and defect under -8 instead of a SKIP (#sctn-alg-identifier: "Keys with algorithm EdDSA
    (-8) MUST specify Ed25519 (6) as the crv parameter", so both name one curve and one signature)."""
    if alg == "Ed25519" and ALGS[alg].alg not in offered and ALGS["EdDSA-Ed25519"].alg in offered:
        return "EdDSA-Ed25519"
    return alg


def _start(env: Environment, base: dict[str, Any]) -> Ceremony:
    return env.profile.start_registration(
        attestation=base.get("attestation", "direct"), authenticator_selection=base.get("authenticator_selection")
    )


def run_recipe(env: Environment, recipe: Case, record) -> None:
    base = recipe.base
    variant, alg = base["variant"], base["alg"]
    mutation = registry()[recipe.mutation] if recipe.mutation else edits_mutation(recipe.edits)
    ceremony = _start(env, base)
    if not base.get("offered_only"):  # an offered_only case tests its own algorithm identifier: never respelled
        alg = ed25519_spelling(alg, _offered(ceremony))
    base_alg = alg
    alg_id = ALGS[alg].alg
    if base.get("offered_only") and alg_id not in _offered(ceremony):
        pytest.skip(f"the target does not offer {alg} ({alg_id}) in pubKeyCredParams")
    if recipe.mutation == "cose-alg-not-in-pub-key-cred-params":
        # The defect is an algorithm the server did not offer: pick one it does not, if there is one.
        missing = [name for a, name in ALG_NAMES.items() if a not in _offered(ceremony) and name in ALGS]
        if not missing:
            pytest.skip("the target offers every algorithm fidoconf can make; the defect cannot be built")
        alg, mutation = missing[0], None
    if mutation is not None and mutation.challenge is not None:
        ceremony = _challenge_with_url_alphabet(env, base, ceremony)
    if recipe.expect != "accept":
        control = env.base_accepted(variant, base_alg, attestation=base.get("attestation", "direct"))
        if not control.accepted:
            pytest.skip(
                f"base credential ({variant}, {base_alg}) is refused by the target ({control.code or ''} "
                f"{control.message}); a refusal of the defect would prove nothing"
            )
    options = dict(mutation.options) if mutation is not None else {}
    bundle = env.credential(ceremony, variant=variant, alg=alg, mutation=mutation, **options)
    credential = apply_json_edits(bundle.credential, recipe.edits)
    record("expected", {"outcome": recipe.expect or "record", "code": recipe.expected_code})
    record("defect", recipe_defect(recipe=recipe, mutation=mutation, ceremony=ceremony, variant=variant, alg=alg,
                                   options=options, pki=env.pki, origin=env.config.origin,
                                   json_edits=(lambda c: apply_json_edits(c, recipe.edits)) if recipe.edits else None))
    submission = env.profile.finish_registration(ceremony, credential)
    actual = "accept" if submission.accepted else f"reject ({submission.code or 'no code'}: {submission.message})"
    record("actual", {"outcome": "accept" if submission.accepted else "reject", "http_status": submission.http_status,
                      "code": submission.code, "message": submission.message})
    if recipe.expect is None:
        return  # INFO: the outcome is recorded, not judged
    header = f"{recipe.id}: {recipe.requirement}\n  expected: {recipe.expect}"
    if recipe.expect == "accept":
        assert submission.accepted, f"{header}\n  actual:   {actual}"
        return
    assert not submission.accepted, f"{header} ({recipe.expected_code})\n  actual:   accept"
    if env.config.has("error-codes") and recipe.expected_code:
        assert submission.code == recipe.expected_code, (
            f"{header} with code {recipe.expected_code}\n  actual:   {actual}"
        )
    elif recipe.expected_code:
        reason = check_reason(expected_code=recipe.expected_code, submission=submission, reasons=env.reasons)
        record("refusal", reason.record())
        assert reason.verified is not False, (
            f"{header} ({recipe.expected_code})\n  actual:   refused for the wrong reason: expected "
            f"{recipe.expected_code}, server said {reason.words!r} ({', '.join(reason.said) or 'no mapped code'})"
        )


def _challenge_with_url_alphabet(env: Environment, base: dict[str, Any], ceremony: Ceremony) -> Ceremony:
    """Padding and std-alphabet spellings differ from the issued one only when its base64url has '-'/'_' and a
    partial final group; server challenges are random, so ask again until one does."""
    from fidoconf.verifier.encoding import b64url_encode

    for _ in range(16):
        text = b64url_encode(ceremony.challenge)
        if ("-" in text or "_" in text) and len(ceremony.challenge) % 3:
            return ceremony
        ceremony = _start(env, base)
    pytest.skip("the target's challenges never needed '-', '_' and padding; the defect cannot be built")
