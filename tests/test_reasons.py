"""Refusal reasons: a negative case passes only when the server refused for the planted defect (with a reason map),
or records that it could not tell (without one)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fidoconf.conformance.profiles import Submission
from fidoconf.conformance.profiles.fido_server import FidoServerProfile
from fidoconf.conformance.profiles.nevis_cloud import NevisCloudProfile
from fidoconf.conformance.profiles.skfs import SkfsProfile
from fidoconf.conformance.reasons import ReasonMap, ReasonMapError, check_reason, reason_map_for

from .conftest import ROOT

USER_MAP = {
    r"(?i)challenge": "client_data.challenge.mismatch",
    r"(?i)certificate path": "trust.chain.*",
    r"(?i)signature": "att_stmt.sig.invalid",
}


def _refusal(message: str, code: str | None = None) -> Submission:
    return Submission(False, code, message, 200, None)


def test_a_refusal_naming_the_planted_defect_is_verified():
    check = check_reason(expected_code="att_stmt.sig.invalid", submission=_refusal("Invalid signature"),
                         reasons=ReasonMap.from_mapping(USER_MAP))
    assert check.verified is True
    assert check.record().startswith("refused for the expected reason")


def test_a_refusal_for_another_reason_is_wrong():
    check = check_reason(expected_code="att_stmt.sig.invalid",
                         submission=_refusal("Unexpected error while validating certificate path"),
                         reasons=ReasonMap.from_mapping(USER_MAP))
    assert (check.verified, check.said) == (False, ("trust.chain.*",))
    assert "wrong reason" in check.record() and "certificate path" in check.record()


def test_a_prefix_entry_covers_every_code_under_it():
    reasons = ReasonMap.from_mapping(USER_MAP)
    assert check_reason(expected_code="trust.chain.untrusted", submission=_refusal("bad certificate path"),
                        reasons=reasons).verified is True
    assert check_reason(expected_code="trust.chain.expired", submission=_refusal("challenge"),
                        reasons=reasons).verified is False


def test_without_a_map_or_an_entry_for_the_code_the_reason_is_not_verified():
    for reasons in (None, ReasonMap.from_mapping(USER_MAP)):
        check = check_reason(expected_code="cbor.attestation_object.trailing_bytes",
                             submission=_refusal("Bad request", code="E42"), reasons=reasons)
        assert check.verified is None
        assert check.record() == "refused; reason not verified (server said: 'E42 Bad request')"


@pytest.mark.parametrize(
    ("profile", "submission"),
    [
        (NevisCloudProfile, _refusal("signature does not verify", code="att_stmt.sig.invalid")),
        (FidoServerProfile, _refusal("signature does not verify", code="att_stmt.sig.invalid")),
        (SkfsProfile, _refusal("FIDO-ERR-0001: Caught an exception [fidoconf:att_stmt.sig.invalid]", code=None)),
    ],
)
def test_each_reference_flavour_has_a_built_in_map(profile, submission):
    reasons = reason_map_for("reference", reference=profile.reference_reasons)
    assert check_reason(expected_code="att_stmt.sig.invalid", submission=submission, reasons=reasons).verified
    assert check_reason(expected_code="client_data.challenge.mismatch", submission=submission,
                        reasons=reasons).verified is False


@pytest.mark.parametrize("value", [{"(": "x.y.z"}, {"ok": ""}, ["a"], 3])
def test_a_bad_map_is_refused(value):
    with pytest.raises(ReasonMapError):
        reason_map_for(value, reference=None)


def _control_run(tmp_path: Path, config: dict) -> tuple[dict[str, str], dict]:
    tmp_path.mkdir(parents=True)
    path = tmp_path / "server.json"
    path.write_text(json.dumps(config))
    report = tmp_path / "r"
    subprocess.run(
        [sys.executable, "-m", "fidoconf.conformance.cli", "run", "-n", "0", "--report-dir", str(report),
         "--config", str(path), "--control", "misreports-signature-failures", "-k", "SIG-SIG-F01 or CDATA-CD-F03"],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )  # fmt: skip
    index = json.loads(next(report.glob("*/index.json")).read_text())
    details = {p.stem: json.loads(p.read_text()) for p in report.glob("*/cases/*.json")}
    return {k: v["verdict"] for k, v in index["cases"].items()}, details


def test_the_wrong_reason_is_failed_with_a_map_and_recorded_without(tmp_path):
    """One server that says 'challenge mismatch' for a bad signature: the reference map FAILs the signature case;
    an empty map cannot tell, so the case PASSes and its report says so with the server's words."""
    verdicts, details = _control_run(tmp_path / "map", {})
    assert verdicts == {"SIG-SIG-F01": "FAIL", "CDATA-CD-F03": "PASS"}
    assert details["SIG-SIG-F01"]["reason"].startswith("refused for the wrong reason")
    verdicts, details = _control_run(tmp_path / "none", {"reasons": {}})
    assert verdicts == {"SIG-SIG-F01": "PASS", "CDATA-CD-F03": "PASS"}
    assert details["SIG-SIG-F01"]["reason"] == (
        "refused; reason not verified (server said: 'client_data.challenge.mismatch challenge mismatch')"
    )
