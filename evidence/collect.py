"""Read what the runs left in reports/ into plain data for the page and the reflection.

Nothing here runs anything: the page can always be rebuilt from disk (`python -m evidence
render`). Each step's status comes from its artifact (a missing file is "missing", not a
pass); a run manifest (reports/evidence/run-<kind>.json) adds what the artifact cannot say:
that a step was skipped on purpose, or failed without leaving a file.
"""

import base64
import csv
import json
import platform
import re
import statistics
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

from evidence.layout import KINDS, LABELS, ROOT, Layout, kind_of

PASSED, FAILED, SKIPPED, MISSING = "passed", "failed", "skipped", "missing"
INCOMPLETE = "incomplete"
SCENARIO_ORDER = ("light", "heavy", "capacity")
REQUIRED_SCENARIOS = ("light", "heavy")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
CHECKLIST = (
    ("pytest", "pytest suites"),
    ("postman", "Postman collection"),
    ("smoke", "Python smoke script"),
    ("curl", "curl transcript"),
    ("swagger", "Swagger UI walk-through"),
    ("locust", "Locust light + heavy"),
)


# --- small readers ---------------------------------------------------------------------------


def _json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _mtime(path: Path) -> str | None:
    try:
        stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return None
    return stamp.strftime("%Y-%m-%d %H:%M UTC")


def data_uri(path: Path) -> str:
    mime = "image/jpeg" if path.suffix.lower() in (".jpg", ".jpeg") else "image/png"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _rel(path: Path, layout: Layout) -> str:
    """A link target relative to the page (which sits at the top of reports/)."""
    return path.relative_to(layout.page.parent).as_posix()


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# --- pytest ----------------------------------------------------------------------------------


def read_pytest(directory: Path, layout: Layout) -> dict | None:
    data = _json(directory / "results.json")
    if data is None:
        return None
    tests = data.get("tests", [])
    targets = sorted({t.get("target") or "-" for t in tests})
    files: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    durations: dict[tuple[str, str], float] = defaultdict(float)
    per_target: dict[str, Counter] = defaultdict(Counter)
    for test in tests:
        file = test["nodeid"].split("::", 1)[0]
        name = test.get("target") or "-"
        outcome = (
            "error"
            if test["outcome"] == "failed" and test.get("when") == "setup"
            else test["outcome"]
        )
        files[file][name][outcome] += 1
        per_target[name][outcome] += 1
        durations[(file, name)] += test.get("duration") or 0.0
        per_target[name]["duration"] += test.get("duration") or 0.0
    rows = []
    for file in sorted(files):
        cells = []
        for name in targets:
            counts = files[file].get(name)
            cells.append(
                None
                if counts is None
                else {
                    **counts,
                    "duration": round(durations[(file, name)], 1),
                    "bad": counts["failed"] + counts["error"],
                }
            )
        rows.append({"file": file, "cells": cells})
    counts = Counter(t["outcome"] for t in tests)
    total_failed = counts.get("failed", 0)
    ran = counts.get("passed", 0) + total_failed
    return {
        "target": data.get("target"),
        "base_url": data.get("base_url"),
        "exit_status": data.get("exit_status"),
        "passed": counts.get("passed", 0),
        "failed": total_failed,
        "skipped": counts.get("skipped", 0),
        "total": len(tests),
        "duration": round(sum(t.get("duration") or 0 for t in tests), 1),
        "targets": targets,
        "per_target": {
            k: {**v, "duration": round(v["duration"], 1)} for k, v in per_target.items()
        },
        "rows": rows,
        "failures": _junit_failures(directory / "junit.xml")
        or [
            {"name": t["nodeid"], "message": f"{t['outcome']} in {t['when']}", "text": ""}
            for t in tests
            if t["outcome"] == "failed"
        ],
        "skip_reasons": Counter(
            t.get("skip_reason") or "?" for t in tests if t["outcome"] == "skipped"
        ).most_common(),
        "ok": data.get("exit_status") == 0 and total_failed == 0 and ran > 0,
        "report_html": _rel(directory / "report.html", layout)
        if (directory / "report.html").exists()
        else None,
        "junit": _rel(directory / "junit.xml", layout)
        if (directory / "junit.xml").exists()
        else None,
        "when": _mtime(directory / "results.json"),
    }


