"""A Render rehearsal: a Render-like deployment on this machine, and the user-facing commands
run through it exactly as a user runs them after a real deploy.

    python -m tooling.rehearsal                 # needs TEST_DATABASE_URL, TEST_REDIS_URL, caddy
    python -m tooling.rehearsal --skip evidence --skip pytest-2     # a shorter pass

What stands in for Render (loopback addresses only):

- **build and start** from `render.yaml`'s own commands: `buildCommand` into a fresh venv
  (runtime requirements only, as on Render: nothing from requirements-dev.txt), then
  `startCommand` through bash with what Render injects: `PORT`, a `postgres://` DATABASE_URL
  with a user and password (a throwaway database and role), every `value` of the envVars,
  generated `WEBHOOK_SECRET` / `METRICS_TOKEN` (base64 of 32 random bytes, like
  `generateValue`), `API_KEYS`, `REDIS_URL` (the local Redis, as Key Value), `RENDER=true`,
  `RENDER_GIT_COMMIT` (the checkout's HEAD), `RENDER_EXTERNAL_URL`. Two changes, both for a
  shared machine: `--host 127.0.0.1` instead of 0.0.0.0, and a private
  `PROMETHEUS_MULTIPROC_DIR` (the start command empties it);
- **the edge**: Caddy with `tls internal` (its own CA), appending `X-Forwarded-For` and
  setting `True-Client-IP` as Render's edge does (tooling/edge.py). Its root CA reaches the
  clients only as a corporate CA would: `REQUESTS_CA_BUNDLE` / `SSL_CERT_FILE`;
- **latency**: the delay proxy (tooling/delay_proxy.py), 30 ms each way, between the clients
  and the edge: that is where the internet is (Render's edge and the instance share a data
  centre), and TLS handshakes pay it as they do for real users. `--direct` runs go to the
  edge without it, for the timings with and without latency;
- **cold starts**: the edge comes up first and answers 502 while the service is down; the
  service starts `--cold-start-s` (20) later. Twice: first with `await_deploy`, the smoke
  script and the curl recorder already waiting, later with the Postman runner waiting.

Then (secrets and key in the environment only): `pytest --target=render` twice (through the
latency, then direct), the Postman runner warm (both ways) and during the second cold start,
`python -m evidence --target render` (Locust light), and one deliberately failing test.
Afterwards no file under the rehearsal's reports root and no log holds the webhook secret
(raw or its base64 body), the API key, the METRICS_TOKEN or the database password, and no
process's argv held one while it ran (/proc is sampled throughout). The failed key checks
per minute (from the service's access log) are compared with AUTH_FAILURE_LIMIT.

Everything is written below `reports/rehearsal/` (tooling.layout), never over the real Render
column; `summary.md` / `summary.json` there hold each step's result and timing. Exit 0 when
every step passed and nothing leaked.
"""

import argparse
import base64
import json
import os
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg
import requests
import yaml
from sqlalchemy.engine import make_url

from tooling.capabilities import problem
from tooling.databases import _libpq, postgres_admin_url
from tooling.edge import Edge, caddy_edge
from tooling.layout import ROOT, RehearsalRun, Reports
from tooling.servers import free_port, stop, wait_ready

BLUEPRINT = ROOT / "render.yaml"
STEP_TIMEOUT_S = 900  # any one command; the whole stage stays bounded
FAILING_TEST = '''\
"""Fails on purpose (tooling.rehearsal): its failure output must hold no secret."""


def test_fails_on_purpose(target, api):
    created = api.create_product(name="Rehearsal failure")
    order = api.create_order(created["id"])
    paid = api.pay(order)
    assert paid.status_code == 418, (target, api, paid.text)
'''
FAILING_CONFTEST = '''\
"""The project's conftest.py (target options, fixtures, reports), loaded for a test outside it."""

import importlib.util

_spec = importlib.util.spec_from_file_location("project_conftest", r"{root}")
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
globals().update({{k: v for k, v in vars(_module).items() if not k.startswith("__")}})
'''


