"""A seeded fuzz run draws the same examples whatever the process imported before it (hypothesis also draws
literals from loaded first-party modules; the runner keeps them out: fuzz.runner.caller_independent_draws)."""

from __future__ import annotations

import importlib
import sys

from fidoconf.conformance.fuzz.oracle import Unbuildable
from fidoconf.conformance.fuzz.runner import fuzz


class _Recorder:
    """Records what the runner draws and builds nothing, so only the draws are compared."""

    def __init__(self) -> None:
        self.drawn: list[str] = []

    def observe(self, example):
        self.drawn.append(f"{example.variant} {example.alg} " + " + ".join(d.name for d in example.defects))
        raise Unbuildable("recording only")


def _draws() -> list[str]:
    recorder = _Recorder()
    fuzz(recorder, examples_n=60, seed=3)
    return recorder.drawn


def test_draws_do_not_depend_on_loaded_modules(tmp_path, monkeypatch):
    before = _draws()
    # A first-party module full of literals hypothesis would otherwise collect and draw from.
    literals = ", ".join(f'"origin-{i}.example"' for i in range(200)) + ", " + ", ".join(str(7919 * i) for i in range(200))
    (tmp_path / "fidoconf_literals_probe.py").write_text(f"VALUES = [{literals}]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("fidoconf_literals_probe")
    try:
        after = _draws()
    finally:
        sys.modules.pop("fidoconf_literals_probe", None)
    assert len(before) == 60
    assert after == before
