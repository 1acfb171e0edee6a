"""The collection in Postman's own runtime: real Newman and postman/run.py against one local
service must agree, request by request and test by test, with nothing failed in either.

Newman is found through $NEWMAN_BIN (`.ci/install-newman.sh` installs a pinned one and prints
its path); without it the test skips, and with REQUIRE_NEWMAN=1 it fails instead. The shipped
runner never needs Node: this is the independent check that its counts are Postman's.
"""

import json

import pytest

from postman.run import DEFAULT_COLLECTION as COLLECTION_FILE
from postman.run import ENVIRONMENTS, run_collection
from postman.runtime import RunResult
from tests.postman_support import newman_binary, run_newman
from tooling.servers import local_server

ENVIRONMENT_FILE = ENVIRONMENTS["local"]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory):
    """The service on a throwaway SQLite database, for both runs (each makes its own SKUs)."""
    scratch = tmp_path_factory.mktemp("newman")
    with local_server(f"sqlite:///{scratch / 'service.db'}", scratch / "service.log") as server:
        yield server


def _newman_environment(base_url: str, secret: str) -> dict:
    """The shipped local environment with this service's address and secret, as a file
    (the secret stays off the command line)."""
    environment = json.loads(ENVIRONMENT_FILE.read_text(encoding="utf-8"))
    given = {"base_url": base_url, "webhook_secret": secret}
    for entry in environment["values"]:
        entry["value"] = given.get(entry["key"], entry["value"])
    return environment


def _runner_tests(result: RunResult) -> list[tuple[str, list[str]]]:
    return [(r.name.split(" / ")[-1], [t.name for t in r.tests]) for r in result.requests]


def _newman_tests(run: dict) -> list[tuple[str, list[str]]]:
    return [
        (e["item"]["name"], [a["assertion"] for a in e.get("assertions", [])])
        for e in run["executions"]
    ]


@pytest.mark.requires("newman")
def test_newman_and_the_runner_give_the_same_counts_with_nothing_failed(service, tmp_path) -> None:
    newman = newman_binary()
    collection = json.loads(COLLECTION_FILE.read_text(encoding="utf-8"))
    environment = _newman_environment(service.base_url, service.webhook_secret)
    run = run_newman(newman, tmp_path, collection, environment)
    stats = run["stats"]
    failures = [
        f"{f['source'].get('name')}: {f['error'].get('name')}: {f['error'].get('message')}"
        for f in run["failures"]
    ]
    assert not failures, "Newman:\n" + "\n".join(failures)
    assert all(stats[kind]["failed"] == 0 for kind in stats), stats

    overrides = {"base_url": service.base_url, "webhook_secret": service.webhook_secret}
    result = run_collection(COLLECTION_FILE, ENVIRONMENT_FILE, overrides=overrides)
    summary = result.summary()
    assert result.passed, "\n".join(f"{r.name}: {f}" for r in result.requests for f in r.failures)

    assert summary["requests"] == stats["requests"]["total"] == len(run["executions"])
    assert summary["tests"] == stats["assertions"]["total"]
    assert summary["tests_failed"] == stats["assertions"]["failed"] == 0
    # the same tests, in the same order, under the same requests
    assert _runner_tests(result) == _newman_tests(run)
