"""What the suites' requests received, for the evidence page's API coverage matrix.

Every exchange of every `Api` client (suites/support/client.py) is kept as (method, the
concrete path as sent, the status received, the test that sent it), counted, and written by
the root conftest at the end of the session to `reports/<kind>/pytest/exchanges.ndjson`, one
JSON object a line. No query string, header or body is kept: nothing secret and nothing large.
The target's OpenAPI document goes beside it (`openapi.json`), so the matrix compares what
was received with what that very service documents.
"""

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import requests

from service.webhooks import generate_secret
from suites.support import client

EXCHANGES_FILE = "exchanges.ndjson"
OPENAPI_FILE = "openapi.json"
ROOT = Path(__file__).resolve().parents[2]


class Recorder:
    """Counts (method, path, status, test) over a session; thread-safe (the race tests)."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, int | None, str | None]] = Counter()
        self._lock = threading.Lock()

    def __call__(self, method: str, url: str, status: int | None) -> None:
        path = urlsplit(url).path or "/"
        with self._lock:
            self.counts[(method, path, status, current_test())] += 1

    def install(self) -> "Recorder":
        client.OBSERVERS.append(self)
        return self

    def uninstall(self) -> None:
        if self in client.OBSERVERS:
            client.OBSERVERS.remove(self)

    def write(self, path: Path) -> int:
        """The NDJSON file; returns how many exchanges it accounts for."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            rows = sorted(self.counts.items(), key=lambda item: tuple(map(str, item[0])))
        with path.open("w", encoding="utf-8") as handle:
            for (method, concrete, status, test), n in rows:
                record = {"method": method, "path": concrete, "status": status, "test": test}
                handle.write(json.dumps(record | {"n": n}) + "\n")
        return sum(n for _, n in rows)


def finish(recorder: Recorder, target, directory: Path) -> dict:
    """End of session: the exchanges and (when there are any) the target's OpenAPI document
    into `directory`; what results.json says of them."""
    recorder.uninstall()
    recorded = recorder.write(directory / EXCHANGES_FILE)
    problem = None
    if recorded:
        problem = write_openapi(target, directory / OPENAPI_FILE)
    else:
        (directory / OPENAPI_FILE).unlink(missing_ok=True)
    return {"file": EXCHANGES_FILE, "recorded": recorded, "openapi_problem": problem}


def current_test() -> str | None:
    """The running test's node id, from pytest's own PYTEST_CURRENT_TEST ("id (call)")."""
    value = os.environ.get("PYTEST_CURRENT_TEST")
    return value.rsplit(" (", 1)[0] if value else None


def write_openapi(target, path: Path) -> str | None:
    """The target's OpenAPI document into `path`: a deployment's own /openapi.json; for the
    local target (whose services are gone by now) the checkout's, as its services serve it.
    Returns why it could not be written, or None."""
    try:
        if target.is_local:
            document = checkout_openapi()
        else:
            response = requests.get(f"{target.origin}/openapi.json", timeout=30)
            response.raise_for_status()
            document = response.json()
    except (OSError, ValueError, requests.RequestException, subprocess.SubprocessError) as exc:
        return f"{exc.__class__.__name__}: {exc}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return None


def checkout_openapi() -> dict:
    """`app.openapi()` in a child process (importing the app configures logging), with the
    settings the local test services start with (tooling.servers.local_server)."""
    env = {k: v for k, v in os.environ.items() if k not in ("API_KEYS", "API_PREFIX")}
    env |= {"ENVIRONMENT": "test", "WEBHOOK_SECRET": generate_secret()}
    env.setdefault("DATABASE_URL", "sqlite://")
    code = "import json, sys; from service.main import app; json.dump(app.openapi(), sys.stdout)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


def service_build(base_url: str | None) -> dict | None:
    """What a running service says about its build: `/health`'s status, version and commit
    (RENDER_GIT_COMMIT on Render, else its checkout's HEAD)."""
    if not base_url:
        return None
    try:
        data = requests.get(f"{base_url.rstrip('/')}/health", timeout=30).json()
    except (requests.RequestException, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {key: data.get(key) for key in ("status", "version", "commit")}
