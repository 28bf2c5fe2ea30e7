"""The live format cases (conformance/format_cases.py): stable, unambiguous, gated by `fmt:*`, and built by the
one virtual authenticator so that the reference verifier agrees with each case's expectation for a fresh
challenge."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections import Counter

import pytest
from fidoconf.conformance.authenticator.authenticator import VARIANTS, make_credential
from fidoconf.conformance.cases import ID_PATTERN, load_ledger
from fidoconf.conformance.format_cases import LIVE_CASES, live_cases
from fidoconf.verifier import Policy, VerificationError, verify_registration

from .conftest import ROOT
from .format_support import anchored_trust, pki

CASES = live_cases()
FORMATS = ("tpm", "android-key", "android-safetynet", "apple", "compound")


def test_ids_are_stable_unique_and_in_the_ledger():
    ids = [case_id for case_id, _ in LIVE_CASES]
    assert len(ids) == len(set(ids)) and all(ID_PATTERN.match(i) for i in ids)
    assert len({name for _, name in LIVE_CASES}) == len(LIVE_CASES)
    assert sorted(set(ids) - set(load_ledger())) == []
    # The P/F letter says what the target must do.
    assert all((c.id.rsplit("-", 1)[1][0] == "P") == (c.expect == "accept") for c in CASES)


def test_every_format_has_a_valid_base_and_defects_each_gated_by_its_fmt():
    kinds = Counter((c.params["variant"], c.expect) for c in CASES)
    assert all(kinds[(fmt, "accept")] >= 1 and kinds[(fmt, "reject")] >= 3 for fmt in FORMATS), kinds
    assert all(c.requires == (f"fmt:{c.params['variant']}",) for c in CASES)
    assert all(c.severity == "MUST" and c.requirement and c.anchor.startswith("#sctn-") for c in CASES)


def test_the_registry_makes_every_format():
    assert set(FORMATS) | {"none", "packed-self", "packed-x5c", "fido-u2f"} == set(VARIANTS)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reference_verifier_agrees_for_a_fresh_challenge(case):
    """What the target is judged against holds for the reference verifier on a challenge no vector used."""
    from datetime import UTC, datetime

    from fidoconf.conformance.format_cases import statement_options

    now = datetime.now(UTC)
    challenge = hashlib.sha256(f"live/{case.id}".encode()).digest()
    bundle = make_credential(
        rp_id="localhost",
        origin="http://localhost:8000",
        challenge=challenge,
        fmt=case.params["variant"],
        alg=case.params["alg"],
        seed=f"live/{case.id}",
        pki=pki(),
        statement_options=statement_options(case.params["source"]),
        now=now,
    )
    try:
        verify_registration(
            bundle.credential,
            expected_challenge=challenge,
            expected_origin="http://localhost:8000",
            expected_rp_id="localhost",
            policy=Policy(),
            trust=anchored_trust(),
            clock=lambda: now,
        )
        code = None
    except VerificationError as exc:
        code = exc.code.value
    assert code == case.expected_code


def test_a_target_declaring_some_formats_gets_the_others_skipped_with_the_reason(tmp_path):
    config = tmp_path / "target.json"
    declared = ["error-codes", "trusts-suite-ca", "fmt:none", "fmt:packed", "fmt:tpm", "alg:optional"]
    config.write_text(json.dumps({"capabilities": declared}))
    done = subprocess.run(
        [sys.executable, "-m", "fidoconf.conformance.cli", "run", "--report-dir", str(tmp_path / "r"),
         "--config", str(config), "-k", "test_format and (TPM-P01 or AKEY-P01 or ASN-F01 or APPLE-P01 or COMP-F01)"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    index = json.loads(next((tmp_path / "r").glob("*/index.json")).read_text())
    verdicts = {k: v["verdict"] for k, v in index["cases"].items()}
    assert verdicts == {
        "FMT-TPM-P01": "PASS",
        "FMT-AKEY-P01": "SKIP",
        "FMT-ASN-F01": "SKIP",
        "FMT-APPLE-P01": "SKIP",
        "FMT-COMP-F01": "SKIP",
    }, done.stdout[-2000:]
    junit = next((tmp_path / "r").glob("*/junit.xml")).read_text()
    assert all(f"target does not declare capability fmt:{fmt}" in junit for fmt in FORMATS[1:])
