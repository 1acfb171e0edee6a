"""Running the registered steps against one target: console progress, subprocesses whose
output is streamed (masked) to the console and to a log, the live service the smoke, curl
and Swagger steps talk to, and the run manifest.

A step never raises: a failure is a StepResult, so the page can show it instead of the run
stopping half-way (a step that does raise is caught here and recorded as failed).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from evidence.model import FAILED, PASSED, SKIPPED, StepResult, skipped
from evidence.step import Step
from suites.support.recording import service_build
from tooling.layout import ROOT, Reports, TargetReports
from tooling.target import Target

SILENCE_TICK_S = 30  # print a "still running" line after this long without output


def clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{seconds:.1f}s"


class Progress:
    """Console progress: which step, and how long the step and the run have taken."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.index = 0
        self.run_started = time.monotonic()
        self.step_started = self.run_started

    def elapsed(self) -> str:
        return clock(time.monotonic() - self.run_started)

    def start(self, step: Step) -> None:
        self.index += 1
        self.step_started = time.monotonic()
        print(f"\n== [{self.index}/{self.total}] {step.title}  (run {self.elapsed()})", flush=True)

    def note(self, text: str) -> None:
        step = clock(time.monotonic() - self.step_started)
        print(f"   .. {text} (step {step}, run {self.elapsed()})", flush=True)

    def finish(self, result: StepResult) -> None:
        mark = {PASSED: "OK", FAILED: "FAILED", SKIPPED: "skipped"}[result.status]
        detail = f": {result.detail}" if result.detail else ""
        print(f"== {mark} {result.name} in {clock(result.duration_s)}{detail}", flush=True)


@dataclass
class Context:
    """What a step's `run` gets: the target (for a live step of a local run, the evidence
    run's own service), where its artifacts go, the console, and the CLI options."""

    step: Step
    target: Target
    root: Reports
    progress: Progress
    options: argparse.Namespace

    def __post_init__(self) -> None:
        self.started = time.monotonic()

    @property
    def reports(self) -> TargetReports:
        return self.root.target(self.target.kind)

    @property
    def name(self) -> str:
        """The name of this run's own artifacts (`smoke-local.txt`, `curl/render/`): the
        target's kind, so they sort first among the suites' per-backend ones."""
        return self.target.kind

    def log(self, suffix: str = "") -> Path:
        return self.reports.log(self.step.name + (f"-{suffix}" if suffix else ""))

    def env(self) -> dict[str, str]:
        """The target through the environment (never argv: `ps` shows argv to everyone)."""
        return {**os.environ, "PYTHONUNBUFFERED": "1", "EVIDENCE_RUN": "1", **self.target.env()}

    def command(self, command: list[str], log: Path) -> tuple[int, str]:
        """Run `command` from the project root; returns its exit code and masked output."""
        return run_command(command, env=self.env(), log=log, ctx=self)

    def result(
        self,
        ok: bool,
        detail: str,
        commands: list[list[str] | str] = (),
        codes: list[int] = (),
        log: Path | None = None,
    ) -> StepResult:
        return StepResult(
            self.step.name,
            PASSED if ok else FAILED,
            round(time.monotonic() - self.started, 1),
            detail,
            [self.target.mask(c if isinstance(c, str) else " ".join(c)) for c in commands],
            list(codes),
            self.root.relative(log) if log else None,
        )

    def single(self, command: list[str], after: Callable[[], str] = str) -> StepResult:
        """The common case: one command, passed when it exits 0; the detail is the exit code
        and what `after()` reads from the artifact it left."""
        log = self.log()
        code, _ = self.command(command, log)
        return self.result(code == 0, f"exit {code}{after()}", [command], [code], log)


