"""One run of the harness: a copy of the repository (with one seeded bug, or none for the
baseline) deployed the way the Render blueprint deploys the service, then the smoke script
and the black-box suites against it through `--base-url`, as against any deployment.

The deployment: a throwaway PostgreSQL database, the blueprint's own settings from
`render.yaml` (ENVIRONMENT=production, WEB_CONCURRENCY=2 uvicorn workers, its pool sizes,
RATE_LIMIT, LOG_FORMAT), a fresh webhook secret (Render's `generateValue`: base64 of 32
random bytes) and a fresh API key in API_KEYS. Real concurrency (PostgreSQL and two worker
processes) is what makes the race bugs observable.

Secrets reach the subprocesses through the environment (`Target.env()`), never argv, and
are masked in every saved output.
"""

import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from tooling import capabilities
from tooling.databases import throwaway_database
from tooling.layout import SeededBugRun
from tooling.seeded_bugs.bugs import ROOT, Bug
from tooling.servers import local_server, run_captured
from tooling.target import Target

BASELINE = "baseline"
COPIED = ("service", "migrations", "alembic.ini")  # what a deployment needs to run
# The suites CI runs through --base-url (`suites --ignore=suites/unit`), fast files first so
# that a caught mutant stops early (--maxfail); these slow ones last, in this order.
SLOW_LAST = ("test_concurrency.py", "test_postman.py", "test_schemathesis.py")
BUILD_ONLY = ("PYTHON_VERSION",)  # blueprint settings for Render's build, not the service
SUITE_TIMEOUT_S = 900
SMOKE_TIMEOUT_S = 120


def suite_files(root: Path = ROOT) -> list[str]:
    """Every black-box suite file (suites/unit excluded), slow files last."""
    files = sorted((root / "suites").glob("test_*.py"), key=lambda p: p.name)

    def order(path: Path) -> tuple[int, int]:
        slow = path.name in SLOW_LAST
        return (slow, SLOW_LAST.index(path.name) if slow else 0)

    return [path.relative_to(root).as_posix() for path in sorted(files, key=order)]


@dataclass(frozen=True)
class Deployment:
    """The blueprint's settings for the web service (the ones with a literal `value`)."""

    env: dict[str, str]
    workers: int

    @classmethod
    def from_blueprint(cls, path: Path = ROOT / "render.yaml") -> "Deployment":
        blueprint = yaml.safe_load(path.read_text())
        web = next(s for s in blueprint["services"] if s["type"] == "web")
        env = {
            var["key"]: str(var["value"])
            for var in web["envVars"]
            if "value" in var and var["key"] not in BUILD_ONLY
        }
        return cls(env, int(env.get("WEB_CONCURRENCY", 2)))

    def describe(self) -> dict[str, Any]:
        """What score.json records (no secrets: those are generated per run)."""
        return {
            "database": "postgres (a throwaway database per run)",
            "workers": self.workers,
            "settings": dict(sorted(self.env.items())),
            "generated_per_run": ["WEBHOOK_SECRET", "API_KEYS (one key)"],
        }


@dataclass
class RunResult:
    """The suites and the smoke script against one deployment."""

    name: str
    status: str  # "passed": no test failed; "caught": some test failed; "error": run broke
    failed: list[str] = field(default_factory=list)  # failing test nodeids, in run order
    summary: dict[str, int] = field(default_factory=dict)
    suite_duration_s: float = 0.0
    smoke_failed: bool = False
    smoke_failure: str | None = None  # the smoke script's FAIL line
    duration_s: float = 0.0  # copy, database, start-up, smoke and suites
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed" and not self.smoke_failed


def make_copy(dest: Path, source: Path = ROOT) -> Path:
    """The parts of the repository a deployment runs, copied to `dest`."""
    dest.mkdir(parents=True)
    for name in COPIED:
        path = source / name
        if path.is_dir():
            shutil.copytree(path, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, dest / name)
    return dest


def fresh_redis(name: str) -> str:
    """A Redis database of its own for one run (the blueprint's Key Value), emptied first:
    limit counters of an earlier run from the same address must not count against this one.
    Runs at the same time (--jobs) get different databases (1-15, by name)."""
    import redis

    parts = urlsplit(capabilities.redis_url())
    url = urlunsplit(parts._replace(path=f"/{1 + zlib.crc32(name.encode()) % 15}"))
    redis.Redis.from_url(url).flushdb()
    return url


def generated_secrets() -> tuple[str, str]:
    """(webhook secret like Render's generateValue, an API key)."""
    return base64.b64encode(secrets.token_bytes(32)).decode(), secrets.token_urlsafe(32)


