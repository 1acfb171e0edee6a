"""Run one named Locust scenario headless against a target and summarise it.

    python -m tooling.loadtest light                      # starts the service locally
    python -m tooling.loadtest heavy --run-time 60s
    python -m tooling.loadtest capacity                   # stepped users, no think time
    python -m tooling.loadtest light --target render      # RENDER_URL, WEBHOOK_SECRET
    python -m tooling.loadtest light --base-url URL       # WEBHOOK_SECRET, API_KEY

The users live in `locust/` (locustfile.py, capacity_shape.py). Locust runs as a subprocess
(`python -m locust`, cwd = project root) and writes to the results dir (default
reports/<kind>/locust/): `<scenario>_{stats,stats_history,failures,exceptions}.csv`,
`<scenario>.html`, `<scenario>.json` (final stats: the source of truth for totals) and
`<scenario>_outcomes.json`; this runner adds `<scenario>_summary.{json,md}` with
per-endpoint median/p95/p99/RPS/error rate, the CPU each process used, and the thresholds.

Thresholds (tooling/loadtest/thresholds.py): p95/p99 and failure-rate limits in total and per
endpoint, with defaults per scenario (light and heavy: the assignment's loads), overridden by
LOCUST_THRESHOLDS and `--threshold 'total: p99<250'` (repeatable; `--no-default-thresholds`
drops the defaults). They are stated before the run, checked by Locust when it quits and again
here on the final JSON, and recorded in the summary with each observed value.

Exit status: 0 when every threshold is met (without thresholds: Locust's, 0 = no failures),
3 when one is missed, 2 when the run could not start.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from tooling.layout import ROOT, Reports
from tooling.loadtest import thresholds
from tooling.loadtest.cpu import CpuSampler
from tooling.loadtest.summarize import capacity_steps, hot_spots, markdown, stats_from_json
from tooling.servers import throwaway_service, warm_up
from tooling.target import Target, TargetError, add_options, from_options, trust_ca

P99_TARGET_MS = 100.0
OUTPUTS = (  # what one run writes, after the scenario name
    ".html",
    ".json",
    "_stats.csv",
    "_stats_history.csv",
    "_failures.csv",
    "_exceptions.csv",
    "_outcomes.json",
    "_locust.log",
    "_service.log",
    "_profile.txt",
    "_summary.json",
    "_summary.md",
)


@dataclass(frozen=True)
class Scenario:
    users: int = 0
    spawn_rate: float = 0
    run_time: str = "60s"
    stepped: bool = False  # capacity: users come from capacity_shape.py, no think time


SCENARIOS = {
    "light": Scenario(users=25, spawn_rate=5),
    "heavy": Scenario(users=200, spawn_rate=20),
    "capacity": Scenario(stepped=True),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    target = parser.add_argument_group("target (the same options as the suites)")
    add_options(target.add_argument)
    target.add_argument("--workers", type=int, default=1, help="local: uvicorn workers")
    target.add_argument(
        "--database",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="local: postgres needs TEST_DATABASE_URL",
    )
    load = parser.add_argument_group("load")
    load.add_argument("--run-time", help="e.g. 60s, 2m (light/heavy; default 60s)")
    load.add_argument("--users", type=int, help="override the scenario's users")
    load.add_argument("--spawn-rate", type=float, help="override the scenario's spawn rate")
    load.add_argument("--steps", default="10,20,40,80,160", help="capacity: users per step")
    load.add_argument("--step-seconds", type=float, default=20.0, help="capacity: step length")
    load.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="LIMIT",
        help="a pass/fail limit, e.g. 'total: p95<100', 'each: error_rate<1%%', "
        "'POST /orders: p99<250' (repeatable; overrides the scenario's default of the same "
        f"scope and metric; also ${thresholds.THRESHOLDS_ENV}, ';'-separated)",
    )
    load.add_argument(
        "--no-default-thresholds",
        action="store_true",
        help="only the limits given by --threshold / the environment",
    )
    load.add_argument(
        "--skip-pay",
        action="store_true",
        default=_env_flag("LOCUST_SKIP_PAY"),
        help="do not call the payment webhook (or LOCUST_SKIP_PAY=1)",
    )
    out = parser.add_argument_group("output")
    out.add_argument(
        "--results-dir", type=Path, help="default: reports/<kind>/locust (tooling.layout)"
    )
    out.add_argument(
        "--py-spy",
        type=float,
        metavar="SECONDS",
        default=0,
        help="local: profile the service with py-spy for this long, once spawned",
    )
    return parser.parse_args(argv)


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")


# --- targets ---------------------------------------------------------------------------------


@dataclass
class Running:
    """The target under load, as this run reaches it."""

    target: Target
    description: str
    service_pid: int | None = None


@contextmanager
def open_target(args: argparse.Namespace, target: Target, results: Path):
    if not target.is_local:
        try:
            warm_up(target.base_url, target.warmup_timeout)
        except TimeoutError as exc:
            raise SystemExit(str(exc)) from None
        yield Running(target, f"{target.kind} {target.base_url}")
        return
    log_path = results / f"{args.scenario}_service.log"
    with (
        tempfile.TemporaryDirectory(prefix="locust-db-") as scratch,
        throwaway_service(args.database, Path(scratch), log_path, workers=args.workers) as server,
    ):
        workers = f"{args.workers} uvicorn worker{'s' * (args.workers > 1)}"
        yield Running(
            target.started(server, args.database),
            f"local ({workers}, {args.database}, {server.base_url})",
            server.process.pid,
        )


# --- running Locust --------------------------------------------------------------------------


def chosen_thresholds(args: argparse.Namespace) -> list[thresholds.Threshold]:
    return thresholds.resolve(
        args.scenario,
        os.environ.get(thresholds.THRESHOLDS_ENV),
        args.threshold,
        defaults=not args.no_default_thresholds,
    )


def locust_command(args: argparse.Namespace, scenario: Scenario, host: str, prefix: Path):
    files = ["locust/locustfile.py"] + (["locust/capacity_shape.py"] if scenario.stepped else [])
    command = [sys.executable, "-m", "locust", "-f", ",".join(files), "--headless"]
    command += ["--host", host, "--only-summary", "--outcomes-file", f"{prefix}_outcomes.json"]
    command += ["--csv", str(prefix), "--csv-full-history", "--html", f"{prefix}.html"]
    command += ["--json-file", str(prefix)]  # Locust appends ".json"
    if scenario.stepped:
        command += ["--no-wait", "--capacity-steps", args.steps]
        command += ["--step-seconds", str(args.step_seconds)]
    else:
        command += ["-u", str(args.users or scenario.users)]
        command += ["-r", str(args.spawn_rate or scenario.spawn_rate)]
        command += ["-t", args.run_time or scenario.run_time]
    if args.skip_pay:
        command.append("--skip-pay")
    limits = chosen_thresholds(args)
    if limits:
        command += ["--thresholds", "; ".join(t.spec for t in limits)]
    return command


def locust_env(target: Target) -> dict[str, str]:
    """Secrets go to Locust through the environment, not argv (`ps` shows argv)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("LOCUST_SKIP_PAY", None)  # passed as --skip-pay when wanted
    env.pop(thresholds.THRESHOLDS_ENV, None)  # resolved here, passed as --thresholds
    return env | target.env()


