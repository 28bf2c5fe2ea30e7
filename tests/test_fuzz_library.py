"""Library differential mode: the fuzz examples against py_webauthn and python-fido2 through bench.py's adapters.
Fixed seed, no hypothesis database: the same examples every run, so the asserted classes are deterministic."""

from __future__ import annotations

import pytest
from fidoconf.conformance.fuzz.findings import load_finding, save
from fidoconf.conformance.fuzz.library import LibraryOracle, adapter
from fidoconf.conformance.fuzz.runner import fuzz, reproduce


@pytest.mark.parametrize("library", ["py_webauthn", "python-fido2"])
def test_library_has_five_wrong_accept_classes_that_replay(library, tmp_path):
    if library == "py_webauthn":
        pytest.importorskip("webauthn")
    oracle = LibraryOracle(adapter(library))
    run = fuzz(oracle, examples_n=300, seed=1)
    wrong_accepts = sorted(code for kind, code in run.findings if kind == "wrong-accept")
    assert len(wrong_accepts) >= 5, wrong_accepts
    paths = save(run.findings, out_dir=tmp_path, origin="http://localhost:8000", root_pem=oracle.root_pem(),
                 stats=run.stats())
    path = next(p for p in paths if p.name.startswith("wrong-accept."))
    _, example, key = load_finding(path)
    assert reproduce(oracle, example, key=key, attempts=2) is not None


def test_unknown_library_is_a_usage_error():
    with pytest.raises(ValueError):
        adapter("no-such-library")
