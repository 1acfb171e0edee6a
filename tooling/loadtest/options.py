"""The runner's command line: the named scenarios, the options and the thresholds they select.

`python -m tooling.loadtest --help` lists the options; `tooling/loadtest/__main__.py`
describes a run as a whole.
"""

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from tooling.loadtest import thresholds
from tooling.target import add_options

DESCRIPTION = "Run one named Locust scenario headless against a target and summarise it."


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
    parser = argparse.ArgumentParser(description=DESCRIPTION)
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


def chosen_thresholds(args: argparse.Namespace) -> list[thresholds.Threshold]:
    return thresholds.resolve(
        args.scenario,
        os.environ.get(thresholds.THRESHOLDS_ENV),
        args.threshold,
        defaults=not args.no_default_thresholds,
    )


def overrides(args: argparse.Namespace) -> dict:
    """Where the limits came from, beyond the scenario's defaults."""
    return {
        "defaults": not args.no_default_thresholds,
        "environment": thresholds.split(os.environ.get(thresholds.THRESHOLDS_ENV)),
        "command_line": list(args.threshold),
    }
