"""Target selection for every suite: the same black-box flows against any deployment.

    pytest                                   # local: starts the service (SQLite, and
                                             #   PostgreSQL too when TEST_DATABASE_URL is set)
    pytest --target=render                   # RENDER_URL (or --base-url), WEBHOOK_SECRET
    pytest --target=ngrok                    # NGROK_URL
    pytest --base-url URL                    # any other deployment
    pytest tests                             # the tests of the tooling itself

The options and their resolution live in `tooling.target` (shared with the evidence builder
and the Locust runner); the reports go where `tooling.layout` says (`reports/<kind>/pytest/`).

Markers: `local_only` (the test starts its own service processes: skipped, with the reason,
against a deployment) and `requires("postgres" | "redis" | "chromium" | "newman" | "caddy")`
(skipped with a one-line reason where the machine lacks it; a failure instead when CI sets
REQUIRE_*=1).
"""

import json
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from suites.support import recording
from suites.support.client import Api
from tooling import capabilities
from tooling.layout import Reports, TargetReports
from tooling.servers import throwaway_service, warm_up
from tooling.target import Target, TargetError, add_options, resolve, trust_ca

BACKENDS = ("sqlite", "postgres")

_TARGET = pytest.StashKey[Target]()
_REPORTS = pytest.StashKey[TargetReports]()
_RECORDER = pytest.StashKey[recording.Recorder]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("target", "where the black-box suites send requests")
    add_options(group.addoption)
    group.addoption(
        "--reports-dir",
        default=None,
        help="root of the reports tree (default reports/, or $REPORTS_DIR); this run "
        "writes below <root>/<kind>/",
    )


@pytest.hookimpl(tryfirst=True)  # before pytest-metadata asks for the target
def pytest_configure(config: pytest.Config) -> None:
    try:
        target = resolve(
            config.getoption("--target"),
            config.getoption("--base-url"),
            config.getoption("--webhook-secret"),
            config.getoption("--api-key"),
            warmup_timeout=config.getoption("--warmup-timeout"),
            ca_bundle=config.getoption("--ca-bundle"),
        )
    except TargetError as exc:
        raise pytest.UsageError(str(exc)) from None
    trust_ca(target)  # every client of the run, and its subprocesses, trust the same CA
    if target.is_local and capabilities.required("postgres"):
        problem = capabilities.problem("postgres")
        if problem:
            raise pytest.UsageError(f"REQUIRE_POSTGRES=1 but {problem}")
    root = config.getoption("--reports-dir")
    if root:
        reports = Reports(Path(root).resolve())
    elif _only_tooling_tests(config):  # `pytest tests` must not replace the suites' results
        reports = Reports(Reports.default().root / "tooling")
    else:
        reports = Reports.default()
    reports = reports.target(target.kind)
    config.stash[_TARGET] = target
    config.stash[_REPORTS] = reports
    config.stash[_RECORDER] = recording.Recorder().install()  # for the API coverage matrix
    reports.pytest.mkdir(parents=True, exist_ok=True)
    if hasattr(config.option, "htmlpath") and not config.option.htmlpath:
        config.option.htmlpath = str(reports.pytest / "report.html")
        config.option.self_contained_html = True
    if not getattr(config.option, "xmlpath", None):
        config.option.xmlpath = str(reports.pytest / "junit.xml")


def _only_tooling_tests(config: pytest.Config) -> bool:
    tests = Path(config.rootpath) / "tests"
    paths = [Path(arg.split("::")[0]).resolve() for arg in config.args]
    return bool(paths) and all(p == tests or tests in p.parents for p in paths)


def selected_target(config: pytest.Config) -> Target:
    return config.stash[_TARGET]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    target = selected_target(metafunc.config)
    if "target" in metafunc.fixturenames:
        params = [f"local-{b}" for b in BACKENDS] if target.is_local else [target.name]
        metafunc.parametrize("target", params, indirect=True, scope="session")
    if "database_backend" in metafunc.fixturenames:
        metafunc.parametrize("database_backend", BACKENDS, indirect=True, scope="session")


