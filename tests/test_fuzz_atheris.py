"""The atheris smoke: a few seconds of coverage-guided fuzzing of the verifier's parse boundary, and the
harness's own property check on a known-good and a garbage input."""

from __future__ import annotations

import importlib.util
import json

import pytest
from fidoconf.conformance.cli import main
from fidoconf.conformance.data import vectors_dir
from fidoconf.conformance.fuzz.atheris_harness import check, pack
from fidoconf.verifier.encoding import b64url_decode


def _generated_input() -> bytes:
    path = sorted((vectors_dir() / "generated").rglob("*.json"))[0]
    response = json.loads(path.read_text())["credential"]["response"]
    return pack(b64url_decode(response["clientDataJSON"], field="c"),
                b64url_decode(response["attestationObject"], field="a"))


def test_harness_property_holds_on_vector_and_garbage():
    assert check(_generated_input()) is None
    assert check(b"\x00\x05{}{}{\xff\xff\xff") is None
    assert check(b"") is None


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris not installed (extra: fuzz)")
def test_atheris_smoke(tmp_path, capsys):
    code = main(["fuzz", "--engine", "atheris", "--time", "3", "--seed", "7", "--report-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert "crash(es) saved as vectors" in out
    assert code == 0, out
    (run_dir,) = tmp_path.glob("fuzz-atheris-*")
    assert len(list((run_dir / "corpus").iterdir())) >= 100
