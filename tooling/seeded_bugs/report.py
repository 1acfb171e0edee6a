"""score.json (what the evidence page renders) and the short Markdown summary beside it.

score.json:

    started_at, duration_s, command, complete (every bug ran), suites (the files run),
    maxfail, deployment (settings, no secrets),
    baseline: {passed, status, suite_passed, smoke_passed, summary, failed, error,
               suite_duration_s, duration_s, log, smoke_log, service_log, results}
    bugs: [{name, description, file, caught, caught_by, suite_duration_s, smoke_caught,
            status, error, duration_s, log, smoke_log, service_log, results}]
    totals: {caught, total, smoke_caught, errors}

Paths are relative to the reports root (links from the page).
"""

from typing import Any

from tooling.layout import Reports
from tooling.seeded_bugs.bugs import Bug
from tooling.seeded_bugs.harness import RunResult


def _paths(reports: Reports, name: str) -> dict[str, str]:
    run = reports.seeded_bug_run(name)
    return {
        "log": reports.relative(run.pytest_output),
        "smoke_log": reports.relative(run.smoke_output),
        "service_log": reports.relative(run.service_log),
        "results": reports.relative(run.results),
    }


def baseline_entry(result: RunResult, reports: Reports) -> dict[str, Any]:
    return {
        "passed": result.passed,
        "status": result.status,
        "suite_passed": result.status == "passed",
        "smoke_passed": result.status != "error" and not result.smoke_failed,
        "summary": result.summary,
        "failed": result.failed,
        "smoke_failure": result.smoke_failure,
        "error": result.error,
        "suite_duration_s": round(result.suite_duration_s, 1),
        "duration_s": round(result.duration_s, 1),
        **_paths(reports, result.name),
    }


def bug_entry(bug: Bug, result: RunResult, reports: Reports) -> dict[str, Any]:
    return {
        "name": bug.name,
        "description": bug.description,
        "file": bug.file,
        "caught": result.status == "caught",
        "caught_by": result.failed,
        "suite_duration_s": round(result.suite_duration_s, 1),
        "smoke_caught": result.status != "error" and result.smoke_failed,
        "smoke_failure": result.smoke_failure,
        "status": result.status,
        "error": result.error,
        "duration_s": round(result.duration_s, 1),
        **_paths(reports, bug.name),
    }


def totals(bugs: list[dict[str, Any]]) -> dict[str, int]:
    return {
        "caught": sum(b["caught"] for b in bugs),
        "total": len(bugs),
        "smoke_caught": sum(b["smoke_caught"] for b in bugs),
        "errors": sum(b["status"] == "error" for b in bugs),
    }


def succeeded(score: dict[str, Any]) -> bool:
    """What the exit code says: the baseline passed, and every bug ran and was caught."""
    baseline = score.get("baseline") or {}
    return bool(
        baseline.get("passed")
        and score["bugs"]
        and all(bug["caught"] for bug in score["bugs"])
        and len(score["bugs"]) == score["selected"]
    )


def _seconds(value: float) -> str:
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def verdict(bug: dict[str, Any]) -> str:
    if bug["status"] == "error":
        return "ERROR"
    return "caught" if bug["caught"] else "SURVIVED"


def _summary_counts(summary: dict[str, int]) -> str:
    return ", ".join(f"{count} {outcome}" for outcome, count in sorted(summary.items()))


def baseline_line(baseline: dict[str, Any] | None) -> str:
    if not baseline:
        return "not run"
    if baseline["error"]:
        return f"ERROR: {baseline['error']}"
    suites = "passed" if baseline["suite_passed"] else f"FAILED ({', '.join(baseline['failed'])})"
    smoke = "passed" if baseline["smoke_passed"] else f"FAILED ({baseline['smoke_failure']})"
    return (
        f"suites {suites} ({_summary_counts(baseline['summary'])}, "
        f"{baseline['suite_duration_s']:.0f} s); smoke script {smoke}"
    )


def markdown(score: dict[str, Any]) -> str:
    t = score["totals"]
    deployment = score["deployment"]
    settings = deployment["settings"]
    lines = [
        "# Seeded-bug score",
        "",
        f"**{t['caught']} of {t['total']}** deliberately broken builds of the service are "
        f"caught by the black-box suites; the smoke script (`suites/smoke.py`) alone catches "
        f"**{t['smoke_caught']} of {t['total']}** (a gate, not a test suite).",
        "",
        f"Each build ran as a deployed target: a copy of the service with one bug, on a "
        f"throwaway PostgreSQL, {deployment['workers']} uvicorn workers, "
        f"ENVIRONMENT={settings.get('ENVIRONMENT')}, an API key, "
        f"RATE_LIMIT={settings.get('RATE_LIMIT')} (the Render blueprint's settings); the "
        "suites ran against it through `--base-url`, stopping after "
        f"{score['maxfail']} failure(s).",
        "",
        f"Baseline (no bug): {baseline_line(score['baseline'])}.",
        "",
        "| bug | verdict | first failing test(s) | smoke | suites (s) |",
        "|---|---|---|---|---|",
    ]
    for bug in score["bugs"]:
        caught_by = "<br>".join(f"`{n}`" for n in bug["caught_by"]) or (bug["error"] or "—")
        lines.append(
            f"| `{bug['name']}`: {bug['description']} | {verdict(bug)} | {caught_by} | "
            f"{'caught' if bug['smoke_caught'] else '—'} | {bug['suite_duration_s']:.0f} |"
        )
    lines += [
        "",
        f"Started {score['started_at']}, took {_seconds(score['duration_s'])}: "
        f"`{score['command']}`.",
    ]
    if not score["complete"]:
        lines.append(f"Only {len(score['bugs'])} of the {score['known']} bugs ran.")
    return "\n".join(lines) + "\n"


def table(score: dict[str, Any]) -> str:
    """The console table."""
    rows = [("bug", "verdict", "smoke", "s", "first failing test")]
    for bug in score["bugs"]:
        first = bug["caught_by"][0] if bug["caught_by"] else (bug["error"] or "")
        rows.append(
            (
                bug["name"],
                verdict(bug),
                "caught" if bug["smoke_caught"] else "-",
                f"{bug['suite_duration_s']:.0f}",
                first[:90],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True))
        + "  "
        + row[4]
        for row in rows
    ]
    t = score["totals"]
    lines += [
        "",
        f"baseline: {baseline_line(score['baseline'])}",
        f"caught {t['caught']}/{t['total']} by the suites, {t['smoke_caught']}/{t['total']} "
        f"by the smoke script, {t['errors']} error(s); {_seconds(score['duration_s'])}",
    ]
    return "\n".join(lines)
