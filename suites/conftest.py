"""Fixtures shared by the race tests: the selected target and, in the local PostgreSQL
run, the same service with two worker processes on one database."""

import pytest

from suites.support.racing import fresh_client
from tooling.servers import throwaway_service


@pytest.fixture(scope="session")
def two_worker_postgres(scratch_dir, reports):
    """The service with 2 uvicorn worker processes sharing one PostgreSQL database."""
    log = reports.service_log("postgres-2-workers")
    with throwaway_service("postgres", scratch_dir, log, workers=2) as server:
        yield server


@pytest.fixture(params=["target", "postgres-2-workers"])
def racer(request, target):
    """Where the race runs: the selected target, and (in the local PostgreSQL run) the
    same races against two worker processes."""
    if request.param == "target":
        return target
    return request.getfixturevalue("two_worker_postgres")


@pytest.fixture
def racer_api(racer):
    client = fresh_client(racer)
    yield client
    client.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The 2-worker variant exists only beside the local PostgreSQL target (deselected,
    not skipped, elsewhere: it is not a test that could have run)."""
    kept, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        extra = (
            params.get("racer") == "postgres-2-workers" and params.get("target") != "local-postgres"
        )
        (dropped if extra else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
