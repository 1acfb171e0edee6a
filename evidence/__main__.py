"""`python -m evidence`: run the registered evidence steps against one target, then render
the page.

    python -m evidence --target local [--skip-locust] [--pytest-args "suites/test_products.py -x"]
    python -m evidence --target render      # RENDER_URL (or --base-url), WEBHOOK_SECRET, API_KEY
    python -m evidence render               # re-render reports/evidence.html only

The target options are the suites' own (tooling.target); each step adds `--skip-<name>` and
its own options (evidence/steps/). Exit status: 0 when every step that ran passed, 1 when
any failed, 2 on a usage error. Skipped steps do not fail the command, but the page's
verdict says the evidence is incomplete.
"""

import argparse
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from evidence import steps as registry
from evidence.facts import git_commit
from evidence.model import FAILED
from evidence.runner import clock, run_steps, write_manifest
from tooling.layout import Reports
from tooling.target import TargetError, add_options, from_options, trust_ca


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m evidence", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "command",
        nargs="?",
        choices=("run", "render"),
        default="run",
        help="run the steps and render (default), or only re-render from reports/",
    )
    add_options(parser.add_argument)
    parser.add_argument(
        "--reports-dir",
        type=Path,
        default=None,
        help="root of the reports tree (default reports/, or $REPORTS_DIR)",
    )
    steps = parser.add_argument_group("steps")
    for step in registry.STEPS:
        if step.run:
            steps.add_argument(
                f"--skip-{step.name}", action="store_true", help=f"do not run: {step.title}"
            )
        for flags, kwargs in step.options:
            steps.add_argument(*flags, **kwargs)
    return parser.parse_args(argv)


def run(args: argparse.Namespace, root: Reports) -> int:
    try:
        target = from_options(args)
    except TargetError as exc:
        print(f"usage: {exc}", file=sys.stderr)
        return 2
    trust_ca(target)  # the steps' own requests and every subprocess trust the same CA
    wanted = [
        s for s in registry.STEPS if s.run and not getattr(args, f"skip_{s.name.replace('-', '_')}")
    ]
    started = datetime.now(UTC)
    meta = {
        "target": target.kind,
        "base_url": target.base_url,
        "started_at": started.isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "pytest_args": getattr(args, "pytest_args", ""),
        "postgres": bool(os.environ.get("TEST_DATABASE_URL")),
    }
    print(f"Evidence run against {target.label} -> {root.root}", flush=True)
    results = run_steps(registry.STEPS, wanted, target, root, args, meta)
    finished = datetime.now(UTC)
    meta |= {
        "finished_at": finished.isoformat(timespec="seconds"),
        "duration_s": round((finished - started).total_seconds(), 1),
    }
    titles = {s.name: s.title for s in registry.STEPS}
    write_manifest(root.target(target.kind).manifest, meta, results, titles)

    from evidence.render import render_page

    page, evidence = render_page(root, primary=target.kind)
    print(f"\n== summary (run {clock(meta['duration_s'])})")
    for result in results:
        print(f"   {result.status:8} {result.name:8} {result.duration_s:7.1f}s  {result.detail}")
    print(f"   checklist ({evidence.targets[target.kind].label}):")
    for line in evidence.targets[target.kind].checklist:
        print(f"   {line.status:8} {line.title}{f': {line.note}' if line.note else ''}")
    print("   rubric:")
    for row in evidence.sections.get("rubric") or []:
        missing = "; ".join(j.need for j in row.needs)
        print(f"   {row.status:10} {row.title} ({row.weight} %){f': {missing}' if missing else ''}")
    print(f"   page: {page}\n   verdict: {evidence.verdict}")
    return 1 if any(r.status == FAILED for r in results) else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    root = Reports(args.reports_dir.resolve()) if args.reports_dir else Reports.default()
    if args.command == "render":
        from evidence.render import render_page

        primary = args.target or ("url" if args.base_url else None)
        page, evidence = render_page(root, primary=primary)
        print(f"page: {page}\nverdict: {evidence.verdict}")
        return 0
    return run(args, root)


if __name__ == "__main__":
    sys.exit(main())
