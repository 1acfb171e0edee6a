"""The Locust scenarios, each run by `python -m tooling.loadtest` (which starts its own
service for `local`), then a screenshot of each Locust HTML dashboard. The artifact per
scenario is the runner's `<scenario>_summary.json` (it records `run.target_kind`), with the
stats history for the charts.
"""

import sys
from dataclasses import dataclass, field
from pathlib import Path

from evidence.charts import history_charts
from evidence.model import (
    FAILED,
    MISSING,
    PASSED,
    Artifact,
    StepResult,
    existing,
    foreign,
    mtime,
    read_json,
    trusted,
)
from evidence.runner import Context
from evidence.step import Delta, Step
from tooling import capabilities
from tooling.browser import BrowserMissing, capture_file
from tooling.layout import TargetReports
from tooling.target import REMOTE_CHOICES

SCENARIO_ORDER = ("light", "heavy", "capacity")
REQUIRED_SCENARIOS = ("light", "heavy")


@dataclass
class Mix:
    """Reads (GET) vs writes, as requests actually sent."""

    reads: int = 0
    writes: int = 0

    @property
    def read_share(self) -> float | None:
        total = self.reads + self.writes
        return round(self.reads / total, 3) if total else None

    @property
    def ratio(self) -> float | None:
        return round(self.reads / self.writes, 1) if self.writes else None


@dataclass(kw_only=True)
class Scenario(Artifact):
    name: str
    run: dict  # the runner's description of the run (load, target, duration_s, cpu_count...)
    aggregated: dict | None
    endpoints: list[dict]
    cpu: dict = field(default_factory=dict)
    capacity: dict | None = None
    profiled: dict | None = None
    mix: Mix = field(default_factory=Mix)
    charts: dict | None = None
    dashboard: Path | None = None
    html: Path | None = None

    @property
    def source(self) -> str:
        return self.path.name

    @property
    def succeeded(self) -> bool:
        return bool(self.aggregated) and not self.aggregated.get("failures")


def read(reports: TargetReports) -> dict[str, Scenario]:
    directory = reports.locust
    order = {name: i for i, name in enumerate(SCENARIO_ORDER)}
    names = {p.name.removesuffix("_summary.json") for p in directory.glob("*_summary.json")}
    scenarios = {}
    for name in sorted(names, key=lambda n: (order.get(n, 99), n)):
        path = directory / f"{name}_summary.json"
        summary = read_json(path)
        if not isinstance(summary, dict):
            continue
        run = summary.get("run") or {}
        endpoints = summary.get("endpoints") or []
        history = directory / f"{name}_stats_history.csv"
        profiled = read_json(directory / "profiled" / f"{name}_summary.json") or {}
        scenarios[name] = Scenario(
            path=path,
            when=mtime(path),
            foreign=foreign(reports, kind=run.get("target_kind")),
            name=name,
            run=run,
            aggregated=summary.get("aggregated"),
            endpoints=endpoints,
            cpu=summary.get("cpu") or {},
            capacity=summary.get("capacity"),
            profiled=profiled.get("profile")
            and {"run": profiled.get("run"), **profiled["profile"]},
            mix=Mix(
                sum(e.get("requests") or 0 for e in endpoints if e.get("method") == "GET"),
                sum(
                    e.get("requests") or 0 for e in endpoints if e.get("method") not in ("GET", "")
                ),
            ),
            charts=history_charts(history, name) if history.exists() else None,
            dashboard=existing(directory / f"{name}_dashboard.png"),
            html=existing(directory / f"{name}.html"),
        )
    return scenarios


def status(scenarios: dict[str, Scenario]) -> tuple[str, str]:
    refused = [f"{n}: {s.foreign}" for n, s in scenarios.items() if s.foreign]
    failing = [s for s in REQUIRED_SCENARIOS if s in scenarios and not scenarios[s].succeeded]
    missing = [s for s in REQUIRED_SCENARIOS if s not in scenarios]
    if refused:
        return FAILED, "refused: " + "; ".join(refused)
    if failing:
        return FAILED, "failures in " + ", ".join(failing)
    if missing:
        return MISSING, "no " + ", ".join(missing) + " run in reports/"
    return PASSED, ""


def run(ctx: Context) -> StepResult:
    target, out = ctx.target, ctx.reports.locust
    scenarios = [s.strip() for s in ctx.options.locust_scenarios.split(",") if s.strip()]
    commands, codes, problems = [], [], []
    for scenario in scenarios:
        ctx.progress.note(f"scenario {scenario}")
        command = [sys.executable, "-m", "tooling.loadtest", scenario]
        if target.kind in REMOTE_CHOICES:
            command += ["--target", target.kind]
        if not target.is_local:
            command += ["--base-url", target.base_url or ""]
            command += ["--warmup-timeout", f"{target.warmup_timeout:g}"]
        command += ["--run-time", ctx.options.locust_run_time, "--results-dir", str(out)]
        code, _ = ctx.command(command, ctx.log(scenario))
        commands.append(command)
        codes.append(code)
        if code != 0:
            problems.append(f"{scenario}: exit {code}")
        problem = _screenshot(out / f"{scenario}.html", out / f"{scenario}_dashboard.png")
        if problem:
            problems.append(f"{scenario}: {problem}")
    detail = "; ".join(problems) or f"{', '.join(scenarios)} ({ctx.options.locust_run_time} each)"
    return ctx.result(not problems, detail, commands, codes, ctx.log().parent)


def _screenshot(html: Path, png: Path) -> str | None:
    """The dashboard's screenshot, or why there is none (a missing browser fails the step
    only where one is required)."""
    if not html.exists():
        return f"no {html.name}"
    try:
        capture_file(html, png)
    except BrowserMissing as exc:
        print(f"   !! no dashboard screenshot: {exc}", flush=True)
        return str(exc) if capabilities.required("chromium") else None
    except Exception as exc:
        return f"dashboard screenshot: {exc.__class__.__name__}: {exc}"
    return None


def compare(local: dict[str, Scenario], remote: dict[str, Scenario]) -> list[Delta]:
    local, remote = trusted(local) or {}, trusted(remote) or {}
    rows = []
    for scenario in SCENARIO_ORDER:
        a = (local.get(scenario) and local[scenario].aggregated) or None
        b = (remote.get(scenario) and remote[scenario].aggregated) or None
        if a and b:
            group = f"Locust {scenario}"
            for key, unit in (("median", "ms"), ("p95", "ms"), ("p99", "ms"), ("rps", "req/s")):
                rows.append(Delta(group, key, a.get(key), b.get(key), unit))
            rows.append(Delta(group, "error rate", a.get("error_rate"), b.get("error_rate")))
    return rows


def reflection(by_kind: dict, remote_kind: str | None) -> dict:
    return {
        "locust": trusted(by_kind.get("local")) or {},
        "remote_locust": trusted(by_kind.get(remote_kind)) or {} if remote_kind else {},
    }


OPTIONS = (
    (("--locust-scenarios",), {"default": "light,heavy", "help": "comma-separated"}),
    (("--locust-run-time",), {"default": "60s", "help": "per scenario, e.g. 60s, 2m"}),
)
STEP = Step(
    "locust",
    "Locust light + heavy",
    60,
    read,
    run,
    status=status,
    options=OPTIONS,
    reflection=reflection,
    compare=compare,
)
