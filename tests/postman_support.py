"""Shared by the Postman tooling tests: real Newman when it is there, and probes that run the
same small collection in postman/run.py and in Newman, so a pinned behaviour is checked
against Postman's own runtime whenever Newman is available.

A probe is a list of steps, one request each, against a tiny echo server started by the
test. Its scripts report what they see with `seen(label, value)`, which records a passing
`pm.test` named `label = <type>:<value>`; both runtimes report those names in order.
"""

import json
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from postman.collection import SCHEMA_V21, Environment, parse_collection
from postman.runtime import Runner
from tooling import capabilities

SCRIPT_ERROR = "<script error>"

# Defined at the top of every probe script (each script has its own scope in both runtimes).
PRELUDE = r"""
const __show = (v) => {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number' && Number.isNaN(v)) return 'number:NaN';
  if (typeof v === 'function') return 'function';
  if (v instanceof Date) return 'date:' + v.toISOString();
  return typeof v + ':' + JSON.stringify(v);
};
const seen = (label, value) => pm.test(label + ' = ' + __show(value), function () {});
"""


def newman_binary() -> str:
    """The Newman of $NEWMAN_BIN; skips (fails with REQUIRE_NEWMAN=1) when there is none."""
    capabilities.skip_unless_available("newman")
    return capabilities.newman_bin()


def run_newman(
    newman: str,
    workdir: Path,
    collection: dict[str, Any],
    environment: dict[str, Any] | None = None,
    *,
    globals_: dict[str, Any] | None = None,
    data: list[dict[str, Any]] | None = None,
    env_vars: dict[str, str] | None = None,
    timeout: float = 300,
) -> dict[str, Any]:
    """`newman run` with the JSON reporter; returns the report's `run`. The files are written
    to `workdir` (readable by the owner only: put secrets in `environment`, never in
    `env_vars`, which go on the command line as `--env-var`)."""
    workdir.mkdir(parents=True, exist_ok=True)
    command = [newman, "run", _write(workdir / "collection.json", collection)]
    command += ["--reporters", "json", "--disable-unicode"]
    report = workdir / "newman-report.json"
    command += ["--reporter-json-export", str(report)]
    if environment is not None:
        command += ["--environment", _write(workdir / "environment.json", environment)]
    if globals_ is not None:
        command += ["--globals", _write(workdir / "globals.json", globals_)]
    if data is not None:
        command += ["--iteration-data", _write(workdir / "data.json", data)]
    for key, value in (env_vars or {}).items():
        command += ["--env-var", f"{key}={value}"]
    report.unlink(missing_ok=True)
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=workdir)
    if not report.exists():
        output = (done.stdout + done.stderr)[-4000:]
        raise AssertionError(f"newman wrote no report (exit {done.returncode}):\n{output}")
    return json.loads(report.read_text(encoding="utf-8"))["run"]


def _write(path: Path, content: Any) -> str:
    path.touch(mode=0o600)
    path.write_text(json.dumps(content), encoding="utf-8")
    return str(path)


# --- probes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One request of a probe: its scripts, and what it sends to the echo server."""

    test: str = ""
    pre: str = ""
    url: str = "/echo"  # appended to the echo server's address
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None


@dataclass(frozen=True)
class Probe:
    steps: tuple[Step | str, ...]  # a plain string is a step with only a test script
    collection: tuple[dict[str, Any], ...] = ()  # declared variables: key, value, type
    environment: tuple[dict[str, Any], ...] = ()  # environment file entries
    globals: tuple[dict[str, Any], ...] = ()  # globals file entries
    data: dict[str, Any] | None = None  # one row of iteration data
    env_vars: dict[str, str] = field(default_factory=dict)  # `--env-var`, Runner overrides

    def collection_json(self, base: str) -> dict[str, Any]:
        items = []
        for number, step in enumerate(self.steps, start=1):
            step = Step(test=step) if isinstance(step, str) else step
            events = [
                {"listen": listen, "script": {"type": "text/javascript", "exec": [PRELUDE + src]}}
                for listen, src in (("prerequest", step.pre), ("test", step.test))
                if src
            ]
            request: dict[str, Any] = {
                "method": "POST" if step.body is not None else "GET",
                "url": base + step.url,
                "header": [{"key": k, "value": v} for k, v in step.headers],
            }
            if step.body is not None:
                request["body"] = {"mode": "raw", "raw": step.body}
            items.append({"name": f"step {number}", "request": request, "event": events})
        return {
            "info": {"name": "probe", "schema": SCHEMA_V21},
            "item": items,
            "variable": list(self.collection),
        }


def _scope_file(name: str, entries: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    values = [{"enabled": True, **entry} for entry in entries]
    return {"name": name, "values": values}


def _environment(name: str, entries: tuple[dict[str, Any], ...]) -> Environment:
    enabled = [e for e in entries if e.get("enabled", True)]
    values = {e["key"]: e.get("value", "") for e in enabled}
    types = {e["key"]: e.get("type", "any") for e in enabled}
    secrets = {e["key"] for e in entries if e.get("type") == "secret"}
    return Environment(name, values, secrets, types)


def observe_with_runner(probe: Probe, base: str) -> list[str]:
    """What the probe's scripts saw in postman/run.py."""
    runner = Runner(
        parse_collection(probe.collection_json(base)),
        _environment("probe-environment", probe.environment),
        globals_=_environment("probe-globals", probe.globals),
        overrides=probe.env_vars,
    )
    result = runner.run(iteration_data=[probe.data] if probe.data is not None else None)
    seen = []
    for request in result.requests:
        seen += [test.name for test in request.tests]
        # "[runner] no pm.test ran" is the runner's own rule for a collection, not an error
        seen += [SCRIPT_ERROR for e in request.errors if not e.startswith("[runner]")]
    return seen


def observe_with_newman(probe: Probe, base: str, newman: str, workdir: Path) -> list[str]:
    """What the probe's scripts saw in Newman."""
    run = run_newman(
        newman,
        workdir,
        probe.collection_json(base),
        _scope_file("probe-environment", probe.environment),
        globals_=_scope_file("probe-globals", probe.globals),
        data=[probe.data] if probe.data is not None else None,
        env_vars=probe.env_vars,
    )
    errors: dict[str, int] = {}
    for failure in run["failures"]:
        if failure["error"].get("name") != "AssertionError":
            name = failure["source"]["name"]
            errors[name] = errors.get(name, 0) + 1
    seen = []
    for execution in run["executions"]:
        seen += [a["assertion"] for a in execution.get("assertions", [])]
        seen += [SCRIPT_ERROR] * errors.pop(execution["item"]["name"], 0)
    return seen


# --- the echo server the probes talk to ---------------------------------------------------------


class _Echo(BaseHTTPRequestHandler):
    """Answers every request with what it received, as JSON."""

    def _echo(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        payload = {
            "method": self.command,
            "path": unquote(self.path),
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body,
        }
        data = json.dumps(payload).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _echo

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def echo_server() -> Iterator[str]:
    """An HTTP server on a free loopback port that echoes requests; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
