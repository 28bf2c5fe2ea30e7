"""The fidoconf pytest plugin (entry point `pytest11`).

Inert unless conformance cases are collected: it then builds the target (in-process reference RP or a live
URL), checks it is reachable once, attaches every HTTP exchange to the case's report, turns outcomes into
verdicts (PASS / FAIL / WARN / SKIP / INFO / ERROR) and writes reports/<target>-<timestamp>/ (index.json,
cases/<ID>.json, junit.xml, report.html: all rendered from the same case results, see report.py).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from . import config as suite_config
from .case_result import case_result, failure_text, junit_properties
from .cases import Case
from .report import RESULT_PROPERTY, ReportWriter

_CONFIG_KEY = pytest.StashKey[suite_config.SuiteConfig]()
_WRITER_KEY = pytest.StashKey[ReportWriter]()
_RECORD_KEY = pytest.StashKey[dict]()


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
    group.addoption("--fidoconf-id", action="append", default=[], help="run only this case ID (repeatable)")
    group.addoption("--fidoconf-control", default=None, help="in-process: a deliberately broken reference RP variant")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fidoconf(case): a fidoconf conformance case with its stable ID")
    try:
        loaded = suite_config.load(
            file=config.getoption("--fidoconf-config"),
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
        from .controls import CONTROLS

        if control not in CONTROLS or not loaded.inprocess:
            raise pytest.UsageError(f"fidoconf: --fidoconf-control takes one of {sorted(CONTROLS)}, in-process only")
        loaded = replace(loaded, extra={**loaded.extra, "control": control})
    if config.getoption("--fidoconf-config"):  # named in each case's reproduction command
        loaded = replace(loaded, extra={**loaded.extra, "config_file": config.getoption("--fidoconf-config")})
    config.stash[_CONFIG_KEY] = loaded
    report_dir = config.getoption("--fidoconf-report-dir")
    if report_dir and not hasattr(config, "workerinput"):
        writer = ReportWriter.create(report_dir, loaded)
        config.stash[_WRITER_KEY] = writer
        # The writer hears every report on the controller (also under xdist) and writes at session end.
        config.pluginmanager.register(writer, "fidoconf-report-writer")


def _case(item: pytest.Item) -> Case | None:
    marker = item.get_closest_marker("fidoconf")
    return marker.args[0] if marker and marker.args else None


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    loaded = config.stash.get(_CONFIG_KEY, None)
    if loaded is None:
        return None
    return [f"fidoconf: target={loaded.target} profile={loaded.profile} strict={loaded.strict}"]


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    loaded = config.stash[_CONFIG_KEY]
    wanted = set(config.getoption("--fidoconf-id"))
    if wanted:  # exact IDs (a -k expression would also match IDs that merely contain the text)
        kept = [item for item in items if (found := _case(item)) is not None and found.id in wanted]
        dropped = set(items) - set(kept)
        config.hook.pytest_deselected(items=[item for item in items if item in dropped])
        items[:] = kept
    for item in items:
        found = _case(item)
        if found is None:
            continue
        missing = [cap for cap in found.requires if not loaded.has(cap)]
        if missing:
            item.add_marker(pytest.mark.skip(reason=f"target does not declare capability {', '.join(missing)}"))


@pytest.fixture(scope="session")
def fidoconf_config(request: pytest.FixtureRequest) -> suite_config.SuiteConfig:
    return request.config.stash[_CONFIG_KEY]


@pytest.fixture(scope="session")
def fidoconf_env(fidoconf_config: suite_config.SuiteConfig):
    """The target, its profile and the virtual authenticator: built once per session."""
    from .environment import Environment, TargetUnreachable

    try:
        env = Environment.create(fidoconf_config)
    except TargetUnreachable as exc:
        pytest.exit(f"fidoconf: target unreachable: {exc}", returncode=2)
    yield env
    env.close()


@pytest.fixture
def fidoconf(fidoconf_env):
    """Per-case view of the environment; the exchanges it makes are attached to the case's report."""
    fidoconf_env.target.take_exchanges()
    return fidoconf_env


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
    loaded = item.config.stash[_CONFIG_KEY]
    result = case_result(
        case=found.to_json(),
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
