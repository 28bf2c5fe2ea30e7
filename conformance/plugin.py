"""The fidoconf pytest plugin (entry point `pytest11`).

Inert in every pytest run that does not ask for it: no header line, no config read (a stray FIDOCONF_PROFILE in
another project's environment changes nothing). It is activated by any `--fidoconf-*` option, by
FIDOCONF_TARGET / FIDOCONF_CONFIG in the environment, or by `fidoconf_target` / `fidoconf_config` in the ini file
(pytest-base-url's pattern: option, then environment, then ini); activated by a target or config and given no test paths,
it collects the conformance suite itself (`pytest --fidoconf-target URL --fidoconf-config FILE`). Once active it
checks the target once (reachable, credentials accepted), attaches every HTTP exchange to the case's report,
turns outcomes into verdicts (PASS / FAIL / WARN / SKIP / INFO / ERROR) and, with --fidoconf-report-dir, writes
<dir>/<target>-<timestamp>/ (index.json, cases/<ID>.json, junit.xml, report.html: all rendered from the same case
results, see report.py).
Conformance cases collected without activation (`pytest path/to/suites`) load the config when they first need it.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from . import config as suite_config
from .case_result import case_result, failure_text, junit_properties
from .cases import Case, unmet
from .reasons import ReasonMapError, reason_map_for
from .report import RESULT_PROPERTY, ReportWriter
from .seeds import new_seed

_CONFIG_KEY = pytest.StashKey[suite_config.SuiteConfig]()
_WRITER_KEY = pytest.StashKey[ReportWriter]()
_ACTIVE_KEY = pytest.StashKey[bool]()
_RECORD_KEY = pytest.StashKey[dict]()

#: Options that name a target or its config: with no test paths given, these collect the suite itself.
_TARGET_OPTIONS = ("--fidoconf-target", "--fidoconf-config", "--fidoconf-profile")
_TARGET_ENV = ("FIDOCONF_TARGET", "FIDOCONF_CONFIG")
_TARGET_INI = ("fidoconf_target", "fidoconf_config")


def suites_dir() -> Path:
    """The installed conformance suite (code, next to this plugin)."""
    from . import suites

    return Path(suites.__file__).resolve().parent


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fidoconf", "fidoconf conformance suite")
    group.addoption("--fidoconf-target", default=None, help="'inprocess' (default) or the base URL of a live server")
    group.addoption("--fidoconf-profile", default=None, help="API flavour: nevis-cloud | fido-server | skfs")
    group.addoption("--fidoconf-config", default=None, help="JSON/TOML file: rp_id, origin, secrets, capabilities")
    # pytest owns `--strict`; `fidoconf run --strict` maps to this.
    group.addoption(
        "--fidoconf-strict", action="store_true", default=False, help="SHOULD-level findings fail (WARN → FAIL)"
    )
    group.addoption("--fidoconf-report-dir", default=None, help="write reports under this directory")
    group.addoption(
        "--fidoconf-seed", default=None, help="run seed for user names, credential ids and keys (default: fresh)"
    )
    group.addoption("--fidoconf-control", default=None, help="in-process: a deliberately broken reference RP variant")
    group.addoption(
        "--fidoconf-id", action="append", default=[], metavar="ID", help="only the case with this stable ID (repeatable)"
    )
    # Like pytest-base-url's `base_url`: a project may name its target in its ini file; options and FIDOCONF_*
    # variables win over it.
    parser.addini("fidoconf_target", "fidoconf: 'inprocess' or the base URL of the server under test", default="")
    parser.addini("fidoconf_config", "fidoconf: config file (JSON/TOML), relative to the ini file", default="")


def _targets_something(config: pytest.Config) -> bool:
    return (
        any(config.getoption(name) for name in _TARGET_OPTIONS)
        or any(os.environ.get(name) for name in _TARGET_ENV)
        or any(config.getini(name) for name in _TARGET_INI)
    )


def _ini_config_file(config: pytest.Config) -> str | None:
    """`fidoconf_config` from the ini file, relative to that file (as pytest resolves its own ini paths)."""
    value = config.getini("fidoconf_config")
    if not value:
        return None
    base = config.inipath.parent if config.inipath else config.rootpath
    return str(base / value)


def _activated(config: pytest.Config) -> bool:
    options = ("--fidoconf-report-dir", "--fidoconf-control", "--fidoconf-id", "--fidoconf-strict")
    return _targets_something(config) or any(config.getoption(name) for name in options)


def _load(config: pytest.Config) -> suite_config.SuiteConfig:
    try:
        loaded = suite_config.load(
            file=config.getoption("--fidoconf-config") or os.environ.get("FIDOCONF_CONFIG") or _ini_config_file(config),
            defaults={"target": config.getini("fidoconf_target") or None},
            overrides={
                "target": config.getoption("--fidoconf-target"),
                "profile": config.getoption("--fidoconf-profile"),
                "strict": True if config.getoption("--fidoconf-strict") else None,
            },
        )
    except suite_config.ConfigError as exc:
        raise pytest.UsageError(f"fidoconf: {exc}") from None
    control = config.getoption("--fidoconf-control")
    if control:
        from .controls import CONTROL_UNDECLARED, CONTROLS

        if control not in CONTROLS or not loaded.inprocess:
            raise pytest.UsageError(f"fidoconf: --fidoconf-control takes one of {sorted(CONTROLS)}, in-process only")
        loaded = replace(loaded, extra={**loaded.extra, "control": control})
        if control in CONTROL_UNDECLARED:
            policy = loaded.extra.get("rp", {}).get("policy", "strict")
            declared = suite_config.reference_capabilities(loaded.profile, policy=policy)
            loaded = replace(loaded, capabilities=declared - CONTROL_UNDECLARED[control])
    try:
        reason_map_for(loaded.reasons, reference={})
    except ReasonMapError as exc:
        raise pytest.UsageError(f"fidoconf: {exc}") from None
    loaded = replace(loaded, seed=_run_seed(config, loaded))
    if config.getoption("--fidoconf-config"):  # named in each case's reproduction command
        loaded = replace(loaded, extra={**loaded.extra, "config_file": config.getoption("--fidoconf-config")})
    return loaded


def _config(config: pytest.Config) -> suite_config.SuiteConfig:
    """The suite config, loaded on first use when cases were collected without activating the plugin."""
    if _CONFIG_KEY not in config.stash:
        config.stash[_CONFIG_KEY] = _load(config)
    return config.stash[_CONFIG_KEY]


@pytest.hookimpl(tryfirst=True)  # before xdist and junitxml read their options
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fidoconf(case): a fidoconf conformance case with its stable ID")
    config.stash[_ACTIVE_KEY] = _activated(config)
    if not config.stash[_ACTIVE_KEY]:
        return
    loaded = config.stash[_CONFIG_KEY] = _load(config)
    if _targets_something(config) and config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args = [str(suites_dir())]
    report_dir = config.getoption("--fidoconf-report-dir")
    if report_dir and not hasattr(config, "workerinput"):
        writer = ReportWriter.create(report_dir, loaded)
        config.stash[_WRITER_KEY] = writer
        # The writer hears every report on the controller (also under xdist) and writes at session end.
        config.pluginmanager.register(writer, "fidoconf-report-writer")


def report_directory(config: pytest.Config) -> Path | None:
    """This run's report directory (None without --fidoconf-report-dir, and on xdist workers)."""
    writer = config.stash.get(_WRITER_KEY, None)
    return writer.directory if writer is not None else None


