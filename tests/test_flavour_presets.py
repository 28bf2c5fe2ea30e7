"""Every documented flavour x policy preset of the reference RP passes its own suite with 0 FAIL.

A suite that FAILs a conformant server cannot gate a release: the reference under `fido-conformance` or
`permissive` does what the specification allows, so every FAIL there is the suite's error (a severity too high,
or a case not gated by what the server declared). The policy-sensitive areas run in CI for every pair; the whole
suite for every pair is the slow test.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .test_suite_selftest import TARGET_ONLY, run_suite, verdicts

FLAVOURS = ("nevis-cloud", "fido-server", "skfs")
PRESETS = ("strict", "fido-conformance", "permissive")
#: Where the presets differ (README, "Policy presets"): SHA-1 and root-in-x5c (CHAIN, ALG), the test TPM vendor,
#: u2f AAGUIDs (U2F), crossOrigin / topOrigin / tokenBinding / duplicate keys (CDATA), non-minimal CBOR (CBOR),
#: untrusted attestation (PACKED, CHAIN).
POLICY_SENSITIVE = "CDATA or U2F or CHAIN or CBOR-FRAME"

#: MUST cases that still FAIL a conformant preset until the severity audit of issue 12 lands (engineer D1: they
#: have no normative RP requirement, or the preset's behaviour is allowed). Empty this map when it merges; the
#: test then demands 0 FAIL everywhere.
#: Emptied by the severity audit (CDATA-FIDO-F08 and CDATA-CD-F22 are STRICT; U2F-STMT-F07 needs a server that does
#: not declare u2f:nonzero-aaguid): every flavour x preset has 0 FAIL.
AWAITING_SEVERITY_AUDIT: dict[str, frozenset[str]] = {}


def _run_pair(tmp_path: Path, flavour: str, preset: str, *selection: str) -> tuple[int, dict, str]:
    config = tmp_path / "preset.json"
    config.write_text(json.dumps({"rp": {"policy": preset}}))
    return run_suite(tmp_path / "r", "--profile", flavour, "--config", str(config), *selection)


def _unexplained_failures(index: dict, preset: str) -> list[str]:
    failed = {case_id for case_id, verdict in verdicts(index).items() if verdict == "FAIL"}
    return sorted(failed - AWAITING_SEVERITY_AUDIT.get(preset, frozenset()))


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_policy_sensitive_cases_pass_every_flavour_and_preset(flavour, preset, tmp_path):
    # One process: a worker pool costs more than these ~90 cases take.
    _, index, stdout = _run_pair(tmp_path, flavour, preset, "-k", POLICY_SENSITIVE, "-n", "0")
    assert len(index["cases"]) >= 80
    assert _unexplained_failures(index, preset) == [], stdout[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_whole_suite_passes_every_flavour_and_preset(flavour, preset, tmp_path):
    _, index, stdout = _run_pair(tmp_path, flavour, preset, *TARGET_ONLY)
    assert _unexplained_failures(index, preset) == [], stdout[-3000:]


if os.environ.get("FIDOCONF_SKIP_SELFTEST"):
    pytestmark = pytest.mark.skip(reason="FIDOCONF_SKIP_SELFTEST is set")