def _junit_failures(path: Path, limit: int = 4000) -> list[dict]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return []
    failures = []
    for case in root.iter("testcase"):
        for child in case:
            if child.tag in ("failure", "error"):
                text = (child.text or "").strip()
                failures.append(
                    {
                        "name": f"{case.get('classname', '')}::{case.get('name', '')}",
                        "message": (child.get("message") or child.tag)[:500],
                        "text": text[-limit:],
                    }
                )
    return failures


# --- Postman, Schemathesis, smoke, curl ------------------------------------------------------


def read_postman(path: Path) -> dict | None:
    data = _json(path)
    if not data:
        return None
    requests = []
    times = []
    for item in data.get("requests", []):
        tests = item.get("tests", [])
        failed = [t for t in tests if not t.get("passed") and not t.get("skipped")]
        if item.get("response_time_ms") is not None:
            times.append(item["response_time_ms"])
        requests.append(
            {
                "name": item.get("name"),
                "method": item.get("method"),
                "status": item.get("status"),
                "ms": item.get("response_time_ms"),
                "tests": len(tests),
                "failed": [f"{t.get('name')}: {t.get('error')}" for t in failed]
                + list(item.get("errors") or []),
                "passed": item.get("passed", not failed),
            }
        )
    return {
        "name": data.get("target") or path.stem.removeprefix("results-"),
        "base_url": data.get("base_url"),
        "environment": data.get("environment"),
        "summary": data.get("summary", {}),
        "duration_s": data.get("duration_s"),
        "ok": bool(data.get("passed")),
        "requests": requests,
        "median_ms": round(statistics.median(times), 1) if times else None,
        "p95_ms": round(_percentile(times, 0.95), 1) if times else None,
        "error_bodies": _error_bodies(data.get("requests", [])),
        "when": _mtime(path),
    }


def _error_bodies(items: list[dict], limit: int = 8) -> list[dict]:
    """One real response per error `code` the collection triggered (for the error contract)."""
    seen: dict[str, dict] = {}
    for item in items:
        status = item.get("status") or 0
        if status < 400:
            continue
        try:
            body = json.loads(item.get("response_body") or "")
        except ValueError:
            continue
        code = body.get("code") if isinstance(body, dict) else None
        if code and code not in seen:
            seen[code] = {
                "request": f"{item.get('method')} {item.get('name')}",
                "status": status,
                "body": json.dumps(body, indent=2),
            }
    return list(seen.values())[:limit]


def read_schemathesis(directory: Path) -> dict | None:
    output = directory / "output.txt"
    if not output.exists():
        return None
    text = ANSI.sub("", output.read_text(encoding="utf-8", errors="replace"))
    lines = text.rstrip().splitlines()
    start = next(
        (i for i, line in enumerate(lines) if line.strip().startswith("API Operations")), None
    )
    tail = lines[start if start is not None else max(0, len(lines) - 30) :]
    cases = re.search(r"(\d+) generated, (\d+) passed(?:, (\d+) failed)?", text)
    return {
        "name": directory.name,
        "summary": "\n".join(tail),
        "cases": cases.group(0) if cases else None,
        "when": _mtime(output),
    }


def read_smoke(path: Path) -> dict:
    text = path.read_text(encoding="utf-8", errors="replace")
    final = None
    if "{" in text:
        try:
            final = json.loads(text[text.index("{") : text.rindex("}") + 1])
        except ValueError:
            final = None
    return {
        "name": path.stem.removeprefix("smoke-"),
        "text": text,
        "ok": "SMOKE OK" in text,
        "final_status": final.get("status") if isinstance(final, dict) else None,
        "when": _mtime(path),
    }


