"""The fidoconf pytest plugin (entry point `pytest11`).

Inert unless conformance cases are collected: it then builds the target (in-process reference RP or a live
URL), checks it is reachable once, attaches every HTTP exchange to the case's report, turns outcomes into
verdicts (PASS / FAIL / WARN / SKIP / INFO) and writes reports/<target>-<timestamp>/ (index.json, per-case
JSON; junit.xml and report.html through pytest's own writers).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from . import config as suite_config
from .cases import Case
from .reasons import ReasonMapError, reason_map_for
from .report import EXCHANGES_SECTION, ReportWriter, verdict_for
from .seeds import new_seed

_CONFIG_KEY = pytest.StashKey[suite_config.SuiteConfig]()
_WRITER_KEY = pytest.StashKey[ReportWriter]()


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


@pytest.hookimpl(tryfirst=True)  # before junitxml and pytest-html read their output paths
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
        from .controls import CONTROL_UNDECLARED

        if control in CONTROL_UNDECLARED:
            policy = loaded.extra.get("rp", {}).get("policy", "strict")
            declared = suite_config.reference_capabilities(loaded.profile, policy=policy)
            loaded = replace(loaded, capabilities=declared - CONTROL_UNDECLARED[control])
    try:
        reason_map_for(loaded.reasons, reference={})
    except ReasonMapError as exc:
        raise pytest.UsageError(f"fidoconf: {exc}") from None
    loaded = replace(loaded, seed=_run_seed(config, loaded))
    config.stash[_CONFIG_KEY] = loaded
    report_dir = config.getoption("--fidoconf-report-dir")
    if report_dir and not hasattr(config, "workerinput"):
        writer = ReportWriter.create(report_dir, loaded)
        config.stash[_WRITER_KEY] = writer
        # The writer hears every report on the controller (also under xdist) and writes at session end.
        config.pluginmanager.register(writer, "fidoconf-report-writer")
        # junit.xml and report.html come from pytest's own writers, pointed at the run's directory.
        if not config.option.xmlpath:
            config.option.xmlpath = str(writer.directory / "junit.xml")
        if hasattr(config.option, "htmlpath") and not config.option.htmlpath:
            config.option.htmlpath = str(writer.directory / "report.html")
            config.option.self_contained_html = True


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
    loaded = config.stash.get(_CONFIG_KEY, None)
    if loaded is None:
        return None
    return [f"fidoconf: target={loaded.target} profile={loaded.profile} strict={loaded.strict} seed={loaded.seed}"]


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    loaded = config.stash[_CONFIG_KEY]
    for item in items:
        found = _case(item)
        if found is None:
            continue
        missing = [cap for cap in found.requires if not loaded.has(cap)]
        if missing:
            item.add_marker(pytest.mark.skip(reason=_capability_reason(missing)))


def _capability_reason(missing: list[str]) -> str:
    lacking = [cap for cap in missing if not cap.startswith("!")]
    present = [cap[1:] for cap in missing if cap.startswith("!")]
    parts = [f"target does not declare capability {', '.join(lacking)}"] if lacking else []
    parts += [f"target declares {', '.join(present)}, for which this case does not hold"] if present else []
    return "; ".join(parts)


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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    found = _case(item)
    if found is None or report.when not in ("call", "setup") or (report.when == "setup" and report.passed):
        return
    strict = item.config.stash[_CONFIG_KEY].strict
    verdict = verdict_for(found, report, strict=strict)
    if verdict == "WARN":
        # SHOULD-level finding without --strict: reported as an expected failure, so the run's exit code stays
        # green while the finding is visible in every report.
        report.outcome = "skipped"
        report.wasxfail = f"WARN (SHOULD): {found.id}"
    exchanges = _take_exchanges(item)
    report.user_properties.append(("fidoconf_case", json.dumps(found.to_json())))
    report.user_properties.append(("fidoconf_verdict", verdict))
    report.user_properties.append(("fidoconf_scope", case_scope(item)))
    # Exchanges travel as a report section: it reaches the HTML report's row details and, under xdist, the
    # controller's report writer, without swelling junit.xml's properties.
    report.sections.append((EXCHANGES_SECTION, json.dumps(exchanges, indent=1)))


def pytest_html_results_table_header(cells: list[str]) -> None:
    cells.insert(1, '<th class="sortable" data-column-type="id">ID</th>')
    cells.insert(2, "<th>Requirement</th>")
    cells.insert(3, '<th class="sortable">Verdict</th>')


def pytest_html_results_table_row(report: pytest.TestReport, cells: list[str]) -> None:
    from html import escape

    props = dict(report.user_properties)
    found = json.loads(props.get("fidoconf_case", "{}"))
    cells.insert(1, f"<td>{escape(found.get('id', ''))}</td>")
    cells.insert(2, f"<td>{escape(found.get('requirement', ''))}</td>")
    cells.insert(3, f"<td>{escape(props.get('fidoconf_verdict', ''))}</td>")
