"""`python -m tooling.rehearsal`: the options, then the whole stage (tooling/rehearsal/__init__.py
says what it stands up and runs)."""

import argparse
import os
import re
import sys

import tooling.rehearsal
from tooling.layout import Reports
from tooling.rehearsal.stage import Rehearsal


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tooling.rehearsal", description=tooling.rehearsal.__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--reports-dir",
        default=str(Reports.default().rehearsal),
        help="the rehearsal's own reports root (default reports/rehearsal)",
    )
    parser.add_argument("--delay-ms", type=float, default=30.0, help="added each way")
    parser.add_argument("--cold-start-s", type=float, default=20.0, help="edge up, service down")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REHEARSAL_REDIS_URL")
        or re.sub(r"/\d*$", "", os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379")
        + "/14",
        help="Key Value's stand-in (default: TEST_REDIS_URL's server, database 14)",
    )
    parser.add_argument(
        "--auth-failure-limit",
        default=None,
        help="override render.yaml's AUTH_FAILURE_LIMIT (default: the blueprint's own)",
    )
    parser.add_argument("--locust-run-time", default="20s", help="the evidence run's Locust light")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="STEP",
        help="await-deploy, smoke, curl, pytest-1, pytest-2, postman, evidence, failing-test",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    return Rehearsal(parse_args(argv)).main()


if __name__ == "__main__":
    sys.exit(main())