def read_curl(directory: Path, layout: Layout) -> dict | None:
    data = _json(directory / "transcript.json")
    if not data:
        return None
    steps = data.get("steps", [])
    for step in steps:
        try:
            step["pretty"] = json.dumps(json.loads(step.get("body") or ""), indent=2)
        except ValueError:
            step["pretty"] = step.get("body") or ""
    return {
        "name": directory.name,
        "base_url": data.get("base_url"),
        "steps": steps,
        "ok": bool(steps) and all(s.get("ok") for s in steps),
        "markdown": _rel(directory / "transcript.md", layout)
        if (directory / "transcript.md").exists()
        else None,
        "when": _mtime(directory / "transcript.json"),
    }


# --- Swagger screenshots ---------------------------------------------------------------------


def read_swagger(directory: Path) -> dict | None:
    if not directory.is_dir():
        return None
    record = _json(directory / "walkthrough.json") or {}
    images = sorted(p for p in directory.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    if not images and not record:
        return None
    by_name = {p.name: p for p in images}
    steps = []
    for step in record.get("steps", []):
        image = by_name.get(step.get("file") or "")
        steps.append({**step, "image": data_uri(image) if image else None})
    if not record:  # screenshots without a record: show them in file order
        steps = [
            {
                "index": i,
                "slug": p.stem,
                "title": p.stem,
                "file": p.name,
                "image": data_uri(p),
                "ok": None,
            }
            for i, p in enumerate(images)
            if re.match(r"\d\d-", p.name) and "docs" not in p.name and "redoc" not in p.name
        ]
    pages = [
        {"title": title, "file": name, "image": data_uri(by_name[name])}
        for title, name in (
            ("/docs (Swagger UI)", record.get("docs")),
            ("/redoc (ReDoc)", record.get("redoc")),
        )
        if name and name in by_name
    ]
    return {
        "base_url": record.get("base_url"),
        "steps": steps,
        "pages": pages,
        "error": record.get("error"),
        "ok": bool(record.get("ok")),
        "images": sum(1 for s in steps if s.get("image")) + len(pages),
        "when": _mtime(directory / "walkthrough.json") if record else None,
    }


# --- Locust ----------------------------------------------------------------------------------


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "", "N/A") else None
    except ValueError:
        return None


def _summary_from_csv(path: Path) -> dict:
    """The runner's summary is preferred; without it, Locust's own _stats.csv."""
    endpoints, aggregated = [], None
    for row in _read_csv(path):
        requests = int(_number(row.get("Request Count")) or 0)
        failures = int(_number(row.get("Failure Count")) or 0)
        figures = {
            "method": row.get("Type") or "",
            "name": row.get("Name"),
            "requests": requests,
            "failures": failures,
            "error_rate": round(failures / requests, 4) if requests else 0.0,
            "median": _number(row.get("50%")),
            "p95": _number(row.get("95%")),
            "p99": _number(row.get("99%")),
            "avg_ms": _number(row.get("Average Response Time")),
            "rps": _number(row.get("Requests/s")),
        }
        if row.get("Name") == "Aggregated":
            aggregated = figures
        else:
            endpoints.append(figures)
    return {"run": {}, "aggregated": aggregated, "endpoints": endpoints, "source": path.name}