@pytest.hookimpl(tryfirst=True)  # before the fixtures are set up
def pytest_runtest_setup(item: pytest.Item) -> None:
    target = selected_target(item.config)
    if item.get_closest_marker("local_only") and not target.is_local:
        pytest.skip(
            f"starts its own service processes: runs with --target=local (this run: {target.name})"
        )
    needed = {c for marker in item.iter_markers("requires") for c in marker.args}
    params = getattr(getattr(item, "callspec", None), "params", {})
    if params.get("target") == "local-postgres" or params.get("database_backend") == "postgres":
        needed.add("postgres")
    if "redis_url" in getattr(item, "fixturenames", ()):
        needed.add("redis")
    for capability in sorted(needed):  # here, not in fixtures: one summary line per reason
        capabilities.skip_unless_available(capability)


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def reports(pytestconfig: pytest.Config) -> TargetReports:
    """Where this run's artifacts go (reports/<kind>/...)."""
    return pytestconfig.stash[_REPORTS]


@pytest.fixture(scope="session")
def scratch_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("scratch")


@pytest.fixture(scope="session")
def database_backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest, scratch_dir: Path, reports: TargetReports):
    selected = selected_target(request.config)
    if not selected.is_local:
        try:
            warm_up(selected.base_url, selected.warmup_timeout)
        except TimeoutError as exc:
            pytest.exit(str(exc), 3)
        yield selected
        return
    backend = request.param.removeprefix("local-")
    log_path = reports.service_log(backend)
    log_path.unlink(missing_ok=True)
    with throwaway_service(backend, scratch_dir, log_path) as server:
        yield selected.started(server, backend)


@pytest.fixture
def api(target: Target):
    client = Api(target.base_url, webhook_secret=target.webhook_secret, api_key=target.api_key)
    yield client
    client.close()


@pytest.fixture
def spawn_service(scratch_dir: Path, reports: TargetReports):
    """For `local_only` tests that need the service with settings of their own:
    `with spawn_service("rate-limit", extra_env={"RATE_LIMIT": "5/minute"}) as server:`
    starts it on a fresh database (`backend="postgres"` for PostgreSQL), logging to
    reports/local/pytest/service-<name>.log."""

    def spawn(name: str, backend: str = "sqlite", **options) -> AbstractContextManager:
        log = reports.service_log(name)
        log.unlink(missing_ok=True)  # the server appends: a stale log would answer for this one
        return throwaway_service(backend, scratch_dir, log, **options)

    return spawn


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis of TEST_REDIS_URL (a test asking for it is skipped, with the reason, when
    there is none; CI sets REQUIRE_REDIS=1)."""
    return capabilities.redis_url()


# --- reports -----------------------------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    funcargs = getattr(item, "funcargs", {})
    # from the parameter: a test skipped before its fixtures ran still belongs to a target
    params = getattr(getattr(item, "callspec", None), "params", {})
    report.target = params.get("target") or getattr(funcargs.get("target"), "name", None)
    if report.when == "call" and report.failed:
        exchanges = [
            e for value in funcargs.values() if isinstance(value, Api) for e in value.exchanges
        ]
        if exchanges:
            text = "\n\n".join(e.render() for e in exchanges[-20:])
            report.sections.append(("HTTP exchanges (last 20)", text))
            if item.config.pluginmanager.getplugin("html"):
                from pytest_html import extras

                report.extras = [
                    *getattr(report, "extras", []),
                    extras.text(text, name="HTTP exchanges"),
                ]


def pytest_metadata(metadata: dict, config: pytest.Config) -> None:
    target = selected_target(config)
    metadata["Target"] = target.kind
    metadata["Base URL"] = (
        "started per database backend: " + ", ".join(BACKENDS)
        if target.is_local
        else target.base_url
    )


_RESULTS: list[dict] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        reason = None
        if report.skipped and isinstance(report.longrepr, tuple):
            reason = report.longrepr[2].removeprefix("Skipped: ")
        _RESULTS.append(
            {
                "nodeid": report.nodeid,
                "outcome": report.outcome,
                "when": report.when,
                "duration": round(report.duration, 4),
                "target": getattr(report, "target", None),
                "skip_reason": reason,
            }
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if hasattr(config, "workerinput") or _TARGET not in config.stash:
        return
    target = selected_target(config)
    summary: dict[str, int] = {}
    for result in _RESULTS:
        summary[result["outcome"]] = summary.get(result["outcome"], 0) + 1
    pytest_dir = config.stash[_REPORTS].pytest
    exchanges = recording.finish(config.stash[_RECORDER], target, pytest_dir)
    out = pytest_dir / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "target": target.kind,
                "base_url": target.base_url,
                "exit_status": int(exitstatus),
                "summary": summary,
                # the build a deployment says it runs (its /health)
                "service": None if target.is_local else recording.service_build(target.base_url),
                "exchanges": exchanges,
                "tests": _RESULTS,
            },
            indent=2,
        )
    )