class Abort(Exception):
    """The deployment itself failed (build, start): nothing more to run."""


# --- the blueprint ---------------------------------------------------------------------------


def web_service(blueprint: dict) -> dict:
    return next(s for s in blueprint["services"] if s["type"] == "web")


def generated_value() -> str:
    """What Render's `generateValue: true` produces: a random base64 256-bit value."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass
class Deployment:
    """What the blueprint's service is given, and the secrets that must never leak."""

    env: dict[str, str] = field(repr=False)
    start_command: str
    build_command: str
    commit: str
    secrets: dict[str, str] = field(repr=False)  # name -> value, for the leak checks


def checkout_commit() -> tuple[str, bool]:
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", "service", "migrations"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return head, bool(dirty)


def deployment_env(
    blueprint: dict,
    *,
    port: int,
    database_url: str,
    redis_url: str,
    external_url: str,
    commit: str,
    home: Path,
    venv: Path,
    overrides: dict[str, str],
) -> Deployment:
    service = web_service(blueprint)
    env = {
        "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PORT": str(port),
        "RENDER": "true",
        "RENDER_SERVICE_NAME": service["name"],
        "RENDER_SERVICE_TYPE": "web",
        "RENDER_GIT_COMMIT": commit,
        "RENDER_GIT_BRANCH": "main",
        "RENDER_EXTERNAL_URL": external_url,
        "RENDER_EXTERNAL_HOSTNAME": "127.0.0.1",
        "RENDER_INSTANCE_ID": f"srv-rehearsal-{secrets.token_hex(4)}",
    }
    leaks = {}
    for var in service["envVars"]:
        key = var["key"]
        if "value" in var:
            env[key] = str(var["value"])
        elif var.get("generateValue"):
            env[key] = leaks[key] = generated_value()
        elif var.get("sync") is False:  # prompted in the dashboard: API_KEYS
            env[key] = leaks[key] = secrets.token_urlsafe(24)
        elif "fromDatabase" in var:
            env[key] = database_url
        elif var.get("fromService", {}).get("type") == "keyvalue":
            env[key] = redis_url
        else:
            raise SystemExit(f"render.yaml: {key} has a source the rehearsal does not know: {var}")
    # A shared machine: a private multiprocess directory (the start command empties it).
    env["PROMETHEUS_MULTIPROC_DIR"] = str(home / "prometheus")
    env.update(overrides)
    password = make_url(database_url).password
    if password:
        leaks["DATABASE_URL password"] = password
    start = service["startCommand"]
    if "--host 0.0.0.0" not in start:
        raise SystemExit("render.yaml: the start command no longer binds --host 0.0.0.0")
    return Deployment(
        env=env,
        start_command=start.replace("--host 0.0.0.0", "--host 127.0.0.1"),  # loopback only
        build_command=service["buildCommand"],
        commit=commit,
        secrets=leaks,
    )


# --- the pieces: database, venv, service, proxy ----------------------------------------------


