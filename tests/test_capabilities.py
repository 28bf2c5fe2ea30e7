"""Capability gating: a case runs only where the target declared what it needs; otherwise it is SKIPPED with the
reason. Aliases keep old configs working; the reference RP's own declaration follows its policy preset."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fidoconf.conformance.cases import all_recipe_files, load_recipes
from fidoconf.conformance.config import (
    REFERENCE_CAPABILITIES,
    SuiteConfig,
    documented,
    expand_capabilities,
    load,
    reference_capabilities,
)
from fidoconf.conformance.recipes import ed25519_spelling

from .conftest import ROOT

INTENT_AND_AUTHENTICATOR_ROUTES = {
    "NEVIS-AUTH-F03", "NEVIS-AUTH-F06", "NEVIS-AUTH-F07", "NEVIS-AUTH-F10", "NEVIS-AUTH-F13", "NEVIS-AUTH-F14",
}  # fmt: skip


def test_management_alias_expands_to_what_servers_have_separately():
    assert expand_capabilities(["nevis:management"]) == {
        "nevis:management", "nevis:users", "nevis:authenticators", "nevis:authenticator-limit",
    }  # fmt: skip
    old = SuiteConfig(capabilities=frozenset({"nevis:management"}))
    assert old.has("nevis:authenticators") and old.has("nevis:users") and old.has("nevis:authenticator-limit")
    users_only = SuiteConfig(capabilities=frozenset({"nevis:users"}))
    assert users_only.has("nevis:users") and not users_only.has("nevis:authenticators")


def test_config_file_alias_is_expanded(tmp_path):
    path = tmp_path / "server.json"
    path.write_text(json.dumps({"capabilities": ["nevis:management"]}))
    assert "nevis:authenticator-limit" in load(file=str(path), environ={}).capabilities


def test_negated_capability_holds_only_when_not_declared():
    assert SuiteConfig(capabilities=frozenset()).has("!cross-origin-iframe")
    assert not SuiteConfig(capabilities=frozenset({"cross-origin-iframe"})).has("!cross-origin-iframe")


def test_reference_declares_cross_origin_iframes_only_under_a_preset_that_accepts_them():
    assert "cross-origin-iframe" not in reference_capabilities("nevis-cloud", policy="strict")
    assert "cross-origin-iframe" not in reference_capabilities("fido-server", policy="fido-conformance")
    assert "cross-origin-iframe" in reference_capabilities("skfs", policy="permissive")
    assert SuiteConfig(extra={"rp": {"policy": "permissive"}}).has("cross-origin-iframe")


@pytest.mark.parametrize(
    ("alg", "offered", "spelled"),
    [
        ("Ed25519", {-7, -8}, "EdDSA-Ed25519"),  # EdDSA only as -8: the Ed25519 case runs under -8
        ("Ed25519", {-7, -8, -19}, "Ed25519"),  # -19 offered: the case keeps its own identifier
        ("Ed25519", {-7}, "Ed25519"),  # no EdDSA at all: the base is refused and the case SKIPs as before
        ("ES256", {-7, -8}, "ES256"),
    ],
)
def test_ed25519_cases_use_eddsa_where_only_minus_8_is_offered(alg, offered, spelled):
    assert ed25519_spelling(alg, offered) == spelled


def _run(tmp_path: Path, capabilities: list[str], keyword: str) -> dict[str, str]:
    config = tmp_path / "server.json"
    config.write_text(json.dumps({"capabilities": capabilities}))
    done = subprocess.run(
        [sys.executable, "-m", "fidoconf.conformance.cli", "run", "-n", "0", "--report-dir", str(tmp_path / "r"),
         "--config", str(config), "-k", keyword],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )  # fmt: skip
    index = json.loads(next((tmp_path / "r").glob("*/index.json")).read_text())
    assert done.returncode == 0, done.stdout[-2000:]
    return {case_id: entry["verdict"] for case_id, entry in index["cases"].items()}


def test_undeclared_routes_and_uv_are_skipped_not_failed(tmp_path):
    """A Nevis server with enroll and introspect only: the Bearer cases of intent, user and authenticator routes,
    and the UV case, SKIP; enroll's and introspect's still run."""
    verdicts = _run(tmp_path, ["trusts-suite-ca", "fmt:none", "fmt:packed"], "NEVIS-AUTH or AUTHDATA-AD-F05")
    skipped = {case_id for case_id, verdict in verdicts.items() if verdict == "SKIP"}
    assert skipped >= INTENT_AND_AUTHENTICATOR_ROUTES
    assert {"NEVIS-AUTH-F04", "NEVIS-AUTH-F05", "NEVIS-AUTH-F11", "NEVIS-AUTH-F12", "AUTHDATA-AD-F05"} <= skipped
    assert {verdicts[i] for i in ("NEVIS-AUTH-F01", "NEVIS-AUTH-F02", "NEVIS-AUTH-F08", "NEVIS-AUTH-F09")} == {"PASS"}
    detail = json.loads(next((tmp_path / "r").glob("*/cases/NEVIS-AUTH-F13.json")).read_text())
    assert "nevis:authenticators" in detail["skip_reason"]  # the SKIP says which capability is missing


def _required_by_suites() -> set[str]:
    """Every capability a case requires: recipes, and the @case marks of the hand-written suites."""
    import ast

    found = {cap for path in all_recipe_files() for recipe in load_recipes(path.stem) for cap in recipe.requires}
    for path in (ROOT / "conformance" / "suites").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "requires" and isinstance(node.value, ast.Tuple):
                found |= {elt.value for elt in node.value.elts if isinstance(elt, ast.Constant)}
    return found


def test_every_capability_a_case_needs_or_the_reference_declares_is_documented():
    required = _required_by_suites()
    assert {"nevis:users", "nevis:authenticators", "user-verification", "!cross-origin-iframe"} <= required
    declared = set().union(*REFERENCE_CAPABILITIES.values())
    assert sorted(cap for cap in required | declared if not documented(cap)) == []
