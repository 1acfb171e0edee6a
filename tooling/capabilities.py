"""What this machine can run: PostgreSQL, Redis, a Chromium for the browser steps, Newman
(Postman's own runner, the independent check of the collection) and Caddy (a real HTTP
edge in front of the service).

Each `*_problem()` returns None when the capability is there, else a one-line reason. A
plain `pytest` on a laptop with only Python skips what it cannot run, with that reason;
CI sets `REQUIRE_POSTGRES=1` / `REQUIRE_REDIS=1` / `REQUIRE_CHROMIUM=1` / `REQUIRE_NEWMAN=1` /
`REQUIRE_CADDY=1` so that a missing one fails the run instead of skipping it.
"""

import os
import subprocess
from functools import cache
from pathlib import Path

from tooling.databases import postgres_problem

REDIS_URL_ENV = "TEST_REDIS_URL"
NEWMAN_BIN_ENV = "NEWMAN_BIN"
REQUIRE_ENV = {
    "postgres": "REQUIRE_POSTGRES",
    "redis": "REQUIRE_REDIS",
    "chromium": "REQUIRE_CHROMIUM",
    "newman": "REQUIRE_NEWMAN",
    "caddy": "REQUIRE_CADDY",
}


def redis_url() -> str | None:
    return os.environ.get(REDIS_URL_ENV) or None


def redis_problem() -> str | None:
    url = redis_url()
    if not url:
        return f"{REDIS_URL_ENV} is not set (Redis-backed rate limits need a server)"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis at {REDIS_URL_ENV} is unreachable: {exc.__class__.__name__}"
    return None


def chromium_problem() -> str | None:
    from tooling.browser import BrowserMissing, find_chromium

    try:
        find_chromium()
    except BrowserMissing as exc:
        return str(exc)
    return None


def newman_bin() -> str | None:
    return os.environ.get(NEWMAN_BIN_ENV) or None


def newman_problem() -> str | None:
    path = newman_bin()
    if not path:
        return (
            f"Newman not available: {NEWMAN_BIN_ENV} is not set (.ci/install-newman.sh installs it)"
        )
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        return f"Newman not available: {NEWMAN_BIN_ENV}={path} is not an executable file"
    try:
        subprocess.run([path, "--version"], capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"Newman not available: {NEWMAN_BIN_ENV}={path} does not run ({exc})"
    return None


def caddy_problem() -> str | None:
    from tooling.edge import caddy_problem as problem

    return problem()


_CHECKS = {
    "postgres": postgres_problem,
    "redis": redis_problem,
    "chromium": chromium_problem,
    "newman": newman_problem,
    "caddy": caddy_problem,
}


@cache
def problem(capability: str) -> str | None:
    """Why `capability` is not available here (cached: each is probed once per process)."""
    return _CHECKS[capability]()


def required(capability: str) -> bool:
    return os.environ.get(REQUIRE_ENV[capability]) == "1"


def skip_unless_available(capability: str) -> None:
    """In a test: skip with the one-line reason, or fail when CI requires the capability."""
    import pytest

    reason = problem(capability)
    if reason:
        if required(capability):
            pytest.fail(f"{REQUIRE_ENV[capability]}=1 but {reason}", pytrace=False)
        pytest.skip(reason)
