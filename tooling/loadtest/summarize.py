"""Turn Locust's output into a short summary (JSON + Markdown) for the README.

Totals come from Locust's final JSON (`--json-file`), not the CSVs: the CSV writer runs
once a second and does not flush a last time at shutdown, so `_stats.csv` misses the last
second. The JSON holds each endpoint's bucketed response-time histogram (Locust keeps ms
below 100 ms, then 2 significant digits), from which percentiles are computed the way
Locust does; the aggregate merges the histograms. Pure functions; no Locust import (it
monkey-patches the runner's threads with gevent).
"""

import csv
import json
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the checkout: profile paths are shown relative to it

PERCENTILES = {"median": 0.5, "p95": 0.95, "p99": 0.99}


def percentile(histogram: dict[int, int], count: int, fraction: float) -> int | None:
    """Locust's `calculate_response_time_percentile` over a {ms: count} histogram."""
    if count == 0:
        return None
    allowed_above = count - int(count * fraction)
    seen = 0
    for ms in sorted(histogram, reverse=True):
        seen += histogram[ms]
        if seen >= allowed_above:
            return ms
    return 0


def _figures(method: str, name: str, entries: list[dict], duration: float) -> dict:
    histogram: Counter[int] = Counter()
    for entry in entries:
        histogram.update({int(ms): n for ms, n in entry["response_times"].items()})
    requests = sum(e["num_requests"] for e in entries)
    failures = sum(e["num_failures"] for e in entries)
    timed = sum(histogram.values())
    total_ms = sum(e["total_response_time"] for e in entries)
    figures = {"method": method, "name": name, "requests": requests, "failures": failures}
    figures["error_rate"] = round(failures / requests, 4) if requests else 0.0
    figures |= {k: percentile(histogram, timed, f) for k, f in PERCENTILES.items()}
    figures["avg_ms"] = round(total_ms / timed, 1) if timed else None
    figures["max_ms"] = round(max((e["max_response_time"] for e in entries), default=0), 1)
    figures["rps"] = round(requests / duration, 1) if duration else None
    return figures


def stats_from_json(path: Path) -> dict:
    """Per-endpoint and aggregated figures from Locust's `--json-file` output."""
    entries = [e for e in json.loads(path.read_text()) if e["num_requests"] or e["num_failures"]]
    if not entries:
        return {"duration_s": 0, "start": None, "end": None, "endpoints": [], "aggregated": None}
    start = min(e["start_time"] for e in entries)
    end = max(e["last_request_timestamp"] or e["start_time"] for e in entries)
    duration = end - start
    endpoints = [
        _figures(e["method"], e["name"], [e], duration)
        for e in sorted(entries, key=lambda e: (e["name"], e["method"]))
    ]
    return {
        "duration_s": round(duration, 1),
        "start": start,
        "end": end,
        "endpoints": endpoints,
        "aggregated": _figures("", "Aggregated", entries, duration),
    }


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def capacity_steps(history_csv: Path, p99_target_ms: float, window_s: int = 10) -> list[dict]:
    """One row per user-count step, measured over the step's last `window_s` seconds.

    Uses the Aggregated rows of `_stats_history.csv`: cumulative counts give the request
    rate, and its "99%" column is Locust's *current* p99 (a ~10 s sliding window).
    """
    rows = [r for r in read_csv(history_csv) if r["Name"] == "Aggregated"]
    by_users: dict[int, list[dict]] = {}
    for row in rows:
        by_users.setdefault(int(row["User Count"]), []).append(row)
    steps = []
    for users, step_rows in by_users.items():
        if users == 0:
            continue
        last = step_rows[-1]
        t_end = int(last["Timestamp"])
        first = next(r for r in step_rows if int(r["Timestamp"]) >= t_end - window_s)
        span = t_end - int(first["Timestamp"])
        if span < window_s / 2:
            continue  # step too short to measure
        count = int(last["Total Request Count"]) - int(first["Total Request Count"])
        fails = int(last["Total Failure Count"]) - int(first["Total Failure Count"])
        p99 = last["99%"]
        steps.append(
            {
                "users": users,
                "window": [int(first["Timestamp"]), t_end],
                "rps": round(count / span, 1),
                "p99_ms": None if p99 in ("", "N/A") else float(p99),
                "p50_ms": None if last["50%"] in ("", "N/A") else float(last["50%"]),
                "failures": fails,
            }
        )
    for step in steps:
        step["meets_target"] = (
            step["p99_ms"] is not None and step["p99_ms"] < p99_target_ms and not step["failures"]
        )
    return steps


IDLE_MARKERS = ("Condition.wait (threading.py", "epoll_wait", "epoll_pwait")


def hot_spots(raw_profile: Path, top: int = 15) -> dict:
    """Where the service spends its CPU, from py-spy's `--format raw` (collapsed stacks).

    `self`: leaf functions; `packages`: leaf time per top-level package (sqlalchemy,
    fastapi, ...); `project`: inclusive time of the service's own functions, the part the
    team can change directly. Shares are % of the busy samples: stacks of threads parked
    on a lock or of the event loop waiting in epoll (which `--native` reports) are idle.
    """
    own: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    project: Counter[str] = Counter()
    total = 0
    for line in raw_profile.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        if any(marker in stack for marker in IDLE_MARKERS):
            continue
        total += count
        frames = [_function(frame) for frame in stack.split(";") if frame]
        leaf = frames[-1] if frames else "(no Python frame)"
        own[leaf] += count
        packages[_package(leaf)] += count
        for frame in set(frames):
            if "(service/" in frame:
                project[frame] += count

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, round(n / total * 100, 1)) for name, n in counter.most_common(top) if total]

    return {
        "samples": total,
        "self": share(own),
        "packages": share(packages),
        "project": share(project),
    }