@contextmanager
def render_database() -> Iterator[str]:
    """A throwaway database owned by a throwaway role with a password, as Render's
    `connectionString`: `postgres://user:password@host:port/db`."""
    admin = _libpq(postgres_admin_url() or "")
    suffix = secrets.token_hex(4)
    role, name, password = f"oi_rehearsal_{suffix}", f"oi_rehearsal_{suffix}", secrets.token_hex(16)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
        conn.execute(f'CREATE DATABASE "{name}" OWNER "{role}"')
    url = make_url(admin).set(
        drivername="postgres", username=role, password=password, database=name
    )
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def build(deployment: Deployment, venv: Path, log: Path) -> str:
    """render.yaml's buildCommand, into a fresh venv (Render builds each deploy afresh)."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '')}"}
    env["PYTHON_VERSION"] = deployment.env.get("PYTHON_VERSION", "")
    env.pop("PYTHONPATH", None)
    with log.open("wb") as out:
        code = subprocess.run(
            ["bash", "-c", deployment.build_command],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=STEP_TIMEOUT_S,
        ).returncode
    if code != 0:
        raise RuntimeError(f"buildCommand exited {code}: see {log}")
    version = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return version


class Service:
    """The start command as Render runs it; `start()` / `stop()` for the cold starts."""

    def __init__(self, deployment: Deployment, log: Path) -> None:
        self.deployment = deployment
        self.log = log
        self.process: subprocess.Popen | None = None
        self.base = f"http://127.0.0.1:{deployment.env['PORT']}"

    def start(self) -> float:
        with self.log.open("ab") as out:
            out.write(f"--- start {time.strftime('%H:%M:%S')}\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                ["bash", "-c", self.deployment.start_command],
                cwd=ROOT,
                env=self.deployment.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started = time.monotonic()
        wait_ready(self.base, 120, self.process)  # Render's health check: healthCheckPath
        return time.monotonic() - started

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process, timeout=30)
            self.process = None


@contextmanager
def latency(upstream_port: int, delay_ms: float, log: Path) -> Iterator[int]:
    """`python -m tooling.delay_proxy` in front of the edge; yields its port."""
    port = free_port()
    command = [sys.executable, "-m", "tooling.delay_proxy", "--listen", f"127.0.0.1:{port}"]
    command += ["--upstream", f"127.0.0.1:{upstream_port}", "--delay-ms", f"{delay_ms:g}"]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"the delay proxy did not start: see {log}") from None
                time.sleep(0.1)
        yield port
    finally:
        stop(process)


def wait_for_certificate(edge: Edge, timeout: float = 30) -> Path:
    deadline = time.monotonic() + timeout
    while not edge.ca_certificate.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"Caddy issued no certificate within {timeout:.0f} s")
        time.sleep(0.1)
    return edge.ca_certificate


# --- watching argv -----------------------------------------------------------------------------


class ArgvWatch:
    """Samples every new process's argv (what `ps` shows everyone) for the secrets."""

    def __init__(self, values: dict[str, str], interval: float = 0.05) -> None:
        self.values = {k: v.encode() for k, v in values.items() if v}
        self.interval = interval
        self.hits: list[str] = []
        self.seen: set[int] = set()
        self.processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="argv-watch", daemon=True)

    def __enter__(self) -> "ArgvWatch":
        self._scan()  # what already runs is not ours
        self.processes = 0
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._scan()

    def _scan(self) -> None:
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            if pid in self.seen:
                continue
            self.seen.add(pid)
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            self.processes += 1
            for name, value in self.values.items():
                if value in argv:
                    shown = argv.replace(b"\0", b" ").decode(errors="replace")[:160]
                    for other in self.values.values():
                        shown = shown.replace(other.decode(), "***")
                    self.hits.append(f"pid {pid}: {name} in argv: {shown}")


# --- the leak scan -----------------------------------------------------------------------------


def leak_patterns(values: dict[str, str]) -> dict[str, list[bytes]]:
    """Each secret as it could appear in a file: raw, URL-encoded, JSON-escaped, and for a
    webhook secret its base64 body without `whsec_`."""
    patterns = {}
    for name, value in values.items():
        forms = {
            value,
            value.removeprefix("whsec_"),
            quote(value, safe=""),
            value.replace("/", "\\/"),
        }
        patterns[name] = sorted({f.encode() for f in forms if len(f) >= 12})
    return patterns


def scan_files(roots: list[Path], values: dict[str, str]) -> tuple[int, list[str]]:
    patterns = leak_patterns(values)
    files, hits = 0, []
    for root in roots:
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in paths:
            files += 1
            try:
                data = path.read_bytes()
            except OSError:
                continue
            for name, forms in patterns.items():
                if any(form in data for form in forms):
                    hits.append(f"{path}: holds {name}")
    return files, hits


