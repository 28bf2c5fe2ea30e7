"""The fuzz loop: hypothesis draws examples, the oracle runs each as a fresh ceremony, findings are kept per
(kind, reference code), then each kept finding's defect set is minimised and saved.

Hypothesis is used for generation and its example database only: a finding does not stop the run (we want every
distinct finding of a run, not the first), so the minimisation is ours: drop one defect at a time while the same
(kind, code) finding still reproduces on a fresh ceremony (defect sets are at most a handful, so this is cheap).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.database import DirectoryBasedExampleDatabase

from .oracle import FAILING_KINDS, Observation, Oracle, Unbuildable
from .strategies import Example, examples


class _OutOfTime(Exception):
    pass


@dataclass
class Run:
    findings: dict[tuple[str, str], Observation] = field(default_factory=dict)
    #: The example count at which each finding was first seen (how much budget finding it took).
    first_seen: dict[tuple[str, str], int] = field(default_factory=dict)
    examples: int = 0
    unbuildable: int = 0
    elapsed_s: float = 0.0

    @property
    def rate(self) -> float:
        return self.examples / self.elapsed_s if self.elapsed_s else 0.0

    @property
    def failing(self) -> bool:
        return any(kind in FAILING_KINDS for kind, _ in self.findings)

    def stats(self) -> dict[str, Any]:
        return {"examples": self.examples, "unbuildable": self.unbuildable, "elapsed_s": round(self.elapsed_s, 2),
                "examples_per_s": round(self.rate, 2), "findings": len(self.findings),
                "first_seen": {f"{kind} {code}": n for (kind, code), n in sorted(self.first_seen.items())}}


def keep(run: Run, observation: Observation) -> None:
    """The smallest observation per (kind, code): fewer defects first."""
    key = observation.key
    if key is None:
        return
    run.first_seen.setdefault(key, run.examples)
    held = run.findings.get(key)
    if held is None or len(observation.example.defects) < len(held.example.defects):
        run.findings[key] = observation


@contextlib.contextmanager
def caller_independent_draws():
    """Hypothesis (6.131+) also draws literals it collects from every first-party module loaded so far, and caches
    them at first use, so one seed drew different examples depending on what the process had imported before (a
    suite worker, the CLI): a seeded run must not depend on that. Inside, that pool is empty and its cache fresh.
    Both are internals of hypothesis.internal.conjecture.providers; where they are absent there is nothing to do."""
    from hypothesis.internal.conjecture import providers

    names = ("_get_local_constants", "CONSTANTS_CACHE", "_local_constants")
    if not all(hasattr(providers, name) for name in names):
        yield
        return
    saved = {name: getattr(providers, name) for name in names}
    empty = type(saved["_local_constants"])(
        integers=type(saved["_local_constants"].integers)(), floats=type(saved["_local_constants"].floats)(key=
        saved["_local_constants"].floats.key), bytes=type(saved["_local_constants"].bytes)(),
        strings=type(saved["_local_constants"].strings)(),
    )  # fmt: skip
    providers._get_local_constants = lambda: empty
    providers.CONSTANTS_CACHE = type(saved["CONSTANTS_CACHE"])(1024)
    try:
        yield
    finally:
        providers._get_local_constants = saved["_get_local_constants"]
        providers.CONSTANTS_CACHE = saved["CONSTANTS_CACHE"]


def fuzz(
    oracle: Oracle,
    *,
    examples_n: int | None = None,
    time_s: float | None = None,
    seed: int = 0,
    database_dir: Path | None = None,
    progress: Callable[[Run], None] | None = None,
    max_defects: int = 3,
) -> Run:
    run = Run()
    started = time.perf_counter()
    deadline = started + time_s if time_s else None

    @hypothesis_seed(seed)
    @settings(
        max_examples=examples_n or 10**9,
        deadline=None,
        database=DirectoryBasedExampleDatabase(str(database_dir)) if database_dir else None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        derandomize=False,
        print_blob=False,
    )
    @given(examples(max_defects=max_defects))
    def one(example: Example) -> None:
        if deadline is not None and time.perf_counter() > deadline:
            raise _OutOfTime
        try:
            observation = oracle.observe(example)
        except Unbuildable:
            run.unbuildable += 1
            return
        run.examples += 1
        keep(run, observation)
        run.elapsed_s = time.perf_counter() - started
        if progress is not None:
            progress(run)

    with contextlib.suppress(_OutOfTime), caller_independent_draws():
        one()
    run.elapsed_s = time.perf_counter() - started
    for key, observation in list(run.findings.items()):
        run.findings[key] = minimise(oracle, observation)
    return run


def minimise(oracle: Oracle, observation: Observation, *, attempts: int = 2) -> Observation:
    """Drop defects one at a time while the same finding reproduces (`attempts` fresh ceremonies each, since a
    robustness finding such as a timeout may be intermittent)."""
    key, best = observation.key, observation
    changed = True
    while changed and best.example.defects:
        changed = False
        for index in range(len(best.example.defects)):
            smaller = best.example.without(index)
            found = reproduce(oracle, smaller, key=key, attempts=attempts)
            if found is not None:
                best, changed = found, True
                break
    return best


def reproduce(oracle: Oracle, example: Example, *, key, attempts: int = 1) -> Observation | None:
    for _ in range(attempts):
        try:
            observation = oracle.observe(example)
        except Unbuildable:
            return None
        if observation.key == key:
            return observation
    return None


def progress_line(stream=sys.stderr) -> Callable[[Run], None]:
    last = [0.0]

    def show(run: Run) -> None:
        now = time.perf_counter()
        if now - last[0] < 1.0:
            return
        last[0] = now
        kinds = ", ".join(f"{k}:{c}" for k, c in sorted(run.findings)) or "none"
        stream.write(f"\r{run.examples} examples, {run.rate:.1f}/s, {len(run.findings)} findings ({kinds[:80]})   ")
        stream.flush()

    return show
