"""The evidence steps, each a real run against the target that leaves files in reports/.

Every step runs the project's own tools the way a person or CI would (pytest, the smoke
script, the curl recorder and the Locust runner as subprocesses; the Swagger walk in a
browser), streams their output with the elapsed time, keeps a log under
`reports/evidence/logs/`, and returns a StepResult. A step never raises: a failure is a
result, so the page can show it instead of the run stopping half-way.
"""

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from evidence.layout import ROOT, Layout

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
SILENCE_TICK_S = 30  # print a "still running" line after this long without output
STEP_TITLES = {
    "pytest": "pytest suites (with Postman and Schemathesis)",
    "smoke": "smoke script (suites/smoke.py)",
    "curl": "curl transcript (suites/curl_transcript.py)",
    "swagger": "Swagger UI walk-through (Playwright + Chromium)",
    "locust": "Locust scenarios (locust/run_scenario.py)",
}
LOCUST_RUNNER = ROOT / "locust" / "run_scenario.py"


@dataclass
class StepResult:
    name: str
    status: str
    duration_s: float = 0.0
    detail: str = ""
    commands: list[str] = field(default_factory=list)
    exit_codes: list[int] = field(default_factory=list)
    log: str | None = None

    @property
    def title(self) -> str:
        return STEP_TITLES.get(self.name, self.name)


@dataclass
class Target:
    """What the steps talk to. For `local`, base_url/secret are filled in once the
    evidence run's own service is up (pytest and Locust start their own)."""

    kind: str
    base_url: str | None
    webhook_secret: str | None
    api_key: str | None = None

    def mask(self, text: str) -> str:
        """Commands and logs go into reports: never with the secret or the API key in them."""
        for secret in (self.webhook_secret, self.api_key):
            if secret:
                text = text.replace(secret, "***")
        return text


class Progress:
    """Console progress: which step, and how long the step and the run have taken."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.index = 0
        self.run_started = time.monotonic()
        self.step_started = self.run_started

    def elapsed(self) -> str:
        return _clock(time.monotonic() - self.run_started)

    def start(self, name: str) -> None:
        self.index += 1
        self.step_started = time.monotonic()
        print(
            f"\n== [{self.index}/{self.total}] {STEP_TITLES.get(name, name)}  (run {self.elapsed()})",
            flush=True,
        )

    def note(self, text: str) -> None:
        step = _clock(time.monotonic() - self.step_started)
        print(f"   .. {text} (step {step}, run {self.elapsed()})", flush=True)

    def finish(self, result: StepResult) -> None:
        mark = {PASSED: "OK", FAILED: "FAILED", SKIPPED: "skipped"}[result.status]
        detail = f": {result.detail}" if result.detail else ""
        print(f"== {mark} {result.name} in {_clock(result.duration_s)}{detail}", flush=True)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{seconds:.1f}s"


def run_command(
    command: list[str], *, env: dict[str, str], log: Path, target: Target, progress: Progress
) -> int:
    """Run a subprocess, echoing its output (masked) to the console and to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    shown = target.mask(" ".join(command))
    print(f"   $ {shown}", flush=True)
    last_output = time.monotonic()
    done = threading.Event()

    def tick() -> None:
        while not done.wait(5):
            if time.monotonic() - last_output >= SILENCE_TICK_S:
                progress.note("still running")
                _touch()

    def _touch() -> None:
        nonlocal last_output
        last_output = time.monotonic()

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
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
                line = target.mask(line)
                sys.stdout.write("   | " + line)
                handle.write(line)
                _touch()
            return process.wait()
    finally:
        done.set()


def _env(target: Target, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "EVIDENCE_RUN": "1", **extra}
    if target.webhook_secret:
        env["WEBHOOK_SECRET"] = target.webhook_secret  # env, not argv: `ps` shows argv
    if target.api_key:
        env["API_KEY"] = target.api_key
    return env


def _rel(path: Path, layout: Layout) -> str:
    try:
        return str(path.relative_to(layout.reports))
    except ValueError:
        return str(path)


# --- the steps -------------------------------------------------------------------------------


def pytest_step(
    target: Target, layout: Layout, progress: Progress, extra_args: list[str]
) -> StepResult:
    """`python -m pytest` (local: it starts its own servers) or the deployment variant,
    with conftest's --reports-dir pointing at this evidence run's pytest directory."""
    command = [sys.executable, "-m", "pytest"]
    if target.kind != "local":
        if target.kind in ("render", "ngrok"):
            command.append(f"--target={target.kind}")
        command += ["--base-url", target.base_url or "", "-m", "not heavy"]
    out = layout.pytest_dir(target.kind)
    out.mkdir(parents=True, exist_ok=True)
    command += ["--reports-dir", str(out), *extra_args]
    log = layout.log_file("pytest", target.kind)
    started = time.monotonic()
    code = run_command(command, env=_env(target), log=log, target=target, progress=progress)
    detail = _pytest_detail(out / "results.json", code)
    return _command_result("pytest", command, code, started, detail, log, target, layout)


def _command_result(
    name: str,
    command: list[str],
    code: int,
    started: float,
    detail: str,
    log: Path,
    target: Target,
    layout: Layout,
) -> StepResult:
    """A step that ran one command: passed when it exited 0."""
    return StepResult(
        name,
        PASSED if code == 0 else FAILED,
        round(time.monotonic() - started, 1),
        detail,
        [target.mask(" ".join(command))],
        [code],
        _rel(log, layout),
    )


def _pytest_detail(results: Path, code: int) -> str:
    try:
        summary = json.loads(results.read_text())["summary"]
    except (OSError, ValueError, KeyError):
        return f"exit {code}; no results.json"
    counts = ", ".join(f"{n} {k}" for k, n in sorted(summary.items()))
    return f"exit {code}; {counts or 'no tests'}"


