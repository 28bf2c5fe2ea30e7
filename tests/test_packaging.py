"""The distribution ships what an installed suite needs: every code package, and the schemas and vectors it reads
at run time. (.ci/wheel_check.py goes further: it installs the wheel outside the checkout and runs the suite.)"""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile

import pytest

from .conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _code_packages() -> set[str]:
    found = set()
    for top in ("verifier", "conformance"):
        for init in (ROOT / top).rglob("__init__.py"):
            if "__pycache__" in init.parts:
                continue
            found.add(".".join(("fidoconf", *init.parent.relative_to(ROOT).parts)))
    return found


def test_every_code_folder_is_a_listed_package():
    listed = {
        name
        for name in PYPROJECT["tool"]["setuptools"]["packages"]
        if not name.startswith(("fidoconf.schemas", "fidoconf.vectors"))
    }
    assert listed == _code_packages()


def test_runtime_dependencies_hold_no_dev_tools():
    names = {
        dep.split(">")[0].split("=")[0].split("[")[0].strip().lower() for dep in PYPROJECT["project"]["dependencies"]
    }
    assert not names & {"ruff", "webauthn", "zxing-cpp", "python-multipart"}
    assert "hypothesis" in names  # `fidoconf fuzz` imports it at run time


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("fidoconf-*.whl")
    return zipfile.ZipFile(built)


def test_wheel_carries_schemas_and_vectors(wheel):
    names = set(wheel.namelist())
    tracked = subprocess.run(
        ["git", "ls-files", "schemas", "vectors"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    data = [name for name in tracked if not name.endswith(".py")]
    assert len(data) > 500
    assert [name for name in data if f"fidoconf/{name}" not in names] == []
    assert "fidoconf/schemas/errors.json" in names
    assert "fidoconf/vectors/ledger.json" in names


def test_wheel_holds_only_the_fidoconf_namespace(wheel):
    tops = {name.split("/", 1)[0] for name in wheel.namelist()}
    assert {top for top in tops if not top.endswith(".dist-info")} == {"fidoconf"}