def suite_command(base_url: str, run: SeededBugRun, files: list[str], maxfail: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        *files,
        "--base-url",
        base_url,
        f"--reports-dir={run.root}",  # one token: pytest would read a separate one as a path
        "--warmup-timeout",
        "60",
        f"--maxfail={maxfail}",
        "-p",
        "no:cacheprovider",
        "-q",
    ]


def interpret(results: dict | None, returncode: int) -> tuple[str, list[str], str | None]:
    """(status, failing nodeids, error) from the suites' results.json and exit code."""
    if results is None:
        return "error", [], f"pytest wrote no results.json (exit code {returncode})"
    failed = [t["nodeid"] for t in results["tests"] if t["outcome"] == "failed"]
    exit_status = results.get("exit_status", returncode)
    if exit_status not in (0, 1):
        return "error", failed, f"pytest exit status {exit_status} (not a test outcome)"
    if exit_status == 1 and not failed:
        return "error", failed, "pytest exit status 1 but no failing test recorded"
    if not failed and not results.get("summary", {}).get("passed"):
        return "error", failed, "no test passed"
    return ("caught" if failed else "passed"), failed, None


def _smoke(target: Target, run: SeededBugRun) -> tuple[bool, str | None]:
    result = subprocess.run(
        [sys.executable, "suites/smoke.py"],
        cwd=ROOT,
        env={**os.environ, **target.env()},
        capture_output=True,
        text=True,
        timeout=SMOKE_TIMEOUT_S,
    )
    output = target.mask(result.stdout + result.stderr)
    run.smoke_output.write_text(output)
    failure = next((line for line in output.splitlines() if line.startswith("FAIL")), None)
    return result.returncode != 0, failure


def _suites(
    target: Target, run: SeededBugRun, files: list[str], maxfail: int
) -> tuple[int, float, dict | None]:
    command = suite_command(target.base_url or "", run, files, maxfail)
    started = time.monotonic()
    result = run_captured(command, env={**os.environ, **target.env()}, timeout=SUITE_TIMEOUT_S)
    duration = time.monotonic() - started
    run.pytest_output.write_text(target.mask(result.stdout + result.stderr))
    results = json.loads(run.results.read_text()) if run.results.is_file() else None
    return result.returncode, duration, results


def run_one(
    name: str,
    bug: Bug | None,
    deployment: Deployment,
    run: SeededBugRun,
    *,
    files: list[str] | None = None,
    maxfail: int = 1,
) -> RunResult:
    """Deploy a copy with `bug` (None: the baseline), run the smoke script, then the suites."""
    started = time.monotonic()
    shutil.rmtree(run.root, ignore_errors=True)
    run.root.mkdir(parents=True)
    files = files or suite_files()
    webhook_secret, api_key = generated_secrets()
    target = Target(
        "url", "url", webhook_secret=webhook_secret, api_key=api_key, backend="postgres"
    )
    result = RunResult(name, "error")
    try:
        with tempfile.TemporaryDirectory(prefix=f"seeded-{name}-") as tmp:
            copy = make_copy(Path(tmp) / "repo")
            if bug is not None:
                bug.apply(copy)
            metrics_dir = Path(tmp) / "prometheus"
            metrics_dir.mkdir()
            env = deployment.env | {
                "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
                "API_KEYS": api_key,
                # Render's Key Value: limits shared by the workers, counted afresh per run
                "REDIS_URL": fresh_redis(name),
                # no edge in front here: the client address is the socket peer (with the
                # blueprint's True-Client-IP, a client could choose its own)
                "CLIENT_IP_HEADER": "",
            }
            with (
                throwaway_database("postgres", Path(tmp) / "scratch") as database_url,
                local_server(
                    database_url,
                    run.service_log,
                    workers=deployment.workers,
                    extra_env=env,
                    webhook_secret=webhook_secret,
                    root=copy,
                ) as server,
            ):
                target = replace(target, base_url=server.base_url)
                result.smoke_failed, result.smoke_failure = _smoke(target, run)
                returncode, result.suite_duration_s, results = _suites(target, run, files, maxfail)
        result.status, result.failed, result.error = interpret(results, returncode)
        result.summary = (results or {}).get("summary", {})
    except subprocess.CalledProcessError as exc:  # the migrations failed
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
        result.error = target.mask(f"migrations failed: {stderr.strip()[-2000:]}")
    except subprocess.TimeoutExpired as exc:
        result.error = f"timed out after {exc.timeout} s: {' '.join(map(str, exc.cmd[:4]))} ..."
    except Exception as exc:  # the service did not start, the database is gone, ...
        # One broken run is reported as an error; the other bugs still run.
        result.error = target.mask(f"{type(exc).__name__}: {str(exc)[-2000:]}")
    result.duration_s = time.monotonic() - started
    return result