def read_locust(directory: Path, layout: Layout) -> dict:
    from evidence.charts import history_charts

    names = {p.name.removesuffix("_summary.json") for p in directory.glob("*_summary.json")}
    names |= {p.name.removesuffix("_stats.csv") for p in directory.glob("*_stats.csv")}
    order = {name: i for i, name in enumerate(SCENARIO_ORDER)}
    scenarios = {}
    for name in sorted(names, key=lambda n: (order.get(n, 99), n)):
        summary = _json(directory / f"{name}_summary.json")
        if summary:
            summary["source"] = f"{name}_summary.json"
        elif (directory / f"{name}_stats.csv").exists():
            summary = _summary_from_csv(directory / f"{name}_stats.csv")
        else:
            continue
        history = directory / f"{name}_stats_history.csv"
        dashboard = directory / f"{name}_dashboard.png"
        html = directory / f"{name}.html"
        aggregated = summary.get("aggregated") or {}
        profiled = _json(directory / "profiled" / f"{name}_summary.json") or {}
        scenarios[name] = {
            "mix": _mix(summary.get("endpoints") or []),
            "profiled": profiled.get("profile")
            and {"run": profiled.get("run"), **profiled["profile"]},
            **summary,
            "name": name,
            "charts": history_charts(history, name) if history.exists() else None,
            "dashboard": data_uri(dashboard) if dashboard.exists() else None,
            "html": _rel(html, layout) if html.exists() else None,
            "ok": bool(aggregated) and not aggregated.get("failures"),
            "when": _mtime(directory / summary["source"]),
        }
    return scenarios


def _mix(endpoints: list[dict]) -> dict:
    """Reads (GET) vs writes, as requests actually sent."""
    reads = sum(e.get("requests") or 0 for e in endpoints if e.get("method") == "GET")
    writes = sum(e.get("requests") or 0 for e in endpoints if e.get("method") not in ("GET", ""))
    total = reads + writes
    return {
        "reads": reads,
        "writes": writes,
        "read_share": round(reads / total, 3) if total else None,
        "ratio": round(reads / writes, 1) if writes else None,
    }


# --- repository facts for the reflection -----------------------------------------------------


def repository_facts() -> dict:
    """Facts the reflection quotes that come from files, not from runs."""
    facts: dict = {"requirements": [], "dev_requirements": [], "tree": "", "render": None}
    for key, name in (
        ("requirements", "requirements.txt"),
        ("dev_requirements", "requirements-dev.txt"),
    ):
        path = ROOT / name
        if path.exists():
            facts[key] = [
                line.strip()
                for line in path.read_text().splitlines()
                if line.strip() and not line.startswith(("#", "-r"))
            ]
    facts["tree"] = _tree()
    facts["render"] = _render_blueprint()
    facts["postman_variables"] = _postman_variables()
    return facts


def _tree(depth: int = 2) -> str:
    try:
        files = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return ""
    dirs: dict[str, set[str]] = defaultdict(set)
    top_files = []
    for file in files:
        parts = file.split("/")
        if parts[0].startswith(".") and parts[0] != ".ci":
            continue
        if len(parts) == 1:
            top_files.append(file)
        else:
            dirs[parts[0]].add(parts[1] + ("/" if len(parts) > 2 else "") if depth > 1 else "")
    lines = []
    for name in sorted(dirs):
        children = sorted(c for c in dirs[name] if c)
        lines.append(f"{name}/")
        shown = children[:12]
        lines += [f"  {c}" for c in shown]
        if len(children) > len(shown):
            lines.append(f"  ... ({len(children) - len(shown)} more)")
    lines += sorted(top_files)
    return "\n".join(lines)


def _render_blueprint() -> dict | None:
    path = ROOT / "render.yaml"
    if not path.exists():
        return None
    try:
        import yaml

        data = yaml.safe_load(path.read_text())
    except Exception:
        return {"file": "render.yaml"}
    services = (data or {}).get("services") or [{}]
    web = next((s for s in services if s.get("type") == "web"), services[0])
    return {
        "file": "render.yaml",
        "name": web.get("name"),
        "plan": web.get("plan"),
        "runtime": web.get("runtime") or web.get("env"),
        "build": web.get("buildCommand"),
        "start": web.get("startCommand"),
        "pre_deploy": web.get("preDeployCommand"),
        "health": web.get("healthCheckPath"),
        "env": [e.get("key") for e in web.get("envVars", []) if isinstance(e, dict)],
        "databases": [d.get("name") for d in (data or {}).get("databases", []) or []],
    }


def _postman_variables() -> dict:
    env = _json(ROOT / "postman" / "local.postman_environment.json") or {}
    collection = _json(ROOT / "postman" / "orders-inventory.postman_collection.json") or {}
    return {
        "environment": [v.get("key") for v in env.get("values", [])],
        "collection": [v.get("key") for v in collection.get("variable", [])],
    }


