"""Scale-out correctness with real processes: a worker killed with SIGKILL in the middle of
an order burst loses nothing and half-writes nothing (PostgreSQL, two uvicorn workers),
and SIGTERM lets in-flight requests finish. Afterwards stock + ordered quantities still
add up to the starting stock, and every 201 the clients saw is an order in the database."""

import os
import signal
import time
from pathlib import Path

import pytest

from suites.support.client import Api
from suites.support.load import assert_books_balance, burst
from tooling.databases import sqlite_database
from tooling.servers import local_server, wait_ready

pytestmark = [pytest.mark.local_only, pytest.mark.heavy]
STOCK = 400


def worker_pids(main_pid: int) -> list[int]:
    """Live uvicorn worker processes (spawned children; not the resource tracker)."""
    pids = []
    for pid in Path(f"/proc/{main_pid}/task/{main_pid}/children").read_text().split():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
        except OSError:
            continue
        if b"spawn_main" in cmdline and state != "Z":
            pids.append(int(pid))
    return pids


@pytest.mark.requires("postgres")
def test_killing_a_worker_mid_burst_loses_nothing(spawn_service):
    with spawn_service("kill-worker", "postgres", workers=2) as server:
        api = Api(server.base_url)
        product = api.create_product(stock=STOCK)
        threads, outcomes = burst(server.base_url, product["id"], seconds=4)
        time.sleep(1.5)
        victim = worker_pids(server.process.pid)[0]
        os.kill(victim, signal.SIGKILL)
        for thread in threads:
            thread.join(30)
        wait_ready(server.base_url, 30)
        deadline = time.monotonic() + 20
        while len(worker_pids(server.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        workers = worker_pids(server.process.pid)
        assert victim not in workers and len(workers) == 2  # uvicorn replaced the dead worker
        assert sum(1 for status, _ in outcomes if status == 201) > 10
        assert_books_balance(api, product["id"], outcomes, STOCK)


def test_sigterm_lets_in_flight_requests_finish(scratch_dir, reports):
    with sqlite_database(scratch_dir, "sigterm") as url:
        with local_server(url, reports.service_log("sigterm")) as server:
            api = Api(server.base_url)
            product = api.create_product(stock=STOCK)
            threads, outcomes = burst(server.base_url, product["id"], seconds=3)
            time.sleep(1)
            os.kill(server.process.pid, signal.SIGTERM)
            # uvicorn finishes in-flight requests, runs the shutdown, then re-raises SIGTERM
            assert server.process.wait(timeout=30) in (0, -signal.SIGTERM)
            for thread in threads:
                thread.join(30)
            assert "Application shutdown complete" in server.log_path.read_text()
        with local_server(url, reports.service_log("sigterm-restart")) as restarted:
            assert_books_balance(Api(restarted.base_url), product["id"], outcomes, STOCK)
        assert sum(1 for status, _ in outcomes if status == 201) > 10