def run_command(command: list[str], *, env: dict[str, str], log: Path, ctx: Context):
    """Run a subprocess, echoing its output (masked) to the console and to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    shown = ctx.target.mask(" ".join(command))
    print(f"   $ {shown}", flush=True)
    last_output = time.monotonic()
    done = threading.Event()
    lines: list[str] = []

    def tick() -> None:
        nonlocal last_output
        while not done.wait(5):
            if time.monotonic() - last_output >= SILENCE_TICK_S:
                ctx.progress.note("still running")
                last_output = time.monotonic()

    threading.Thread(target=tick, daemon=True).start()
    try:
        with log.open("w", encoding="utf-8") as handle:
            handle.write(f"$ {shown}\n")
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
            )
            assert process.stdout is not None
            for line in process.stdout:
                line = ctx.target.mask(line)
                sys.stdout.write("   | " + line)
                handle.write(line)
                lines.append(line)
                last_output = time.monotonic()
            return process.wait(), "".join(lines)
    finally:
        done.set()


@contextmanager
def live_service(target: Target, reports: TargetReports) -> Iterator[Target]:
    """For `local`: the evidence run's own service (fresh SQLite database, generated webhook
    secret). For a deployment: the deployment, once it answers (free plans sleep)."""
    from tooling.servers import local_server, warm_up

    if not target.is_local:
        warm_up(target.base_url, target.warmup_timeout)
        yield target
        return
    from tooling.databases import sqlite_database

    with (
        tempfile.TemporaryDirectory(prefix="evidence-") as scratch,
        sqlite_database(Path(scratch)) as url,
    ):
        log = reports.log("service")
        log.unlink(missing_ok=True)
        started = time.monotonic()
        with local_server(url, log) as server:
            print(
                f"\n== local service for the live steps: {server.base_url} "
                f"(SQLite, up in {time.monotonic() - started:.1f}s)",
                flush=True,
            )
            yield target.started(server, "sqlite")


def service_version(target: Target) -> str | None:
    """info.version of the running service's /openapi.json (at the server root)."""
    if not target.base_url:
        return None
    import requests

    try:
        return requests.get(f"{target.origin}/openapi.json", timeout=30).json()["info"]["version"]
    except (requests.RequestException, ValueError, KeyError, TypeError):
        return None


def run_steps(
    steps: list[Step], wanted: list[Step], target: Target, root: Reports, options, meta: dict
) -> list[StepResult]:
    """Run `wanted` in registry order; a step not wanted is recorded as skipped. The live
    service is up from the first live step to the next step that is not live."""
    progress = Progress(len(wanted))
    results = {}
    service = ExitStack()
    live: Target | str | None = None  # the running service, or why it did not start
    try:
        for step in wanted:
            if not step.live and live is not None:
                service.close()
                live = None
            if step.live and live is None:
                live = _start(service, target, root, meta)
            progress.start(step)
            if step.live and isinstance(live, str):
                result = StepResult(step.name, FAILED, 0.0, live)
            else:
                ctx = Context(step, live if step.live else target, root, progress, options)
                result = _guarded(step, ctx)
            progress.finish(result)
            results[step.name] = result
    finally:
        service.close()
    if meta.get("version") is None and not target.is_local:
        meta["version"] = service_version(target)
    if meta.get("service") is None and not target.is_local:
        meta["service"] = service_build(target.base_url)
    runnable = [s for s in steps if s.run]
    return [results.get(s.name) or skipped(s.name, f"--skip-{s.name}") for s in runnable]


def _start(service: ExitStack, target: Target, root: Reports, meta: dict) -> Target | str:
    try:
        live = service.enter_context(live_service(target, root.target(target.kind)))
    except Exception as exc:  # a service that does not start, a deployment that sleeps on
        service.close()
        first = str(exc).splitlines()[0] if str(exc) else ""
        what = "local service did not start" if target.is_local else "deployment not reachable"
        return f"{what}: {exc.__class__.__name__}: {first}"
    meta["base_url"] = live.base_url
    if meta.get("version") is None:
        meta["version"] = service_version(live)
    meta["service"] = service_build(live.base_url)  # the build that answered the live steps
    return live


def _guarded(step: Step, ctx: Context) -> StepResult:
    assert step.run is not None
    try:
        return step.run(ctx)
    except Exception as exc:
        return ctx.result(False, f"{exc.__class__.__name__}: {exc}")


def write_manifest(path: Path, meta: dict, results: list[StepResult], titles: dict) -> None:
    """What this run did, step by step: the page's source for step status and timing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    steps = [asdict(r) | {"title": titles.get(r.name, r.name)} for r in results]
    path.write_text(json.dumps({**meta, "steps": steps}, indent=2))
