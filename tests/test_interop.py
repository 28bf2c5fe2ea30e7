"""The suite against servers nobody here wrote: py_webauthn and python-fido2 behind the FIDO conformance API.

A conformance suite earns trust by what it says about other people's servers. Each run asserts that every FAIL
the suite raises against an honest third-party RP (tests/interop/) is one of the reviewed findings in
tests/interop/<rp>_expected.json, each a MUST-level case whose requirement that library does not enforce (the
reason written next to it), and that nothing ends in ERROR. A new FAIL here is either a suite bug (a false FAIL:
fix the grading) or a real gap (review it, then add it with its reason). Needs the dev extra (`webauthn`).
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytest.importorskip("webauthn", reason="the interop RP needs py_webauthn (pip install -e '.[dev]')")

HERE = Path(__file__).resolve().parent
FIDOCONF = [sys.executable, "-m", "fidoconf.conformance.cli"]
RPS = ("pywebauthn", "fido2")


def expected(rp: str) -> dict:
    return json.loads((HERE / "interop" / f"{rp}_expected.json").read_text(encoding="utf-8"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def interop_rp(rp: str, workdir: Path, seed: str) -> Iterator[tuple[str, str]]:
    trust = workdir / "trust"
    subprocess.run([*FIDOCONF, "trust", "export", str(trust), "--seed", seed], check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", f"tests.interop.{rp}_rp", "--port", str(port),
         "--trust-root", str(trust / "root.pem")],
        cwd=HERE.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                httpx.post(f"{url}/attestation/options", json={})
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(f"the interop RP did not come up: {server.stdout.read()[-2000:] if server.stdout else ''}")
                time.sleep(0.2)
        yield url, f"http://localhost:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="module", params=RPS)
def interop_run(request, tmp_path_factory) -> tuple[str, dict]:
    rp, seed = request.param, f"interop-{request.param}"
    workdir = tmp_path_factory.mktemp(rp)
    with interop_rp(rp, workdir, seed) as (url, origin):
        config = workdir / "server.json"
        config.write_text(json.dumps({
            "target": url, "profile": "fido-server", "prefix": "", "rp_id": "localhost", "origin": origin,
            "pki_seed": seed, "capabilities": expected(rp)["capabilities"],
        }))
        done = subprocess.run(
            [*FIDOCONF, "run", "-n", "2", "--config", str(config), "--report-dir", str(workdir / "reports")],
            capture_output=True, text=True, timeout=900, cwd=workdir,
        )
    indexes = sorted((workdir / "reports").glob("*/index.json"))
    assert indexes, f"no report:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return rp, json.loads(indexes[-1].read_text())


def _with(index: dict, verdict: str) -> set[str]:
    return {case_id for case_id, entry in index["cases"].items() if entry["verdict"] == verdict}


def test_every_fail_is_a_reviewed_finding(interop_run):
    rp, index = interop_run
    reviewed = set(expected(rp)["fail"])
    failed = _with(index, "FAIL")
    assert sorted(failed - reviewed) == [], f"{rp}: FAILs nobody reviewed (a false FAIL, or a real gap to document)"
    assert sorted(reviewed - failed) == [], f"{rp}: reviewed findings the suite no longer raises"


def test_nothing_ends_in_error(interop_run):
    rp, index = interop_run
    assert (rp, sorted(_with(index, "ERROR"))) == (rp, [])


def test_reviewed_findings_are_must_cases(interop_run):
    rp, index = interop_run
    levels = {case_id: entry.get("level") or entry.get("severity") for case_id, entry in index["cases"].items()}
    assert {case_id: levels.get(case_id) for case_id in expected(rp)["fail"] if levels.get(case_id) != "MUST"} == {}