def smoke_step(target: Target, layout: Layout, progress: Progress) -> StepResult:
    """The assignment's plain-requests script; its whole output is the artifact."""
    out = layout.smoke_file(target.kind)
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "suites/smoke.py"]
    started = time.monotonic()
    code = run_command(
        command,
        env=_env(target, BASE_URL=target.base_url or ""),
        log=out,
        target=target,
        progress=progress,
    )
    text = out.read_text(encoding="utf-8")
    # the artifact is the script's own output: drop the "$ command" line the log starts with
    out.write_text(text.split("\n", 1)[1] if text.startswith("$ ") else text, encoding="utf-8")
    ok = code == 0 and "SMOKE OK" in text
    return StepResult(
        "smoke",
        PASSED if ok else FAILED,
        round(time.monotonic() - started, 1),
        f"exit {code}" + ("" if "SMOKE OK" in text else "; no SMOKE OK line"),
        [target.mask(f"BASE_URL={target.base_url} WEBHOOK_SECRET=*** {' '.join(command)}")],
        [code],
        _rel(out, layout),
    )


def curl_step(target: Target, layout: Layout, progress: Progress) -> StepResult:
    out = layout.curl_dir(target.kind)
    command = [sys.executable, "suites/curl_transcript.py", "--base-url", target.base_url or ""]
    command += ["--webhook-secret", target.webhook_secret or "", "--out", str(out)]
    if target.api_key:
        command += ["--api-key", target.api_key]
    log = layout.log_file("curl", target.kind)
    started = time.monotonic()
    code = run_command(command, env=_env(target), log=log, target=target, progress=progress)
    detail = f"exit {code}"
    try:
        steps = json.loads((out / "transcript.json").read_text())["steps"]
        bad = [s["title"] for s in steps if not s["ok"]]
        detail += f"; {len(steps) - len(bad)}/{len(steps)} steps as documented"
        if bad:
            detail += " (unexpected: " + ", ".join(bad) + ")"
    except (OSError, ValueError, KeyError):
        detail += "; no transcript.json"
    return _command_result("curl", command, code, started, detail, log, target, layout)


def swagger_step(target: Target, layout: Layout, progress: Progress) -> StepResult:
    """In-process (Playwright's sync API); a missing Chromium is a failed step that says
    how to install it."""
    from evidence import swagger

    out = layout.screens_dir(target.kind)
    started = time.monotonic()
    command = f"python -m evidence.swagger --base-url {target.base_url} --out {out}"
    print(f"   $ {command}", flush=True)
    try:
        record = swagger.walk(target.base_url or "", out, api_key=target.api_key)
    except Exception as exc:
        return StepResult(
            "swagger",
            FAILED,
            round(time.monotonic() - started, 1),
            f"{exc.__class__.__name__}: {exc}",
            [command],
        )
    for step in record["steps"]:
        print(
            f"   | {step['index']:02d} {step['slug']}: HTTP {step['status']} ({step['problem'] or 'ok'})"
        )
    shots = [s for s in record["steps"] if s["ok"]]
    detail = f"{len(shots)}/{len(record['steps'])} steps as expected"
    if record.get("error"):
        detail += f"; {record['error']}"
    return StepResult(
        "swagger",
        PASSED if record["ok"] else FAILED,
        round(time.monotonic() - started, 1),
        detail,
        [command],
    )


def locust_step(
    target: Target, layout: Layout, progress: Progress, scenarios: list[str], run_time: str
) -> StepResult:
    """locust/run_scenario.py per scenario (it starts its own service for `local`), then a
    screenshot of each Locust HTML dashboard."""
    started = time.monotonic()
    if not LOCUST_RUNNER.exists():
        return StepResult("locust", FAILED, 0.0, f"{LOCUST_RUNNER.relative_to(ROOT)} not found")
    out = layout.locust_dir(target.kind)
    commands, codes, problems = [], [], []
    for scenario in scenarios:
        progress.note(f"scenario {scenario}")
        command = [sys.executable, str(LOCUST_RUNNER.relative_to(ROOT)), scenario]
        if target.kind in ("local", "render", "ngrok"):
            command += ["--target", target.kind]
        if target.kind != "local":
            command += ["--base-url", target.base_url or ""]
        command += ["--run-time", run_time, "--results-dir", str(out)]
        log = layout.log_file(f"locust-{scenario}", target.kind)
        code = run_command(command, env=_env(target), log=log, target=target, progress=progress)
        commands.append(target.mask(" ".join(command)))
        codes.append(code)
        if code != 0:
            problems.append(f"{scenario}: exit {code}")
        html = out / f"{scenario}.html"
        if html.exists():
            try:
                from evidence.swagger import capture_file

                capture_file(html, out / f"{scenario}_dashboard.png")
            except Exception as exc:
                problems.append(f"{scenario} dashboard screenshot: {exc.__class__.__name__}: {exc}")
        else:
            problems.append(f"{scenario}: no {html.name}")
    return StepResult(
        "locust",
        FAILED if problems else PASSED,
        round(time.monotonic() - started, 1),
        "; ".join(problems) or f"{', '.join(scenarios)} ({run_time} each)",
        commands,
        codes,
        _rel(layout.evidence_dir / "logs", layout),
    )


def skipped(name: str, why: str) -> StepResult:
    return StepResult(name, SKIPPED, 0.0, why)


def write_manifest(path: Path, meta: dict, results: list[StepResult]) -> None:
    """What this run did, step by step: the page's source for step status and timing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {**meta, "steps": [asdict(r) | {"title": r.title} for r in results]}
    path.write_text(json.dumps(data, indent=2))
