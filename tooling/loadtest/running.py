"""One run of a scenario: reach (or start) the target, run Locust on `locust/`, sample the CPU
and optionally profile the service with py-spy, then hand over to tooling/loadtest/report.py.

Locust runs as a subprocess (`python -m locust`, cwd = project root), its secrets passed
through the environment; see tooling/loadtest/__main__.py for what a run writes.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tooling.layout import ROOT, Reports
from tooling.loadtest import report, thresholds
from tooling.loadtest.cpu import CpuSampler
from tooling.loadtest.options import SCENARIOS, Scenario, chosen_thresholds
from tooling.servers import throwaway_service, warm_up
from tooling.target import Target, TargetError, from_options, trust_ca


def run(args: argparse.Namespace) -> int:
    """Run the scenario `args` name; the exit status (0, 3 on a missed threshold, 2)."""
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
    for name in report.OUTPUTS:  # only our own files: others (screenshots...) may live here too
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

    return report.finish(args, scenario, target, sampler, prefix, profile_path, limits, code)


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