def failed_key_checks_per_minute(service_log: Path) -> tuple[int, int]:
    """(most failed key checks in one clock minute, 429 answers) from the access log: 401/403
    answers of every route but the webhook (whose 401s are bad signatures, not key checks)."""
    per_minute: Counter[str] = Counter()
    limited = 0
    for line in service_log.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        status = record.get("status")
        if status in (401, 403) and record.get("route") != "/webhooks/payment":
            per_minute[str(record.get("time", ""))[:16]] += 1
        elif status == 429:
            limited += 1
    return max(per_minute.values(), default=0), limited


# --- running the user's commands ---------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    ok: bool
    seconds: float
    path: str  # "30 ms each way" / "direct"
    command: str
    detail: str = ""
    log: str = ""


class Rehearsal:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.run = RehearsalRun(Path(args.reports_dir).resolve())
        self.outcomes: list[Outcome] = []
        self.client_env: dict[str, str] = {}
        self.urls: dict[str, str] = {}  # path name -> RENDER_URL
        self.facts: dict[str, object] = {}
        self.running: list[subprocess.Popen] = []  # commands started and not yet finished

    def stop_commands(self) -> None:
        for process in list(self.running):
            stop(process)

    def skip(self, name: str) -> bool:
        return any(name == s or name.startswith(f"{s}-") for s in self.args.skip)

    # -- a user's command --

    def command(
        self,
        name: str,
        argv: list[str],
        *,
        path: str = "latency",
        env: dict[str, str] | None = None,
        expect: int = 0,
        check=None,
        background: bool = False,
    ):
        """Run `argv` from the project root as a user would (secrets in the environment);
        its raw output goes to logs/<name>.log (the leak scan reads it). With
        `background`, returns a function that waits for it and records the outcome."""
        run_env = {**self.client_env, "RENDER_URL": self.urls[path], **(env or {})}
        log = self.run.log(name)
        shown = " ".join(shlex.quote(a) for a in argv).replace(sys.executable, "python")
        print(f"-> {name}: {shown}  [{self._path_label(path)}]", flush=True)
        out = log.open("wb")
        out.write(f"$ {shown}\n".encode())
        out.flush()
        started = time.monotonic()
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=run_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole
        )
        self.running.append(process)

        def finish() -> Outcome:
            try:
                code = process.wait(timeout=max(1, STEP_TIMEOUT_S - (time.monotonic() - started)))
            except subprocess.TimeoutExpired:
                stop(process)
                code = process.returncode
            self.running.remove(process)
            out.close()
            seconds = round(time.monotonic() - started, 1)
            text = log.read_text(errors="replace")
            ok = code == expect
            detail = f"exit {code}" + ("" if ok else f" (expected {expect})")
            if check is not None:
                try:
                    problem_text = check(text)
                except (OSError, ValueError, KeyError) as exc:  # an artifact not written
                    problem_text = f"{exc.__class__.__name__}: {exc}"
                if problem_text:
                    ok, detail = False, f"{detail}; {problem_text}"
                elif ok:
                    detail = f"{detail}; {_last_line(text)}"
            elif not ok:
                detail = f"{detail}; {_last_line(text)}"
            outcome = Outcome(
                name, ok, seconds, self._path_label(path), shown, detail, self.run.relative(log)
            )
            self.record(outcome)
            return outcome

        return finish if background else finish()

    def _path_label(self, path: str) -> str:
        return f"+{self.args.delay_ms:g} ms each way" if path == "latency" else "direct"

    def record(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        mark = "ok  " if outcome.ok else "FAIL"
        print(f"   {mark} {outcome.name} in {outcome.seconds:.1f}s: {outcome.detail}", flush=True)

    def note(self, name: str, ok: bool, seconds: float, detail: str) -> None:
        self.record(Outcome(name, ok, round(seconds, 1), "-", "-", detail))

    # -- the stage --

    def main(self) -> int:
        for capability in ("postgres", "redis", "caddy"):
            reason = problem(capability)
            if reason:
                print(f"rehearsal: {reason}", file=sys.stderr)
                return 2
        blueprint = yaml.safe_load(BLUEPRINT.read_text())
        self.run.root.mkdir(parents=True, exist_ok=True)
        for old in self.run.root.iterdir():  # a rehearsal's reports are its own, every time
            shutil.rmtree(old) if old.is_dir() else old.unlink()
        self.run.logs.mkdir(parents=True)
        started = time.monotonic()
        code = 1
        try:
            with ExitStack() as stack:
                scratch = Path(
                    stack.enter_context(tempfile.TemporaryDirectory(prefix="rehearsal-"))
                )
                code = self.stage(stack, scratch, blueprint)
        except Abort as exc:
            print(f"rehearsal stopped: {exc}", file=sys.stderr)
        finally:
            self.facts["total_s"] = round(time.monotonic() - started, 1)
            self.write_summary()
        return code

    def stage(self, stack: ExitStack, scratch: Path, blueprint: dict) -> int:
        args = self.args
        commit, dirty = checkout_commit()
        self.facts["commit"] = commit + (" (+ uncommitted changes in service/)" if dirty else "")
        port = free_port()
        upstream = f"127.0.0.1:{port}"
        edge = stack.enter_context(
            caddy_edge(
                upstream,
                self.run.log("caddy"),
                append_forwarded_for=True,
                client_ip_header="True-Client-IP",
                site_options=["tls internal"],
                scheme="https",
            )
        )
        ca = scratch / "rehearsal-ca.pem"  # outlives Caddy's state directory
        ca.write_bytes(wait_for_certificate(edge).read_bytes())
        proxy_port = stack.enter_context(
            latency(edge.port, args.delay_ms, self.run.log("delay-proxy"))
        )
        self.urls = {"latency": f"https://127.0.0.1:{proxy_port}", "direct": edge.base_url}
        self.facts.update(edge=edge.base_url, public_url=self.urls["latency"], ca_bundle=str(ca))

        database_url = stack.enter_context(render_database())
        overrides = {}
        if args.auth_failure_limit:
            overrides["AUTH_FAILURE_LIMIT"] = args.auth_failure_limit
        deployment = deployment_env(
            blueprint,
            port=port,
            database_url=database_url,
            redis_url=args.redis_url,
            external_url=self.urls["latency"],
            commit=commit,
            home=scratch / "home",
            venv=scratch / "venv",
            overrides=overrides,
        )
        (scratch / "home").mkdir()
        self.facts["auth_failure_limit"] = deployment.env.get("AUTH_FAILURE_LIMIT")
        watched = {
            "WEBHOOK_SECRET": deployment.env["WEBHOOK_SECRET"],
            "API_KEYS": deployment.env["API_KEYS"],
            "METRICS_TOKEN": deployment.env["METRICS_TOKEN"],
            **deployment.secrets,
        }
        argv_watch = stack.enter_context(ArgvWatch(watched))
        self.client_env = self.clients(deployment, ca)

        t = time.monotonic()
        try:
            version = build(deployment, scratch / "venv", self.run.log("build"))
        except (RuntimeError, subprocess.SubprocessError) as exc:
            self.note("build", False, time.monotonic() - t, str(exc))
            raise Abort("the build failed") from None
        wanted = deployment.env.get("PYTHON_VERSION")
        self.note(
            "build",
            True,
            time.monotonic() - t,
            f"`{deployment.build_command}` into a fresh venv, Python {version}"
            + (f" (render.yaml asks {wanted})" if wanted and wanted != version else ""),
        )
        service = Service(deployment, self.run.log("service"))
        stack.callback(service.stop)
        stack.callback(self.stop_commands)  # an abort, Ctrl-C: nothing of ours keeps running

        # -- cold start 1: the edge answers 502; the waiting clients are already running
        self.edge_answers_502()
        waiting = []
        if not self.skip("await-deploy"):
            waiting.append(self.await_deploy(commit, background=True))
        if not self.skip("smoke"):
            waiting.append(self.smoke("smoke-cold", background=True))
        if not self.skip("curl"):
            waiting.append(self.curl("curl-cold", background=True))
        self.cold_start(service, "cold-start-1")
        for finish in waiting:
            finish()

        # -- warm
        if not self.skip("pytest-1"):
            self.pytest("pytest-1", "latency")
        if not self.skip("pytest-2"):
            self.pytest("pytest-2", "direct")
        if not self.skip("smoke"):
            self.smoke("smoke-warm", path="latency")
            self.smoke("smoke-direct", path="direct")
        if not self.skip("postman"):
            self.postman("postman-warm", path="latency")
            self.postman("postman-direct", path="direct")
            # -- cold start 2: the service goes down; the Postman runner starts while it is
            service.stop()
            self.edge_answers_502()
            finish = self.postman("postman-cold", path="latency", background=True)
            self.cold_start(service, "cold-start-2")
            finish()
        if not self.skip("evidence"):
            self.evidence()
        if not self.skip("failing-test"):
            self.failing_test(scratch)
        service.stop()
        argv_watch.__exit__(None, None, None)

        # -- what must not have leaked
        worst, limited = failed_key_checks_per_minute(self.run.log("service"))
        limit = int(str(deployment.env.get("AUTH_FAILURE_LIMIT", "0")).split("/")[0] or 0)
        self.facts["failed_key_checks_max_per_minute"] = worst
        self.note(
            "auth-failure-limit",
            limited == 0 and (not limit or worst < limit),
            0,
            f"at most {worst} failed key checks (401/403) in one minute, all from one address, "
            f"limit {deployment.env.get('AUTH_FAILURE_LIMIT')}; {limited} answers 429",
        )
        files, hits = scan_files([self.run.root], watched)
        self.note(
            "no-secret-in-files",
            not hits,
            0,
            f"{files} files under {self.run.root.name}/ (reports and logs) scanned for "
            f"{', '.join(watched)}" + ("" if not hits else ": " + "; ".join(hits[:10])),
        )
        self.note(
            "no-secret-in-argv",
            not argv_watch.hits,
            0,
            f"{argv_watch.processes} processes' argv sampled"
            + ("" if not argv_watch.hits else ": " + "; ".join(argv_watch.hits[:10])),
        )
        return 0 if all(o.ok for o in self.outcomes) else 1

    def clients(self, deployment: Deployment, ca: Path) -> dict[str, str]:
        """A user's shell after a deploy: the URL, the secret and one key in the environment,
        the corporate CA the way such a user sets it; nothing else of ours."""
        env = {
            k: v
            for k, v in os.environ.items()
            if k
            not in {
                "BASE_URL",
                "RENDER_URL",
                "WEBHOOK_SECRET",
                "API_KEY",
                "REPORTS_DIR",
                "REQUESTS_CA_BUNDLE",
                "SSL_CERT_FILE",
                "CURL_CA_BUNDLE",
            }
        }
        return env | {
            "WEBHOOK_SECRET": deployment.env["WEBHOOK_SECRET"],
            "API_KEY": deployment.env["API_KEYS"].split(",")[0],
            "REQUESTS_CA_BUNDLE": str(ca),
            "SSL_CERT_FILE": str(ca),
            "REPORTS_DIR": str(self.run.reports.root),
            "PYTHONUNBUFFERED": "1",
        }

    def edge_answers_502(self) -> None:
        try:
            status = requests.get(
                f"{self.urls['direct']}/health",
                verify=self.client_env["REQUESTS_CA_BUNDLE"],
                timeout=10,
            ).status_code
        except requests.RequestException as exc:
            status = exc.__class__.__name__
        self.facts.setdefault("edge_while_down", []).append(status)

    def cold_start(self, service: Service, name: str) -> None:
        time.sleep(self.args.cold_start_s)
        t = time.monotonic()
        try:
            ready = service.start()
        except (RuntimeError, TimeoutError) as exc:
            self.note(name, False, time.monotonic() - t, str(exc).splitlines()[0])
            raise Abort(f"{name}: the service did not start (see {service.log})") from None
        self.note(
            name,
            True,
            ready,
            f"edge answered {self.facts['edge_while_down'][-1]} for {self.args.cold_start_s:g} s; "
            f"the start command was ready in {ready:.1f} s (migrations, 2 workers)",
        )

    # -- the commands --

    def await_deploy(self, commit: str, background: bool = False):
        argv = [sys.executable, "-m", "tooling.await_deploy", "--base-url", self.urls["latency"]]
        argv += ["--commit", commit, "--timeout", "300", "--pause", "2"]
        return self.command("await-deploy", argv, background=background)

    def smoke(self, name: str, path: str = "latency", background: bool = False):
        return self.command(
            name,
            [sys.executable, "suites/smoke.py"],
            path=path,
            env={"BASE_URL": self.urls[path]},
            check=lambda text: None if "SMOKE OK" in text else "no SMOKE OK line",
            background=background,
        )

    def curl(self, name: str, path: str = "latency", background: bool = False):
        out = self.run.curl / name
        argv = [sys.executable, "suites/curl_transcript.py", "--base-url", self.urls[path]]
        return self.command(name, [*argv, "--out", str(out)], path=path, background=background)

    def pytest(self, name: str, path: str) -> None:
        root = self.run.pytest_root(name)
        # one token per option: pytest reads a separate value that is an existing directory
        # as a test path before the conftest has declared the option
        argv = [sys.executable, "-m", "pytest", "--target=render", f"--reports-dir={root}"]

        def check(text: str) -> str | None:
            results = json.loads((root / "render" / "pytest" / "results.json").read_text())
            summary = results["summary"]
            self.facts[f"{name}_summary"] = summary
            if not summary.get("passed"):
                return "no test passed"
            return None

        outcome = self.command(name, argv, path=path, check=check)
        summary = self.facts.get(f"{name}_summary")
        if summary:
            counts = ", ".join(f"{n} {k}" for k, n in sorted(summary.items()))
            outcome.detail = f"{outcome.detail.split(';')[0]}; {counts}"

    def postman(self, name: str, path: str, background: bool = False):
        out = self.run.postman(name)
        argv = [
            sys.executable,
            "-m",
            "postman.run",
            "--env",
            "postman/render.postman_environment.json",
        ]
        argv += ["--base-url", self.urls[path], "--json-out", str(out)]
        return self.command(name, argv, path=path, background=background)

    def evidence(self) -> None:
        argv = [sys.executable, "-m", "evidence", "--target", "render"]
        argv += ["--reports-dir", str(self.run.reports.root)]
        argv += ["--locust-scenarios", "light", "--locust-run-time", self.args.locust_run_time]
        self.command("evidence", argv)

    def failing_test(self, scratch: Path) -> None:
        """One test that takes `target` and `api` and fails: its failure output (terminal,
        JUnit, report.html, results.json, with locals and long tracebacks) is part of what
        the leak scan reads. It sits in a temporary directory whose conftest.py loads the
        project's, so it runs with the suites' options, fixtures and reports."""
        directory = scratch / "failing"
        directory.mkdir()
        (directory / "conftest.py").write_text(FAILING_CONFTEST.format(root=ROOT / "conftest.py"))
        test = directory / "test_rehearsal_failure.py"
        test.write_text(FAILING_TEST)
        root = self.run.pytest_root("failing-test")
        argv = [sys.executable, "-m", "pytest", "--target=render", f"--reports-dir={root}"]
        argv += ["-l", "--tb=long", "-p", "no:cacheprovider", "-c", str(ROOT / "pyproject.toml")]
        argv.append(str(test))

        def check(text: str) -> str | None:
            pytest_dir = root / "render" / "pytest"
            wanted = ("junit.xml", "report.html", "results.json")
            missing = [f for f in wanted if not (pytest_dir / f).exists()]
            if missing:
                return f"no {', '.join(missing)}"
            summary = json.loads((pytest_dir / "results.json").read_text())["summary"]
            return None if summary == {"failed": 1} else f"expected one failure, got {summary}"

        self.command("failing-test", argv, expect=1, check=check)

    # -- the summary --

    def write_summary(self) -> None:
        timings = self.timings()
        lines = [
            f"# Render rehearsal ({time.strftime('%Y-%m-%d %H:%M')})",
            "",
            f"commit {self.facts.get('commit')}; public URL {self.facts.get('public_url')} "
            f"(delay proxy, +{self.args.delay_ms:g} ms each way) -> Caddy {self.facts.get('edge')} "
            f"(tls internal, CA {self.facts.get('ca_bundle')}) -> the start command; "
            f"AUTH_FAILURE_LIMIT {self.facts.get('auth_failure_limit')}; total "
            f"{self.facts.get('total_s', 0):.0f} s",
            "",
            "| step | result | seconds | path | detail |",
            "|---|---|---|---|---|",
        ]
        for o in self.outcomes:
            detail = o.detail.replace("|", "\\|")
            lines.append(
                f"| {o.name} | {'ok' if o.ok else 'FAILED'} | {o.seconds:.1f} | {o.path} | {detail} |"
            )
        if timings:
            lines += ["", "| the same run | +latency | direct | difference |", "|---|---|---|---|"]
            lines += [f"| {n} | {a:.1f} s | {b:.1f} s | {a - b:+.1f} s |" for n, a, b in timings]
        text = "\n".join(lines) + "\n"
        self.run.summary_md.write_text(text)
        self.run.summary_json.write_text(
            json.dumps(
                {
                    "facts": self.facts,
                    "steps": [asdict(o) for o in self.outcomes],
                    "timings": [{"run": n, "latency_s": a, "direct_s": b} for n, a, b in timings],
                },
                indent=2,
                default=str,
            )
        )
        print("\n" + text, flush=True)

    def timings(self) -> list[tuple[str, float, float]]:
        by_name = {o.name: o for o in self.outcomes}
        pairs = [
            ("pytest --target=render", "pytest-1", "pytest-2"),
            ("suites/smoke.py", "smoke-warm", "smoke-direct"),
            ("python -m postman.run (warm)", "postman-warm", "postman-direct"),
        ]
        return [
            (label, by_name[a].seconds, by_name[b].seconds)
            for label, a, b in pairs
            if a in by_name and b in by_name
        ]


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return re.sub(r"\s+", " ", lines[-1])[:200] if lines else "(no output)"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tooling.rehearsal", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--reports-dir",
        default=str(Reports.default().rehearsal),
        help="the rehearsal's own reports root (default reports/rehearsal)",
    )
    parser.add_argument("--delay-ms", type=float, default=30.0, help="added each way")
    parser.add_argument("--cold-start-s", type=float, default=20.0, help="edge up, service down")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REHEARSAL_REDIS_URL")
        or re.sub(r"/\d*$", "", os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379")
        + "/14",
        help="Key Value's stand-in (default: TEST_REDIS_URL's server, database 14)",
    )
    parser.add_argument(
        "--auth-failure-limit",
        default=None,
        help="override render.yaml's AUTH_FAILURE_LIMIT (default: the blueprint's own)",
    )
    parser.add_argument("--locust-run-time", default="20s", help="the evidence run's Locust light")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="STEP",
        help="await-deploy, smoke, curl, pytest-1, pytest-2, postman, evidence, failing-test",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    return Rehearsal(parse_args(argv)).main()


if __name__ == "__main__":
    sys.exit(main())
