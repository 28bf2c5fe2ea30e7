"""`fidoconf fuzz` against the in-process reference RP and its negative controls (real HTTP stack via the ASGI
client, SQLite store, real signatures). Seeds are fixed and the hypothesis database is off, so every run draws the
same examples and the asserted findings are deterministic."""

from __future__ import annotations

import json

import pytest
from fidoconf.conformance.config import load
from fidoconf.conformance.data import schemas_dir
from fidoconf.conformance.fuzz.findings import load_finding, save
from fidoconf.conformance.fuzz.runner import fuzz, reproduce
from fidoconf.conformance.fuzz.session import session
from jsonschema import Draft202012Validator

CI_EXAMPLES = 150


def _run(profile: str, *, control: str | None = None, examples: int = CI_EXAMPLES, seed: int = 1):
    config = load(overrides={"profile": profile, "control": control}, environ={})
    with session(config) as oracle:
        return fuzz(oracle, examples_n=examples, seed=seed)


@pytest.mark.parametrize("profile", ["nevis-cloud", "fido-server", "skfs"])
def test_reference_rp_has_no_findings(profile):
    run = _run(profile)
    assert run.examples >= CI_EXAMPLES * 0.9
    assert run.findings == {}


@pytest.mark.parametrize(
    ("control", "code", "examples"),
    [
        ("no-origin-check", "client_data.origin.mismatch", 400),
        # Which signature defect is drawn first (malformed DER or a wrong value) depends on the ECDSA signature's
        # own random bytes; both are the defect this control skips.
        ("no-signature-check", "att_stmt.sig.", 400),
        ("accepts-trailing-cbor", "cbor.attestation_object.trailing_bytes", 400),
        ("no-chain-validation", "trust.chain.", 400),
    ],
)
def test_control_defect_is_found_and_minimised(control, code, examples):
    run = _run("nevis-cloud", control=control, examples=examples)
    # A code ending in "." names a family (the chain control shows whichever chain defect is drawn first).
    keys = [k for k in run.findings if k[0] == "wrong-accept" and (k[1] == code or code.endswith(".")
                                                                   and k[1].startswith(code))]
    assert keys, sorted(run.findings)
    assert run.failing
    # Minimised: one defect is enough to show each of these controls' bug.
    assert all(len(run.findings[k].example.defects) == 1 for k in keys)


def test_saved_finding_is_a_schema_valid_vector_that_replays(tmp_path):
    config = load(overrides={"profile": "nevis-cloud", "control": "no-origin-check"}, environ={})
    key = ("wrong-accept", "client_data.origin.mismatch")
    with session(config) as oracle:
        run = fuzz(oracle, examples_n=400, seed=1)
        paths = save(run.findings, out_dir=tmp_path, origin=config.origin, root_pem=oracle.env.pki.root_pem(),
                     stats=run.stats())
        schema = json.loads((schemas_dir() / "vectors" / "registration-vector.schema.json").read_text())
        for path in paths:
            assert list(Draft202012Validator(schema).iter_errors(json.loads(path.read_text()))) == []
        path = next(p for p in paths if p.name.startswith("wrong-accept.client_data.origin.mismatch"))
        record, example, saved_key = load_finding(path)
        assert saved_key == key
        assert record["expect"] == "reject" and record["expected_code"] == key[1]
        assert reproduce(oracle, example, key=key) is not None
    with session(load(overrides={"profile": "nevis-cloud"}, environ={})) as fixed:
        assert reproduce(fixed, example, key=key) is None
    summary = json.loads((tmp_path / "findings.json").read_text())
    assert [(f["kind"], f["code"]) for f in summary["findings"]] == [key]
