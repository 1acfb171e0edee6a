"""Start the real service as a uvicorn subprocess on a free port (the `local` target), and
wait for a deployment to wake up."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import requests

from service.webhooks import generate_secret
from tooling.databases import throwaway_database

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LocalServer:
    base_url: str
    database_url: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    log_path: Path
    process: subprocess.Popen = field(repr=False)
    env: dict[str, str] = field(repr=False, default_factory=dict)
    api_key: str | None = field(default=None, repr=False)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def migrate(database_url: str, env: dict[str, str] | None = None, *, root: Path = ROOT) -> None:
    """Apply the migrations the documented way (`python -m service.migrate`), with the
    service and migrations of the checkout at `root`."""
    run_env = {**os.environ, **(env or {}), "DATABASE_URL": database_url}
    run_captured([sys.executable, "-m", "service.migrate"], env=run_env, cwd=root, check=True)


def run_captured(
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
    timeout: float = 120,
    check: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run a command of the repository (from its root by default) to its end, its output
    captured as text; `env` None: this process's environment."""
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=check
    )


def wait_ready(base_url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"service exited with code {process.returncode} during start-up")
        try:
            if requests.get(f"{base_url}/ready", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{base_url}/ready did not answer 200 within {timeout:.0f} s")


def warm_up(base_url: str, timeout: float, pause: float = 3) -> None:
    """Wait (bounded) for a deployment to answer /health: free-plan instances sleep and the
    first request wakes them. Raises TimeoutError with the last thing seen (at once for a
    certificate the client does not trust)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            response = requests.get(f"{base_url}/health", timeout=30)
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}"
        except requests.exceptions.SSLError as exc:  # waiting does not fix a certificate
            raise TimeoutError(
                f"{base_url}/health: TLS: {exc} (a private CA: --ca-bundle or REQUESTS_CA_BUNDLE)"
            ) from None
        except requests.RequestException as exc:
            last = exc.__class__.__name__
        time.sleep(pause)
    raise TimeoutError(f"{base_url}/health did not answer 200 within {timeout:.0f} s ({last})")


@contextmanager
def local_server(
    database_url: str,
    log_path: Path,
    *,
    workers: int = 1,
    extra_env: dict[str, str] | None = None,
    webhook_secret: str | None = None,
    startup_timeout: float = 60,
    uvicorn_args: list[str] | None = None,
    root: Path = ROOT,
) -> Iterator[LocalServer]:
    """Run `uvicorn service.main:app` against `database_url` until the block ends.

    Migrations are applied first, as a deployment would. The process log (stdout and
    stderr) is kept at `log_path` as an artifact. `uvicorn_args` come last on uvicorn's
    command line (and win over the defaults above them). `root` is the checkout whose
    `service/` and `migrations/` run (default: this repository; the seeded-bug harness
    passes a patched copy).
    """
    secret = webhook_secret or generate_secret()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "WEBHOOK_SECRET": secret,
        "ENVIRONMENT": "test",
        "MIGRATE_ON_START": "false",
        "LOG_LEVEL": "INFO",
        **(extra_env or {}),
    }
    if "API_PREFIX" not in (extra_env or {}):
        env.pop("API_PREFIX", None)
    migrate(database_url, env, root=root)
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_file = open(log_path, "ab")  # noqa: SIM115 (closed below)
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "service.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        # The service resolves client addresses itself (TRUSTED_PROXY_HOPS); uvicorn's own
        # proxy headers would trust X-Forwarded-For from 127.0.0.1, i.e. from every test client.
        "--no-proxy-headers",
        *(uvicorn_args or []),
    ]
    process = spawn(command, log_file, cwd=root, env=env)
    base_url = f"http://127.0.0.1:{port}{env.get('API_PREFIX', '')}"
    server = LocalServer(base_url, database_url, secret, log_path, process, env)
    try:
        try:
            wait_ready(base_url, startup_timeout, process)
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"{exc}\n--- service log ---\n{server.log_tail()}") from exc
        yield server
    finally:
        stop(process)
        log_file.close()


def spawn(
    argv: list[str], log: BinaryIO, *, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """Start `argv` in its own process group (so `stop` ends it with its children), its
    stdout and stderr both into the open file `log`; `env` None: this process's environment."""
    return subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(process: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM (graceful: in-flight requests finish), then SIGKILL if it hangs."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextmanager
def throwaway_service(
    backend: str, scratch: Path, log_path: Path, **options
) -> Iterator[LocalServer]:
    """A fresh `sqlite` or `postgres` database and the service on it, both gone afterwards.
    `options` are `local_server`'s (workers, extra_env, webhook_secret, ...)."""
    with (
        throwaway_database(backend, scratch) as database_url,
        local_server(database_url, log_path, **options) as server,
    ):
        yield server
