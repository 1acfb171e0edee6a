"""Fixtures shared by the race tests: the selected target and, in the local PostgreSQL
run, the same service with two worker processes on one database."""

from pathlib import Path

import pytest

from suites.support.databases import throwaway_database
from suites.support.racing import fresh_client
from suites.support.server import local_server

REPORTS = Path(__file__).resolve().parent.parent / "reports" / "pytest"


@pytest.fixture(scope="session")
def two_worker_postgres(scratch_dir):
    """The service with 2 uvicorn worker processes sharing one PostgreSQL database."""
    with (
        throwaway_database("postgres", scratch_dir) as database_url,
        local_server(database_url, REPORTS / "service-postgres-2-workers.log", workers=2) as server,
    ):
        yield server


@pytest.fixture(params=["target", "postgres-2-workers"])
def racer(request, target):
    """Where the race runs: the selected target, and (in the local PostgreSQL run) the
    same races against two worker processes."""
    if request.param == "target":
        return target
    if target.backend != "postgres":
        pytest.skip("2-worker races run once, in the local PostgreSQL group")
    return request.getfixturevalue("two_worker_postgres")


@pytest.fixture
def racer_api(racer):
    client = fresh_client(racer)
    yield client
    client.close()