@pytest.hookimpl(tryfirst=True)  # before xdist starts workers: an unreachable target is one line, not N crashes
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    loaded = config.stash.get(_CONFIG_KEY, None)
    if loaded is None or loaded.inprocess or hasattr(config, "workerinput"):
        return
    from .environment import PreflightFailed, check_live_target

    try:
        check_live_target(loaded)
    except PreflightFailed as exc:
        pytest.exit(f"fidoconf: {exc}", returncode=2)


def _run_seed(config: pytest.Config, loaded: suite_config.SuiteConfig) -> str:
    """--fidoconf-seed, else the config's, else a fresh one; an xdist worker takes its controller's."""
    given = config.getoption("--fidoconf-seed") or loaded.seed
    if given:
        return given
    workerinput = getattr(config, "workerinput", None)
    if workerinput and workerinput.get("fidoconf_seed"):
        return workerinput["fidoconf_seed"]
    return new_seed()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist, on the controller: every worker derives from the controller's seed."""
    loaded = node.config.stash.get(_CONFIG_KEY, None)
    if loaded is not None:
        node.workerinput["fidoconf_seed"] = loaded.seed


def _case(item: pytest.Item) -> Case | None:
    marker = item.get_closest_marker("fidoconf")
    return marker.args[0] if marker and marker.args else None


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    if not config.stash.get(_ACTIVE_KEY, False):
        return None
    loaded = config.stash[_CONFIG_KEY]
    return [f"fidoconf: target={loaded.target} profile={loaded.profile} strict={loaded.strict} seed={loaded.seed}"]


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = set(config.getoption("--fidoconf-id"))
    if wanted:
        # By the case mark, not the node ID: hand-written tests are named for what they do, not their case ID.
        chosen = [item for item in items if (found := _case(item)) is not None and found.id in wanted]
        config.hook.pytest_deselected(items=[item for item in items if item not in chosen])
        items[:] = chosen
    if not any(_case(item) is not None for item in items):
        return
    loaded = _config(config)
    for item in items:
        found = _case(item)
        if found is None:
            continue
        reason = unmet(found, declares=loaded.has, profile=loaded.profile)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def fidoconf_config(request: pytest.FixtureRequest) -> suite_config.SuiteConfig:
    return _config(request.config)


