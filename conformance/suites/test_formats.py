"""Every attestation format against the target (conformance/format_cases.py): tpm, android-key, android-safetynet,
apple and compound, each valid base and its single defects, gated by the target's `fmt:*` capabilities."""

from __future__ import annotations

import pytest
from fidoconf.conformance.cases import params
from fidoconf.conformance.format_cases import live_cases, run_format_case


@pytest.mark.parametrize("case", params(live_cases()))
def test_format(fidoconf, case, record_property):
    run_format_case(fidoconf, case, record_property)
