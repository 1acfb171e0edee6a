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


@dataclass
class Limit:
    """One stated threshold and how it fared: for `each`, over every endpoint (the worst one
    shown), as k6 prints one line per threshold."""

    spec: str
    metric: str
    limit: float
    met: bool
    observed: float | None  # total's value, or the worst endpoint's
    subject: str  # "total", or the worst endpoint for `each`
    subjects: int  # how many it was checked on
    missed: list[str] = field(default_factory=list)


def _limits(record: dict) -> list[Limit]:
    by_spec: dict[str, list[dict]] = {}
    for outcome in record.get("results") or []:
        by_spec.setdefault(outcome["threshold"], []).append(outcome)
    limits = []
    for spec in record.get("limits") or []:
        outcomes = by_spec.get(spec, [])
        worst = max(
            outcomes, key=lambda o: (o["observed"] is None, o["observed"] or 0), default=None
        )
        limits.append(
            Limit(
                spec,
                worst["metric"] if worst else "",
                worst["limit"] if worst else 0.0,
                all(o["met"] for o in outcomes),
                worst and worst["observed"],
                worst["subject"] if worst else "",
                len(outcomes),
                [o["subject"] for o in outcomes if not o["met"]],
            )
        )
    return limits


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
    thresholds: dict | None = None  # the runner's record: limits, results, met

    @property
    def source(self) -> str:
        return self.path.name

    @property
    def limits(self) -> list[Limit]:
        return _limits(self.thresholds) if self.thresholds else []

    def mark(self, subject: str, metric: str) -> dict | None:
        """The outcome of the limit on `metric` for one table row ("total" or "GET /x")."""
        for outcome in (self.thresholds or {}).get("results") or []:
            if outcome["subject"] == subject and outcome["metric"] == metric:
                return outcome
        return None

    @property
    def missed(self) -> list[str]:
        return [
            f"{o['subject']} {o['threshold'].split(':', 1)[1].strip()} ({_observed(o)})"
            for o in (self.thresholds or {}).get("results") or []
            if not o["met"]
        ]

    @property
    def succeeded(self) -> bool:
        if not self.aggregated:
            return False
        if self.thresholds is not None:  # the limits stated for the run decide
            return bool(self.thresholds.get("met"))
        return not self.aggregated.get("failures")  # older runs: no failure at all


def _observed(outcome: dict) -> str:
    value = outcome["observed"]
    if value is None:
        return "no requests"
    return f"{value * 100:.2f} %" if outcome["metric"] == "error_rate" else f"{value:g} ms"


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
            thresholds=summary.get("thresholds"),
        )
    return scenarios


def status(scenarios: dict[str, Scenario]) -> tuple[str, str]:
    """Failed when a required scenario missed one of its thresholds (or, for a run that
    recorded none, had a failure); the note names what was missed, or what held."""
    refused = [f"{n}: {s.foreign}" for n, s in scenarios.items() if s.foreign]
    failing = [s for s in REQUIRED_SCENARIOS if s in scenarios and not scenarios[s].succeeded]
    missing = [s for s in REQUIRED_SCENARIOS if s not in scenarios]
    if refused:
        return FAILED, "refused: " + "; ".join(refused)
    if failing:
        reasons = []
        for name in failing:
            scenario = scenarios[name]
            if scenario.thresholds is not None and scenario.missed:
                shown = scenario.missed[:3] + (["..."] if len(scenario.missed) > 3 else [])
                reasons.append(f"{name}: threshold missed: " + ", ".join(shown))
            else:
                reasons.append(f"{name}: failures")
        return FAILED, "; ".join(reasons)
    if missing:
        return MISSING, "no " + ", ".join(missing) + " run in reports/"
    held = []
    for name in REQUIRED_SCENARIOS:
        record = scenarios[name].thresholds
        if record is None:
            held.append(f"{name}: no failures (no thresholds recorded)")
        else:
            held.append(f"{name}: {len(record.get('results') or [])} thresholds met")
    return PASSED, "; ".join(held)


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
        for limit in getattr(ctx.options, "locust_threshold", None) or []:
            command += ["--threshold", limit]
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
    (
        ("--locust-threshold",),
        {
            "action": "append",
            "default": [],
            "metavar": "LIMIT",
            "help": "a pass/fail limit for every scenario, e.g. 'total: p99<300' (repeatable; "
            "overrides the scenario's default of the same scope and metric; also "
            "LOCUST_THRESHOLDS; see tooling/loadtest/thresholds.py)",
        },
    ),
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