# --- per target, verdicts --------------------------------------------------------------------


def collect_target(kind: str, layout: Layout) -> dict | None:
    postman = [
        r
        for p in sorted(layout.postman_dir.glob("results-*.json"))
        if kind_of(p.stem.removeprefix("results-")) == kind and (r := read_postman(p))
    ]
    schemathesis = [
        r
        for d in sorted(layout.schemathesis_dir.glob("*"))
        if d.is_dir() and kind_of(d.name) == kind and (r := read_schemathesis(d))
    ]
    smoke = [
        read_smoke(p)
        for p in sorted(layout.reports.glob("smoke/smoke-*.txt"))
        if kind_of(p.stem.removeprefix("smoke-")) == kind
    ]
    curl = [
        r
        for d in sorted(layout.reports.glob("curl/*"))
        if d.is_dir() and kind_of(d.name) == kind and (r := read_curl(d, layout))
    ]
    data = {
        "kind": kind,
        "label": LABELS.get(kind, kind),
        "manifest": _json(layout.manifest(kind)),
        "pytest": read_pytest(layout.pytest_dir(kind), layout),
        "postman": postman,
        "schemathesis": schemathesis,
        "smoke": _primary_first(smoke, kind),
        "curl": _primary_first(curl, kind),
        "swagger": read_swagger(layout.screens_dir(kind)),
        "locust": read_locust(layout.locust_dir(kind), layout)
        if layout.locust_dir(kind).is_dir()
        else {},
    }
    if not any(
        data[k] for k in ("manifest", "pytest", "postman", "smoke", "curl", "swagger", "locust")
    ):
        return None
    manifest = data["manifest"] or {}
    data["base_url"] = (
        manifest.get("base_url")
        or (data["pytest"] or {}).get("base_url")
        or next((c["base_url"] for c in data["curl"]), None)
    )
    data["checklist"] = checklist(data)
    data["verdict"] = verdict([c["status"] for c in data["checklist"]])
    return data


def _primary_first(items: list[dict], kind: str) -> list[dict]:
    """The evidence run's own artifact (named after the kind) first, then the suites' ones."""
    return sorted(items, key=lambda item: (item["name"] != kind, item["name"]))


def checklist(data: dict) -> list[dict]:
    """One line per kind of evidence: passed / failed / missing / skipped, and why."""
    steps = {s["name"]: s for s in (data["manifest"] or {}).get("steps", [])}
    artifact = {
        "pytest": _status(data["pytest"] and data["pytest"]["ok"], data["pytest"]),
        "postman": _status(all(p["ok"] for p in data["postman"]), data["postman"]),
        "smoke": _status(all(s["ok"] for s in data["smoke"]), data["smoke"]),
        "curl": _status(all(c["ok"] for c in data["curl"]), data["curl"]),
        "swagger": _status(data["swagger"] and data["swagger"]["ok"], data["swagger"]),
        "locust": _locust_status(data["locust"]),
    }
    lines = []
    for name, title in CHECKLIST:
        status, note = artifact[name]
        step = steps.get("pytest" if name == "postman" else name)
        if step and step["status"] == FAILED:
            status, note = FAILED, step.get("detail") or note
        elif step and step["status"] == SKIPPED:
            if status == MISSING:
                status, note = SKIPPED, f"skipped ({step.get('detail')})"
            else:
                note = f"{note}; from an earlier run (skipped in the latest one)"
        lines.append(
            {
                "name": name,
                "title": title,
                "status": status,
                "note": note,
                "duration_s": step.get("duration_s") if step else None,
            }
        )
    return lines


def _status(ok, present) -> tuple[str, str]:
    if not present:
        return MISSING, "no artifact in reports/"
    return (PASSED, "") if ok else (FAILED, "see below")


