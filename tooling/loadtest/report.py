"""A finished run's summary: `<scenario>_summary.{json,md}` and the runner's exit status.

Built from Locust's final JSON and `_outcomes.json` (tooling/loadtest/summarize.py reads and
renders them), the CPU each process used (with CPU ms per request), the capacity steps of a
stepped run, the py-spy hot spots and the thresholds, checked again on the final figures.
"""

import json
import subprocess
import time
from pathlib import Path

import psutil

from tooling.layout import ROOT
from tooling.loadtest import thresholds
from tooling.loadtest.cpu import CpuSampler
from tooling.loadtest.options import overrides
from tooling.loadtest.summarize import capacity_steps, hot_spots, markdown, stats_from_json
from tooling.target import Target

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


def finish(args, scenario, target, sampler, prefix, profile_path, limits, code: int) -> int:
    """Summarise the run Locust ended with `code`; the runner's exit status."""
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