def run_locust(command: list[str], env: dict[str, str], log_path: Path, on_start) -> int:
    """Run Locust, echoing its output to the console and to `log_path`."""
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        on_start(process.pid)
        for line in process.stdout:
            sys.stdout.write(line)
            log.write(line)
        return process.wait()


def profile_service(pid: int, delay: float, seconds: float, output: Path) -> threading.Thread:
    """py-spy in the background once the users are spawned: `record --native --format raw`
    (blocking sampling, so profile in a separate run from the one you quote figures from)."""

    def record() -> None:
        time.sleep(delay)
        py_spy = Path(sys.executable).with_name("py-spy")
        if not py_spy.exists():
            print("py-spy is not installed: .venv/bin/pip install py-spy==0.4.3", flush=True)
            return
        result = subprocess.run(
            [
                str(py_spy),
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(int(seconds)),
                "--rate",
                "100",
                "--native",  # C frames too: sqlite3, uvloop, the socket write syscalls
                "--format",
                "raw",
                "--output",
                str(output),
            ],
            check=False,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            print(
                f"py-spy failed ({result.returncode}): {result.stderr.strip()[-500:]}", flush=True
            )

    thread = threading.Thread(target=record, name="py-spy", daemon=True)
    thread.start()
    return thread


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scenario = SCENARIOS[args.scenario]
    try:
        selected = from_options(args, need_secret=not args.skip_pay)
        limits = chosen_thresholds(args)
    except (TargetError, thresholds.ThresholdError) as exc:
        print(f"usage: {exc}", file=sys.stderr)
        return 2
    trust_ca(selected)  # the setup's requests and Locust's users (through the environment)
    print(
        f"thresholds ({args.scenario}): " + ("; ".join(t.spec for t in limits) or "none"),
        flush=True,
    )
    results = (args.results_dir or Reports.default().target(selected.kind).locust).resolve()
    results.mkdir(parents=True, exist_ok=True)
    prefix = results / args.scenario
    for name in OUTPUTS:  # only our own files: others (screenshots...) may live here too
        prefix.with_name(args.scenario + name).unlink(missing_ok=True)

    with ExitStack() as stack:
        target = stack.enter_context(open_target(args, selected, results))
        env = locust_env(target.target)
        sampler = stack.enter_context(CpuSampler())
        sampler.watch("machine (all processes)", None)
        if target.service_pid:
            sampler.watch("service", target.service_pid)
        profile_path = prefix.with_name(f"{args.scenario}_profile.txt")
        profiler = None

        def started(pid: int) -> None:
            nonlocal profiler
            sampler.watch("locust", pid)
            if args.py_spy and target.service_pid:
                users = args.users or scenario.users
                # start once every user is spawned (+5 s), so the profile is steady state
                delay = 5 + (users / (args.spawn_rate or scenario.spawn_rate) if users else 0)
                profiler = profile_service(target.service_pid, delay, args.py_spy, profile_path)

        command = locust_command(args, scenario, target.target.base_url, prefix)
        print("$", " ".join(command), flush=True)
        code = run_locust(command, env, prefix.with_name(f"{args.scenario}_locust.log"), started)
        if profiler is not None:
            profiler.join(timeout=args.py_spy + 30)

    if not prefix.with_suffix(".json").exists():
        print(f"Locust wrote no {prefix}.json (exit {code}); see {args.scenario}_locust.log")
        return code or 2
    summary = build_summary(args, scenario, target, sampler, prefix, profile_path)
    if summary["aggregated"] is None:
        print(f"No requests were made (exit {code}); see {args.scenario}_locust.log")
        return code or 2
    outcomes = thresholds.evaluate(limits, summary["endpoints"], summary["aggregated"])
    summary["thresholds"] = thresholds.record(limits, outcomes, args.scenario, overrides(args))
    summary["run"]["exit_code"] = exit_code(code, outcomes)
    text = markdown(summary)
    prefix.with_name(f"{args.scenario}_summary.json").write_text(json.dumps(summary, indent=2))
    prefix.with_name(f"{args.scenario}_summary.md").write_text(text)
    print("\n" + text)
    print("\n".join(thresholds.report(outcomes)))
    return summary["run"]["exit_code"]


def overrides(args: argparse.Namespace) -> dict:
    """Where the limits came from, beyond the scenario's defaults."""
    return {
        "defaults": not args.no_default_thresholds,
        "environment": thresholds.split(os.environ.get(thresholds.THRESHOLDS_ENV)),
        "command_line": list(args.threshold),
    }


def exit_code(locust_code: int, outcomes: list[thresholds.Outcome]) -> int:
    """Locust's code (its quitting listener already checked the thresholds), unless this
    check of the final JSON finds a limit missed that Locust's live figures let through."""
    if locust_code == 0 and any(not o.met for o in outcomes):
        return thresholds.MISSED_EXIT_CODE
    return locust_code


def build_summary(args, scenario, target, sampler, prefix, profile_path) -> dict:
    stats = stats_from_json(prefix.with_suffix(".json"))
    outcomes_path = prefix.with_name(f"{prefix.name}_outcomes.json")
    outcomes = json.loads(outcomes_path.read_text()) if outcomes_path.exists() else {}
    window = (stats["start"], stats["end"])
    if scenario.stepped:
        load = f"stepped users {args.steps} x {args.step_seconds:g} s, no think time"
    else:
        users, rate = args.users or scenario.users, args.spawn_rate or scenario.spawn_rate
        load = f"{users} users, spawn {rate:g}/s, {args.run_time or scenario.run_time}"
    summary = {
        "run": {
            "scenario": args.scenario,
            "load": load,
            "target": target.description,
            "target_kind": target.target.kind,
            "target_name": target.target.name,
            "pay": not args.skip_pay,
            "run_id": outcomes.get("run_id"),
            "started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stats["start"] or 0)),
            "revision": revision() if target.target.is_local else deployed(target.target),
            "duration_s": stats["duration_s"],
            "cpu_count": psutil.cpu_count(),
        },
        "aggregated": stats["aggregated"],
        "endpoints": stats["endpoints"],
        "expected_non_2xx": outcomes.get("expected_non_2xx", {}),
        "errors": outcomes.get("errors", []),
        "cpu": {name: sampler.usage(name, *window) for name in sampler.samples},
        "files": [
            prefix.name + name
            for name in OUTPUTS
            if name.startswith("_summary") or prefix.with_name(prefix.name + name).exists()
        ],
    }
    summary["cpu"]["locust (whole process)"] = sampler.usage("locust")
    add_cpu_per_request(summary)
    if scenario.stepped:
        summary["capacity"] = capacity(prefix, sampler)
    if profile_path.exists() and profile_path.stat().st_size:
        summary["profile"] = hot_spots(profile_path)
    return summary


def revision() -> str:
    """The code under test: commit, plus "+dirty" for uncommitted changes (local target)."""
    git = ["git", "-C", str(ROOT)]
    try:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        )
        dirty = subprocess.run([*git, "status", "--porcelain", "service"], capture_output=True)
    except OSError:
        return "unknown"
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def deployed(target: Target) -> str:
    """The deployment's commit, as its `/health` reports it."""
    from tooling.await_deploy import served_commit

    commit, _ = served_commit(target.base_url or "")
    return f"deployed build {commit}" if commit else "deployed build (commit not reported)"


def add_cpu_per_request(summary: dict) -> None:
    """CPU ms per request: unlike latency, it barely moves when the shared box is busy, so
    it is the figure to compare before and after a change."""
    requests_done = (summary["aggregated"] or {}).get("requests") or 0
    for name, usage in summary["cpu"].items():
        seconds = usage.get("cpu_seconds")
        usage["ms_per_request"] = (
            round(seconds * 1000 / requests_done, 3)
            if requests_done and seconds is not None and not name.startswith("machine")
            else None
        )


def capacity(prefix: Path, sampler: CpuSampler) -> dict:
    steps = capacity_steps(prefix.with_name(f"{prefix.name}_stats_history.csv"), P99_TARGET_MS)
    for step in steps:
        start, end = step["window"]
        for name in sampler.samples:
            key = name.split(" ")[0]  # "machine (all processes)" -> "machine"
            step[f"{key}_cpu_percent"] = sampler.usage(name, start, end + 1)[
                "avg_percent_of_one_core"
            ]
    passing = [s for s in steps if s["meets_target"]]
    best = max(passing, key=lambda s: s["rps"]) if passing else None
    return {"p99_target_ms": P99_TARGET_MS, "steps": steps, "best": best}


if __name__ == "__main__":
    sys.exit(main())