def _package(function: str) -> str:
    path = function.partition(" (")[2].rstrip(")")
    return path.split("/", 1)[0] if "/" in path else (path or function)


def _function(frame: str) -> str:
    """`execute (sqlalchemy/engine/base.py:1234)` -> `execute (sqlalchemy/engine/base.py)`."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rpartition(":")[0] or where.rstrip(")")
    for marker in ("site-packages/", f"{ROOT}/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})" if path else name


def markdown(summary: dict) -> str:
    """The summary as a Markdown section, ready to paste into the README."""
    run = summary["run"]
    lines = [
        f"### Locust `{run['scenario']}`: {run['load']}",
        "",
        f"Target {run['target']}; {run['duration_s']} s of load from {run.get('started')}; "
        f"service at `{run.get('revision')}`; paying: {run['pay']}; run id `{run.get('run_id')}`; "
        f"{run['cpu_count']} CPUs on the machine. Latencies are Locust's (ms, exact below "
        "100 ms, 2 significant digits above).",
        *_endpoint_table(summary),
        *_threshold_lines(summary.get("thresholds")),
        "",
        "Expected non-2xx (counted as success): " + _pairs(summary.get("expected_non_2xx") or {}),
        "Failures: " + _failures(summary.get("errors") or []),
        *_cpu_table(summary["cpu"]),
    ]
    if summary.get("capacity"):
        lines += _capacity_table(summary["capacity"])
    if summary.get("profile"):
        lines += _profile_lines(summary["profile"])
    lines += ["", "Files: " + ", ".join(f"`{p}`" for p in summary["files"])]
    return "\n".join(lines) + "\n"


def _endpoint_table(summary: dict) -> list[str]:
    lines = [
        "",
        "| method | endpoint | requests | failures | error % | median ms | p95 ms | p99 ms | RPS |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows = [*summary["endpoints"], summary["aggregated"]] if summary["aggregated"] else []
    for e in rows:
        label = f"**{e['name']}**" if e["name"] == "Aggregated" else f"`{e['name']}`"
        lines.append(
            f"| {e['method']} | {label} | {e['requests']} | {e['failures']} | "
            f"{e['error_rate'] * 100:.2f} | {_ms(e['median'])} | {_ms(e['p95'])} | "
            f"{_ms(e['p99'])} | {e['rps']} |"
        )
    return lines


def _threshold_lines(record: dict | None) -> list[str]:
    if not record or not record.get("results"):
        return ["", "Thresholds: none for this scenario."]
    verdict = "all met" if record["met"] else f"**{record['missed']} missed**"
    lines = [
        "",
        f"Thresholds ({verdict}; limits: {', '.join(f'`{s}`' for s in record['limits'])}):",
        "",
        "| | scope | limit | observed | requests |",
        "|---|---|---|---:|---:|",
    ]
    for o in record["results"]:
        observed = o["observed"]
        if o["metric"] == "error_rate":
            limit, shown = f"rate<{o['limit']:g}", "-" if observed is None else f"{observed:.4f}"
        else:
            label = {"median": "p(50)", "p95": "p(95)", "p99": "p(99)"}[o["metric"]]
            limit, shown = f"{label}<{o['limit']:g} ms", _ms(observed)
        lines.append(
            f"| {'✓' if o['met'] else '✗'} | `{o['subject']}` | {limit} | {shown} | {o['requests']} |"
        )
    return lines


def _failures(errors: list[dict]) -> str:
    text = ", ".join(f"{e['method']} {e['name']} {e['error']} x{e['occurrences']}" for e in errors)
    return text or "none"


def _cpu_table(cpu: dict) -> list[str]:
    lines = [
        "",
        "| process | CPU s (load window) | avg % of one core | peak % | CPU ms / request |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, usage in cpu.items():
        lines.append(
            f"| {name} | {usage.get('cpu_seconds')} | {usage.get('avg_percent_of_one_core')} | "
            f"{usage.get('peak_percent')} | {_ms(usage.get('ms_per_request'))} |"
        )
    return lines


def _capacity_table(capacity: dict) -> list[str]:
    best = capacity["best"]
    verdict = f"**{best['rps']} req/s at {best['users']} users**" if best else "no step met it"
    lines = [
        "",
        f"Capacity (p99 < {capacity['p99_target_ms']:g} ms over the last 10 s of each step): "
        + verdict,
        "",
        "| users | RPS | p50 ms | p99 ms | failures | locust CPU % | service CPU % "
        "| machine CPU % | meets |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in capacity["steps"]:
        lines.append(
            f"| {s['users']} | {s['rps']} | {_ms(s['p50_ms'])} | {_ms(s['p99_ms'])} | "
            f"{s['failures']} | {s.get('locust_cpu_percent')} | "
            f"{s.get('service_cpu_percent')} | {s.get('machine_cpu_percent')} | "
            f"{'yes' if s['meets_target'] else 'no'} |"
        )
    return lines


def _profile_lines(profile: dict) -> list[str]:
    by_package = ", ".join(f"{name} {pct} %" for name, pct in profile["packages"][:8])
    lines = ["", f"py-spy ({profile['samples']} busy samples), self time by package: {by_package}"]
    lines += ["", "Top self time:", ""]
    lines += [f"- {pct} % {name}" for name, pct in profile["self"][:10]]
    lines += ["", "Service code, inclusive:", ""]
    lines += [f"- {pct} % {name}" for name, pct in profile["project"][:10]]
    return lines


def _ms(value) -> str:
    return "-" if value is None else f"{value:g}"


def _pairs(mapping: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in mapping.items()) or "none"