@pytest.fixture(scope="session")
def fidoconf_env(fidoconf_config: suite_config.SuiteConfig):
    """The target, its profile and the virtual authenticator: built once per session."""
    from .environment import Environment, PreflightFailed

    try:
        env = Environment.create(fidoconf_config)
    except PreflightFailed as exc:
        pytest.exit(f"fidoconf: {exc}", returncode=2)
    yield env
    env.close()


@pytest.fixture
def fidoconf(fidoconf_env, request: pytest.FixtureRequest):
    """Per-case view of the environment; the exchanges it makes are attached to the case's report."""
    fidoconf_env.target.take_exchanges()
    found = _case(request.node)
    fidoconf_env.seeds.begin(found.id if found else request.node.nodeid)
    return fidoconf_env


def case_scope(item: pytest.Item) -> str:
    """'target' when the case talks to the target (it takes the `fidoconf` fixture); 'reference' for the reference
    verifier's self-checks on recorded and generated vectors, which say nothing about the target."""
    return "target" if "fidoconf" in getattr(item, "fixturenames", ()) else "reference"


def _take_exchanges(item: pytest.Item) -> list[dict[str, Any]]:
    env = getattr(item, "funcargs", {}).get("fidoconf")
    if env is None:
        return []
    return [e.to_json() for e in env.target.take_exchanges()]


@pytest.fixture
def fidoconf_record(request: pytest.FixtureRequest):
    """`record(name, value)`: what a case saw for its report (expected, actual, defect). Values stay on the
    worker; a callable value is evaluated only when the case's report details it (not PASS)."""
    store = request.node.stash.setdefault(_RECORD_KEY, {})

    def record(name: str, value: Any) -> None:
        store[name] = value

    return record


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    found = _case(item)
    if found is None or report.when == "teardown" or (report.when == "setup" and report.passed):
        return
    loaded = _config(item.config)
    result = case_result(
        case={**found.to_json(), "scope": case_scope(item)},
        report=report,
        excinfo=call.excinfo,
        recorded=item.stash.get(_RECORD_KEY, {}),
        user_properties=item.user_properties,
        exchanges=_take_exchanges(item),
        config=loaded,
    )
    verdict = result["verdict"]
    if verdict == "WARN":
        # A SHOULD/STRICT finding without --strict: the run stays green and no report calls it "skipped".
        report.outcome, report.longrepr = "passed", None
    elif verdict == "FAIL":
        report.longrepr = failure_text(result)  # the finding, not the suite's traceback
    # Public properties on the item reach pytest's own --junitxml (it reads them from the teardown report).
    item.user_properties.extend(junit_properties(result))
    report.user_properties.append((RESULT_PROPERTY, json.dumps(result, ensure_ascii=False)))