def _locust_status(scenarios: dict) -> tuple[str, str]:
    missing = [s for s in REQUIRED_SCENARIOS if s not in scenarios]
    failing = [s for s in REQUIRED_SCENARIOS if s in scenarios and not scenarios[s]["ok"]]
    if failing:
        return FAILED, "failures in " + ", ".join(failing)
    if missing:
        return MISSING, "no " + ", ".join(missing) + " run in reports/"
    return PASSED, ""


def verdict(statuses: list[str]) -> str:
    if not statuses or all(s == MISSING for s in statuses):
        return MISSING
    if FAILED in statuses:
        return FAILED
    if {MISSING, SKIPPED, INCOMPLETE} & set(statuses):
        return INCOMPLETE
    return PASSED


# --- comparisons and the whole page ----------------------------------------------------------


def compare(local: dict, remote: dict) -> dict:
    """Local vs deployed, figure by figure (delta = deployed - local)."""
    rows = []

    def add(group: str, metric: str, a, b, unit: str = "") -> None:
        delta = None if a is None or b is None else round(b - a, 2)
        ratio = None if not a or b is None else round(b / a, 2)
        rows.append(
            {
                "group": group,
                "metric": metric,
                "local": a,
                "remote": b,
                "delta": delta,
                "ratio": ratio,
                "unit": unit,
            }
        )

    for scenario in SCENARIO_ORDER:
        a = (local["locust"].get(scenario) or {}).get("aggregated")
        b = (remote["locust"].get(scenario) or {}).get("aggregated")
        if a and b:
            for key, unit in (("median", "ms"), ("p95", "ms"), ("p99", "ms"), ("rps", "req/s")):
                add(f"Locust {scenario}", key, a.get(key), b.get(key), unit)
            add(f"Locust {scenario}", "error rate", a.get("error_rate"), b.get("error_rate"), "")
    pa = next(iter(local["postman"]), None)
    pb = next(iter(remote["postman"]), None)
    if pa and pb:
        add("Postman (one request each)", "median", pa["median_ms"], pb["median_ms"], "ms")
        add("Postman (one request each)", "p95", pa["p95_ms"], pb["p95_ms"], "ms")
    ta, tb = local["pytest"], remote["pytest"]
    if ta and tb:
        add("pytest", "passed", ta["passed"], tb["passed"])
        add("pytest", "failed", ta["failed"], tb["failed"])
        add("pytest", "skipped", ta["skipped"], tb["skipped"])
    return {"local": local["kind"], "remote": remote["kind"], "rows": rows}


def collect(layout: Layout, primary: str | None = None) -> dict:
    targets = {k: t for k in KINDS if (t := collect_target(k, layout))}
    if primary not in targets:
        stamped = [
            (t["manifest"].get("finished_at", ""), k) for k, t in targets.items() if t["manifest"]
        ]
        primary = max(stamped)[1] if stamped else next(iter(targets), "local")
    remotes = [k for k in targets if k != "local"]
    comparisons = [compare(targets["local"], targets[r]) for r in remotes if "local" in targets]
    manifest = (targets.get(primary) or {}).get("manifest") or {}
    overall = verdict([t["verdict"] for t in targets.values()])
    return {
        "primary": primary,
        "targets": targets,
        "remotes": remotes,
        "comparisons": comparisons,
        "bench": _json(layout.bench_file),
        "facts": repository_facts(),
        "verdict": overall,
        "meta": {
            "version": manifest.get("version") or _declared_version(),
            "git_commit": manifest.get("git_commit") or git_commit(),
            "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "run_started": manifest.get("started_at"),
            "run_duration_s": manifest.get("duration_s"),
            "python": manifest.get("python") or platform.python_version(),
        },
    }


def _declared_version() -> str | None:
    """service.version.__version__, read from the source (no import of the service)."""
    try:
        text = (ROOT / "service" / "version.py").read_text()
    except OSError:
        return None
    found = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.M)
    return found.group(1) if found else None


def git_commit() -> str:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{sha} (+ uncommitted changes)" if dirty else sha
