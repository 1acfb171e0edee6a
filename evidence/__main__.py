"""`python -m evidence`: run the evidence steps against one target, then render the page.

    python -m evidence --target local [--skip-locust] [--pytest-args "suites/test_products.py -x"]
    python -m evidence --target render --base-url URL --webhook-secret S   # or RENDER_URL, WEBHOOK_SECRET
    python -m evidence render                                              # re-render only

Exit status: 0 when every step that ran passed, 1 when any failed, 2 on a usage error.
Skipped steps (--skip-*) do not fail the command, but the page's verdict says the
evidence is incomplete.
"""

import argparse
import os
import platform
import shlex
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from evidence.collect import git_commit
from evidence.layout import Layout
from evidence.steps import (
    FAILED,
    Progress,
    StepResult,
    Target,
    curl_step,
    locust_step,
    pytest_step,
    skipped,
    smoke_step,
    swagger_step,
    write_manifest,
)

TARGET_URL_ENV = {"render": "RENDER_URL", "ngrok": "NGROK_URL"}
STEPS = ("pytest", "smoke", "curl", "swagger", "locust")


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
    parser.add_argument(
        "--target",
        choices=("local", "render", "ngrok", "url"),
        default=None,
        help="local (default) starts the service; render/ngrok/url use a deployment",
    )
    parser.add_argument("--base-url", help="deployment URL (or RENDER_URL / NGROK_URL)")
    parser.add_argument("--webhook-secret", help="deployment webhook secret (or WEBHOOK_SECRET)")
    parser.add_argument("--api-key", help="X-API-Key for writes, when the deployment needs one")
    for step in STEPS:
        parser.add_argument(
            f"--skip-{step}", action="store_true", help=f"do not run the {step} step"
        )
    parser.add_argument(
        "--pytest-args",
        default="",
        help='extra pytest arguments, e.g. "suites/test_products.py -x" (a subset runs faster)',
    )
    parser.add_argument("--locust-scenarios", default="light,heavy", help="comma-separated")
    parser.add_argument("--locust-run-time", default="60s", help="per scenario, e.g. 60s, 2m")
    parser.add_argument(
        "--reports-dir",
        type=Path,
        default=Layout().reports,
        help="where artifacts go (default reports/)",
    )
    return parser.parse_args(argv)


def service_version(base_url: str | None) -> str | None:
    """info.version of the running service's /openapi.json (at the server root)."""
    if not base_url:
        return None
    import requests

    from evidence.swagger import _origin

    try:
        return requests.get(f"{_origin(base_url)}/openapi.json", timeout=30).json()["info"][
            "version"
        ]
    except (requests.RequestException, ValueError, KeyError):
        return None


def resolve_target(args: argparse.Namespace) -> Target:
    kind = args.target or ("url" if args.base_url else "local")
    if kind == "local":
        return Target("local", None, None, args.api_key or os.environ.get("API_KEY"))
    base_url = args.base_url or os.environ.get(TARGET_URL_ENV.get(kind, ""), "")
    secret = args.webhook_secret or os.environ.get("WEBHOOK_SECRET")
    if not base_url:
        raise SystemExit(
            f"usage: --target {kind} needs --base-url"
            + (f" or {TARGET_URL_ENV[kind]}" if kind in TARGET_URL_ENV else "")
        )
    if not secret:
        raise SystemExit(f"usage: --target {kind} needs --webhook-secret or WEBHOOK_SECRET")
    return Target(kind, base_url.rstrip("/"), secret, args.api_key or os.environ.get("API_KEY"))


