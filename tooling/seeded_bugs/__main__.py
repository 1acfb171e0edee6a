"""python -m tooling.seeded_bugs: the seeded-bug score.

    python -m tooling.seeded_bugs                      # baseline, then every bug
    python -m tooling.seeded_bugs --bug oversell-read-check-write --bug duplicate-sku-404
    python -m tooling.seeded_bugs --jobs 2             # two deployments at a time
    python -m tooling.seeded_bugs --list               # the bugs; checks their snippets

Needs PostgreSQL (TEST_DATABASE_URL). Writes reports/seeded-bugs/score.json and summary.md
(tooling.layout). Exit code 0 only when the baseline passed and every selected bug was
caught; 1 otherwise; 2 for a usage error or a bug whose snippet no longer matches the
service.
"""

import argparse
import json
import shlex
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from tooling import capabilities
from tooling.layout import Reports
from tooling.seeded_bugs import report
from tooling.seeded_bugs.bugs import BUGS, SnippetError, by_name
from tooling.seeded_bugs.harness import BASELINE, Deployment, RunResult, run_one, suite_files


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tooling.seeded_bugs",
        description="Run the black-box suites against deliberately broken copies of the "
        "service, deployed like the Render blueprint, and score how many they catch.",
    )
    parser.add_argument(
        "--bug",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this bug (repeatable, or comma-separated); default: all",
    )
    parser.add_argument("--list", action="store_true", help="list the bugs and exit")
    parser.add_argument(
        "--jobs", type=int, default=1, help="deployments at a time (default 1; 2 cores: <= 2)"
    )
    parser.add_argument(
        "--maxfail",
        type=int,
        default=1,
        help="stop a bug's suite run after this many failures (default 1: the first "
        "failing test is enough to call it caught; more name more tests, and take longer)",
    )
    parser.add_argument(
        "--reports-dir", default=None, help="reports root (default reports/, or $REPORTS_DIR)"
    )
    args = parser.parse_args(argv)
    if args.jobs < 1 or args.maxfail < 1:
        parser.error("--jobs and --maxfail must be at least 1")
    args.bug = [name.strip() for value in args.bug for name in value.split(",") if name.strip()]
    return args


def list_bugs() -> int:
    broken = 0
    for bug in BUGS:
        found = bug.occurrences()
        broken += found != 1
        mark = "ok " if found == 1 else f"x{found}"
        print(f"{mark} {bug.name:32} {bug.file:32} {bug.description}")
    return 2 if broken else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.list:
        return list_bugs()
    try:
        bugs = by_name(args.bug)
    except KeyError as exc:
        print(f"unknown bug(s): {exc.args[0]} (see --list)", file=sys.stderr)
        return 2
    try:
        for bug in bugs:  # refuse up front: a bug that no longer matches tests nothing
            bug.patched()
    except SnippetError as exc:
        print(f"refusing to run: {exc}", file=sys.stderr)
        return 2
    for capability, why in (
        ("postgres", "deploys on PostgreSQL"),
        ("redis", "shares limits in Redis"),
    ):
        problem = capabilities.problem(capability)
        if problem:
            print(f"the seeded-bug harness {why}: {problem}", file=sys.stderr)
            return 2

    reports = Reports(Path(args.reports_dir).resolve()) if args.reports_dir else Reports.default()
    reports.seeded_bugs.mkdir(parents=True, exist_ok=True)
    deployment = Deployment.from_blueprint()
    files = suite_files()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.monotonic()
    score = {
        "started_at": started_at,
        "duration_s": 0.0,
        "command": shlex.join(["python", "-m", "tooling.seeded_bugs", *argv]),
        "complete": False,
        "known": len(BUGS),
        "selected": len(bugs),
        "suites": files,
        "maxfail": args.maxfail,
        "jobs": args.jobs,
        "deployment": deployment.describe(),
        "baseline": None,
        "bugs": [],
        "totals": report.totals([]),
    }

    def run(name: str, bug=None) -> RunResult:
        return run_one(
            name, bug, deployment, reports.seeded_bug_run(name), files=files, maxfail=args.maxfail
        )

    print(f"baseline: the unmutated service, {len(files)} suite files ...", flush=True)
    baseline = run(BASELINE)
    score["baseline"] = report.baseline_entry(baseline, reports)
    print(f"baseline: {report.baseline_line(score['baseline'])}", flush=True)
    if baseline.passed:
        lock = threading.Lock()
        done = []

        def run_bug(bug):
            result = run(bug.name, bug)
            entry = report.bug_entry(bug, result, reports)
            with lock:
                done.append(entry)
                first = entry["caught_by"][0] if entry["caught_by"] else entry["error"] or ""
                print(
                    f"[{len(done)}/{len(bugs)}] {bug.name}: {report.verdict(entry)} "
                    f"(suites {entry['suite_duration_s']:.0f} s, smoke "
                    f"{'caught' if entry['smoke_caught'] else '-'}) {first}",
                    flush=True,
                )
            return entry

        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            score["bugs"] = list(pool.map(run_bug, bugs))  # in the catalogue's order
    else:
        print("baseline failed: the mutants are not run (a score means nothing)", flush=True)

    score["complete"] = len(score["bugs"]) == len(BUGS)
    score["totals"] = report.totals(score["bugs"])
    score["duration_s"] = round(time.monotonic() - started, 1)
    reports.seeded_bug_score.write_text(json.dumps(score, indent=2) + "\n")
    reports.seeded_bug_summary.write_text(report.markdown(score))
    print()
    print(report.table(score))
    print(f"\nwrote {reports.seeded_bug_score} and {reports.seeded_bug_summary}")
    return 0 if report.succeeded(score) else 1


if __name__ == "__main__":
    sys.exit(main())
