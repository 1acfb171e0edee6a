"""Target selection for every suite: the same black-box flows against any deployment.

    pytest                                   # local: starts the service (SQLite, and
                                             #   PostgreSQL too when TEST_DATABASE_URL is set)
    pytest --target=render --base-url URL    # or RENDER_URL; secret from WEBHOOK_SECRET
    pytest --target=ngrok                    # NGROK_URL
    pytest --base-url URL                    # any other deployment

Reports land in reports/pytest/ (self-contained HTML, JUnit XML, results.json).
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from suites.support.client import Api
from suites.support.databases import postgres_problem, throwaway_database
from suites.support.server import LocalServer, local_server, warm_up

ROOT = Path(__file__).resolve().parent
REPORTS = ROOT / "reports"
TARGET_URL_ENV = {"ngrok": "NGROK_URL", "render": "RENDER_URL"}
REQUIRE_POSTGRES_ENV = "REQUIRE_POSTGRES"


@dataclass
class Target:
    """Where the suites send their requests."""

    name: str  # local-sqlite, local-postgres, render, ngrok, url
    kind: str  # local, render, ngrok, url
    base_url: str
    webhook_secret: str | None
    api_key: str | None = None
    backend: str = "remote"  # sqlite, postgres, remote
    server: LocalServer | None = None

    @property
    def is_local(self) -> bool:
        return self.server is not None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("target", "where the black-box suites send requests")
    group.addoption(
        "--target",
        choices=("local", "ngrok", "render"),
        default=None,
        help="local (default: start the service), ngrok or render",
    )
    group.addoption("--base-url", default=None, help="base URL of a running deployment")
    group.addoption("--webhook-secret", default=None, help="webhook secret (or WEBHOOK_SECRET)")
    group.addoption("--api-key", default=None, help="X-API-Key for writes (or API_KEY)")
    group.addoption(
        "--reports-dir",
        default=os.environ.get("PYTEST_REPORTS_DIR"),
        help="where report.html, junit.xml, results.json and service logs go "
        "(default reports/pytest, or reports/pytest-<target> for a deployment)",
    )
    group.addoption(
        "--warmup-timeout",
        type=float,
        default=180.0,
        help="seconds to wait for a sleeping deployment to answer /health",
    )


def _target_kind(config: pytest.Config) -> str:
    kind = config.getoption("--target")
    if kind is None:
        return "url" if config.getoption("--base-url") else "local"
    return kind


def pytest_configure(config: pytest.Config) -> None:
    kind = _target_kind(config)
    config.stash[_KIND] = kind
    if kind != "local":
        base_url = config.getoption("--base-url") or os.environ.get(TARGET_URL_ENV.get(kind, ""))
        if not base_url:
            env = TARGET_URL_ENV.get(kind)
            raise pytest.UsageError(
                f"--target={kind} needs --base-url URL" + (f" or {env}" if env else "")
            )
        secret = config.getoption("--webhook-secret") or os.environ.get("WEBHOOK_SECRET")
        if not secret:
            raise pytest.UsageError(
                f"--target={kind} needs the deployment's webhook secret: "
                "--webhook-secret or WEBHOOK_SECRET"
            )
        config.stash[_REMOTE] = (base_url.rstrip("/"), secret)
    backends = ["sqlite"]
    problem = postgres_problem()
    if problem is None:
        backends.append("postgres")
    elif os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
        raise pytest.UsageError(f"{REQUIRE_POSTGRES_ENV}=1 but {problem}")
    config.stash[_BACKENDS] = backends
    config.stash[_PG_PROBLEM] = problem
    _configure_reports(config, kind)


_KIND = pytest.StashKey[str]()
_REMOTE = pytest.StashKey[tuple[str, str]]()
_BACKENDS = pytest.StashKey[list[str]]()
_PG_PROBLEM = pytest.StashKey[str | None]()


def report_dir(config: pytest.Config) -> Path:
    """reports/pytest for the local target, reports/pytest-<kind> for a deployment."""
    if config.getoption("--reports-dir"):
        return Path(config.getoption("--reports-dir"))
    kind = config.stash.get(_KIND, "local")
    return REPORTS / ("pytest" if kind == "local" else f"pytest-{kind}")


def _configure_reports(config: pytest.Config, kind: str) -> None:
    out = report_dir(config)
    out.mkdir(parents=True, exist_ok=True)
    if hasattr(config.option, "htmlpath") and not config.option.htmlpath:
        config.option.htmlpath = str(out / "report.html")
        config.option.self_contained_html = True
    if not getattr(config.option, "xmlpath", None):
        config.option.xmlpath = str(out / "junit.xml")


def backends(config: pytest.Config) -> list[str]:
    """Database backends the local target runs on (sqlite, plus postgres when available)."""
    return config.stash[_BACKENDS]


def postgres_skip_reason(config: pytest.Config) -> str | None:
    return config.stash[_PG_PROBLEM]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" in metafunc.fixturenames:
        kind = metafunc.config.stash[_KIND]
        params = [f"local-{b}" for b in backends(metafunc.config)] if kind == "local" else [kind]
        metafunc.parametrize("target", params, indirect=True, scope="session")
    if "database_backend" in metafunc.fixturenames:
        metafunc.parametrize(
            "database_backend", backends(metafunc.config), indirect=True, scope="session"
        )


@pytest.fixture(scope="session")
def scratch_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("scratch")


@pytest.fixture(scope="session")
def database_backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest, scratch_dir: Path):
    name = request.param
    config = request.config
    api_key = config.getoption("--api-key") or os.environ.get("API_KEY")
    if not name.startswith("local-"):
        base_url, secret = config.stash[_REMOTE]
        try:
            warm_up(base_url, config.getoption("--warmup-timeout"))
        except TimeoutError as exc:
            pytest.exit(str(exc), 3)
        yield Target(name, config.stash[_KIND], base_url, secret, api_key)
        return
    backend = name.removeprefix("local-")
    log_path = report_dir(config) / f"service-{backend}.log"
    log_path.unlink(missing_ok=True)
    with (
        throwaway_database(backend, scratch_dir) as database_url,
        local_server(database_url, log_path) as server,
    ):
        yield Target(name, "local", server.base_url, server.webhook_secret, None, backend, server)


@pytest.fixture
def api(target: Target):
    client = Api(target.base_url, webhook_secret=target.webhook_secret, api_key=target.api_key)
    yield client
    client.close()


@pytest.fixture
def local_run(request: pytest.FixtureRequest) -> None:
    """For tests that start their own service processes with special settings: they run
    in a local run only (a deployment's processes and settings are not ours to change)."""
    kind = request.config.stash[_KIND]
    if kind != "local":
        pytest.skip(
            f"starts its own service processes: runs with --target=local (this run: {kind})"
        )


@pytest.fixture
def postgres_required(request: pytest.FixtureRequest) -> None:
    """For tests that need a throwaway PostgreSQL database of their own."""
    problem = request.config.stash[_PG_PROBLEM]
    if problem:
        pytest.skip(problem)  # with REQUIRE_POSTGRES=1 the run already refused to start


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis of TEST_REDIS_URL; CI (REQUIRE_REDIS=1) fails instead of skipping."""
    url = os.environ.get("TEST_REDIS_URL")
    problem = None if url else "TEST_REDIS_URL is not set (Redis-backed rate limits need a server)"
    if url:
        import redis

        try:
            redis.Redis.from_url(url, socket_connect_timeout=3).ping()
        except redis.RedisError as exc:
            problem = f"Redis at TEST_REDIS_URL is unreachable: {exc.__class__.__name__}"
    if problem:
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"REQUIRE_REDIS=1 but {problem}")
        pytest.skip(problem)
    return url


@pytest.fixture
def local_target(target: Target) -> Target:
    """For tests that inspect or restart the server process itself."""
    if not target.is_local:
        pytest.skip(f"needs --target=local (this run targets {target.name})")
    return target


# --- reports ---------------------------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    target = item.funcargs.get("target") if hasattr(item, "funcargs") else None
    report.target = getattr(target, "name", None)
    if report.when == "call" and report.failed:
        exchanges = []
        for value in getattr(item, "funcargs", {}).values():
            if isinstance(value, Api):
                exchanges.extend(value.exchanges)
        if exchanges:
            text = "\n\n".join(e.render() for e in exchanges[-20:])
            report.sections.append(("HTTP exchanges (last 20)", text))
            _attach_html(item, report, text)


def _attach_html(item: pytest.Item, report: pytest.TestReport, text: str) -> None:
    plugin = item.config.pluginmanager.getplugin("html")
    if plugin is None:
        return
    from pytest_html import extras

    report.extras = [*getattr(report, "extras", []), extras.text(text, name="HTTP exchanges")]


def pytest_metadata(metadata: dict, config: pytest.Config) -> None:
    kind = config.stash.get(_KIND, "local")
    metadata["Target"] = kind
    if kind == "local":
        metadata["Base URL"] = "started per database backend: " + ", ".join(
            config.stash.get(_BACKENDS, ["sqlite"])
        )
    else:
        metadata["Base URL"] = config.stash[_REMOTE][0]


_RESULTS: list[dict] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _RESULTS.append(
            {
                "nodeid": report.nodeid,
                "outcome": report.outcome,
                "when": report.when,
                "duration": round(report.duration, 4),
                "target": getattr(report, "target", None),
                "skip_reason": report.longrepr[2]
                if report.skipped and isinstance(report.longrepr, tuple)
                else None,
            }
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not hasattr(session.config, "workerinput"):
        out = report_dir(session.config) / "results.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        summary: dict[str, int] = {}
        for result in _RESULTS:
            summary[result["outcome"]] = summary.get(result["outcome"], 0) + 1
        out.write_text(
            json.dumps(
                {
                    "target": session.config.stash.get(_KIND, "local"),
                    "base_url": session.config.stash[_REMOTE][0]
                    if _REMOTE in session.config.stash
                    else None,
                    "exit_status": int(exitstatus),
                    "summary": summary,
                    "tests": _RESULTS,
                },
                indent=2,
            )
        )
