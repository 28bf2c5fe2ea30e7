"""`fidoconf` as a user meets it: version, help, list, selection by case ID, one-line setup errors with exit 2,
the summary from this run's own directory, -x/--maxfail, option values starting with '-', and `serve` handing
out a config that `run` accepts. Every command runs as a subprocess from a directory outside the checkout."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fidoconf.conformance.cli import build_parser, join_dash_values
from fidoconf.conformance.cli_list import collect_cases
from fidoconf.verifier import __version__

FIDOCONF = [sys.executable, "-m", "fidoconf.conformance.cli"]
ENV = {k: v for k, v in os.environ.items() if not k.startswith("FIDOCONF_")}


def fidoconf(*args: str, cwd: Path, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*FIDOCONF, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env={**ENV, **(env or {})}
    )


def test_version(tmp_path):
    done = fidoconf("--version", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, f"fidoconf {__version__}\n")


@pytest.mark.parametrize("command", [[], ["run"], ["list"], ["verify"], ["serve"]])
def test_help_has_an_example_and_the_exit_codes(tmp_path, command):
    done = fidoconf(*command, "--help", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.startswith("usage: fidoconf")
    assert "example" in done.stdout
    assert "exit codes:" in done.stdout


def test_list_shows_every_case(tmp_path):
    done = fidoconf("list", cwd=tmp_path)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["ALG-SELF-I01", "INFO", "ALG"]
    assert len(lines) == len(collect_cases()) > 800
    records = [json.loads(line) for line in fidoconf("list", "--json", cwd=tmp_path).stdout.splitlines()]
    by_id = {r["id"]: r for r in records}
    assert len(by_id) == len(lines)
    # a hand-written case (its node ID does not name it) and a recipe needing a capability
    assert by_id["NEVIS-STATUS-P03"]["level"] == "MUST" and by_id["NEVIS-STATUS-P03"]["area"] == "NEVIS"
    assert by_id["ALG-SELF-P01"]["requires"] == ["alg:optional"]
    assert set(records[0]) >= {"id", "level", "area", "profile", "requirement", "requires"}
    # the profile a case speaks, in both forms; null / "any" for a case that runs against every profile
    assert (by_id["NEVIS-STATUS-P03"]["profile"], by_id["ALG-SELF-P01"]["profile"]) == (["nevis-cloud"], None)
    assert by_id["OPT-CHAL-P04"]["profile"] == ["nevis-cloud", "skfs"]
    text = {line.split()[0]: line.split()[3] for line in lines}
    assert (text["NEVIS-STATUS-P03"], text["SKFS-ENV-P01"], text["ALG-SELF-P01"]) == ("nevis-cloud", "skfs", "any")
    assert text["OPT-CHAL-P04"] == "nevis-cloud,skfs"
    assert {tuple(r["profile"] or ()) for r in records} == {
        (), ("nevis-cloud",), ("fido-server",), ("skfs",), ("nevis-cloud", "skfs")}


def test_run_selects_hand_written_cases_by_id_and_reports_its_own_run(tmp_path):
    reports = tmp_path / "reports"
    # An older run's index with a newer mtime: the summary must not come from it.
    decoy = reports / "zzz-decoy" / "index.json"
    decoy.parent.mkdir(parents=True)
    decoy.write_text(json.dumps({"summary": {"by_area": {"DECOY": {}}, "totals": {}}}))
    os.utime(decoy, (time.time() + 3600, time.time() + 3600))
    done = fidoconf("run", "--id", "NEVIS-STATUS-P03", "--id", "PACKED-STMT-F01", "-n", "0",
                    "--report-dir", str(reports), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:]
    (index,) = [p for p in reports.glob("*/index.json") if p != decoy]
    assert sorted(json.loads(index.read_text())["cases"]) == ["NEVIS-STATUS-P03", "PACKED-STMT-F01"]
    assert "DECOY" not in done.stdout
    assert done.stdout.splitlines()[-1] == f"report: {index.parent / 'report.html'}"
    assert (index.parent / "report.html").exists()


def test_unknown_id_is_an_error_naming_the_nearest(tmp_path):
    done = fidoconf("run", "--id", "NEVIS-STATUS-P3", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "fidoconf run: no case has the ID 'NEVIS-STATUS-P3' (did you mean NEVIS-STATUS-P03?)\n"


def test_selection_matching_nothing_exits_2(tmp_path):
    done = fidoconf("run", "-k", "no_case_is_called_this", "-n", "0", "--report-dir", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith("fidoconf run: the selection (--id/-k) matches no case")


@pytest.mark.parametrize("workers", ["0", "2"])
def test_unreachable_target_is_one_line_and_exit_2(tmp_path, workers):
    done = fidoconf("run", "--target", "http://127.0.0.1:9", "-n", workers, "--report-dir", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith("fidoconf run: target unreachable: http://127.0.0.1:9")


def test_unknown_config_key_is_one_line_and_exit_2(tmp_path):
    config = tmp_path / "server.json"
    config.write_text(json.dumps({"target": "inprocess", "capabilites": []}))
    done = fidoconf("run", "--config", str(config), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "fidoconf run: unknown config key 'capabilites' (did you mean 'capabilities'?)\n"


def test_exitfirst_and_maxfail_pass_through(tmp_path):
    ids = ["--id", "CDATA-CD-F08", "--id", "CDATA-CD-F09", "--id", "CDATA-CD-F10"]
    done = fidoconf("run", "--control", "no-origin-check", *ids, "-x", "-n", "0", "--report-dir", str(tmp_path),
                    cwd=tmp_path)  # fmt: skip
    assert done.returncode == 1
    (index,) = tmp_path.glob("*/index.json")
    assert len(json.loads(index.read_text())["cases"]) == 1
    args = build_parser().parse_args(["run", "--maxfail", "2"])
    from fidoconf.conformance.cli_run import pytest_args

    assert "--maxfail=2" in pytest_args(args)


def test_option_values_starting_with_a_dash():
    parser = build_parser()
    argv = join_dash_values(parser, ["serve", "--access-key", "-2tj", "--port", "0", "--rp-id", "-rp"])
    assert argv == ["serve", "--access-key=-2tj", "--port", "0", "--rp-id=-rp"]
    args = parser.parse_args(argv)
    assert (args.access_key, args.rp_id) == ("-2tj", "-rp")
    # a flag after an option that takes a value is still a flag
    assert join_dash_values(parser, ["run", "--target", "-v"]) == ["run", "--target", "-v"]


@pytest.fixture
def served(tmp_path):
    """`fidoconf serve --port 0` with an access key that starts with '-', trusting an exported test PKI."""
    key = "-" + secrets.token_urlsafe(16)
    assert fidoconf("trust", "export", str(tmp_path / "trust"), cwd=tmp_path).returncode == 0
    server = subprocess.Popen(
        [*FIDOCONF, "serve", "--port", "0", "--data-dir", str(tmp_path / "data"), "--access-key", key,
         "--trust-dir", str(tmp_path / "trust")],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV,
    )  # fmt: skip
    try:
        lines = []
        while not lines or not lines[-1].startswith("run the suite:"):
            line = server.stdout.readline()
            assert line, "".join(lines)
            lines.append(line.rstrip("\n"))
        yield key, lines
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_serve_prints_a_config_that_run_accepts(served, tmp_path):
    key, lines = served
    assert lines[0].startswith("fidoconf reference RP (nevis-cloud) listening on http://127.0.0.1:")
    assert f'  access_key = "{key}"' in lines
    config = tmp_path / "data" / "fidoconf-run.toml"
    assert lines[-1] == f"run the suite: fidoconf run --config {config}"
    url = lines[0].rsplit(" ", 1)[1].rstrip("/")
    assert httpx.get(f"{url}/ping", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    done = fidoconf("run", "--config", str(config), "--id", "NEVIS-STATUS-P03", "-n", "0",
                    "--report-dir", str(tmp_path / "r"), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


@pytest.mark.parametrize("workers", ["0", "2"])
def test_refused_access_key_is_found_by_the_preflight(served, tmp_path, workers):
    config = tmp_path / "data" / "fidoconf-run.toml"
    done = fidoconf("run", "--config", str(config), "-n", workers, "--report-dir", str(tmp_path / "r"),
                    env={"FIDOCONF_ACCESS_KEY": "wrong"}, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("fidoconf run: http://127.0.0.1:")
    assert "refused the configured access key (access_key / FIDOCONF_ACCESS_KEY): GET /ping answered 403" in line


def test_unknown_skfs_setting_is_one_line_and_exit_2(tmp_path):
    config = tmp_path / "skfs.json"
    config.write_text(json.dumps({"target": "http://127.0.0.1:9", "profile": "skfs",
                                  "skfs": {"authtype": "PASSWORD", "svcusername": "u", "svcpasword": "p"}}))  # fmt: skip
    done = fidoconf("run", "--config", str(config), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "fidoconf run: unknown [skfs] setting 'svcpasword' (did you mean 'svcpassword'?)\n"