def run(args: argparse.Namespace) -> int:
    try:
        target = resolve_target(args)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2
    layout = Layout(args.reports_dir.resolve())
    wanted = [s for s in STEPS if not getattr(args, f"skip_{s}")]
    progress = Progress(len(wanted))
    started_at = datetime.now(UTC)
    results: dict[str, StepResult] = {}
    meta = {
        "target": target.kind,
        "base_url": target.base_url,
        "started_at": started_at.isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "pytest_args": args.pytest_args,
        "postgres": bool(os.environ.get("TEST_DATABASE_URL")),
    }
    print(f"Evidence run against {target.kind} -> {layout.reports}", flush=True)

    if "pytest" in wanted:
        progress.start("pytest")
        results["pytest"] = pytest_step(target, layout, progress, shlex.split(args.pytest_args))
        progress.finish(results["pytest"])

    live = [s for s in ("smoke", "curl", "swagger") if s in wanted]
    if live:
        with LocalService(target, layout, results, live, progress):
            meta["base_url"] = target.base_url
            meta["version"] = service_version(target.base_url)
            for name in live:
                if name in results:  # the local service did not start
                    continue
                progress.start(name)
                step = {"smoke": smoke_step, "curl": curl_step, "swagger": swagger_step}[name]
                results[name] = step(target, layout, progress)
                progress.finish(results[name])
    if meta.get("version") is None and target.kind != "local":
        meta["version"] = service_version(target.base_url)

    if "locust" in wanted:
        progress.start("locust")
        scenarios = [s.strip() for s in args.locust_scenarios.split(",") if s.strip()]
        results["locust"] = locust_step(target, layout, progress, scenarios, args.locust_run_time)
        progress.finish(results["locust"])

    ordered = [results.get(s) or skipped(s, f"--skip-{s}") for s in STEPS]
    finished = datetime.now(UTC)
    meta |= {
        "finished_at": finished.isoformat(timespec="seconds"),
        "duration_s": round((finished - started_at).total_seconds(), 1),
    }
    write_manifest(layout.manifest(target.kind), meta, ordered)

    from evidence.render import render_page

    page, verdict = render_page(layout, primary=target.kind)
    print(f"\n== summary (run {progress.elapsed()})")
    for result in ordered:
        print(f"   {result.status:8} {result.name:8} {result.duration_s:7.1f}s  {result.detail}")
    print(f"   page: {page}\n   verdict: {verdict}")
    return 1 if any(r.status == FAILED for r in ordered) else 0


class LocalService:
    """For `local`: the evidence run's own service (fresh SQLite database, generated
    webhook secret) for the smoke, curl and Swagger steps. For a deployment: nothing."""

    def __init__(
        self, target: Target, layout: Layout, results: dict, names: list[str], progress: Progress
    ):
        self.target, self.layout, self.results, self.names = target, layout, results, names
        self.progress = progress
        self.stack = None

    def __enter__(self):
        if self.target.kind != "local":
            return self
        from contextlib import ExitStack

        from tooling.databases import sqlite_database
        from tooling.servers import local_server

        self.stack = ExitStack()
        try:
            scratch = Path(
                self.stack.enter_context(tempfile.TemporaryDirectory(prefix="evidence-"))
            )
            url = self.stack.enter_context(sqlite_database(scratch))
            log = self.layout.evidence_dir / "service-local.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.unlink(missing_ok=True)
            started = time.monotonic()
            server = self.stack.enter_context(local_server(url, log))
            print(
                f"\n== local service for smoke/curl/swagger: {server.base_url} "
                f"(SQLite, up in {time.monotonic() - started:.1f}s)",
                flush=True,
            )
            self.target.base_url, self.target.webhook_secret = (
                server.base_url,
                server.webhook_secret,
            )
        except Exception as exc:
            self.stack.close()
            self.stack = None
            for name in self.names:
                self.results[name] = StepResult(
                    name, FAILED, 0.0, f"local service did not start: {exc}"
                )
        return self

    def __exit__(self, *exc_info):
        if self.stack is not None:
            self.stack.close()
        return False


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "render":
        from evidence.render import render_page

        page, verdict = render_page(Layout(args.reports_dir.resolve()), primary=args.target)
        print(f"page: {page}\nverdict: {verdict}")
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
