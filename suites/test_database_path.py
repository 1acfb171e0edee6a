"""The PostgreSQL data path, black-box over HTTP against the real service and a real
PostgreSQL (issue 14): round trips per request, bounded waits, a locked row that holds up
only its own order, and connections killed under load that come back without a restart;
and SQLite's write lock, waited for off the event loop.

Small and bounded on purpose (CI runs them); the throughput figures are the benchmark's
(`python -m tooling.bench.postgres`, docs/performance.md), not a test's.
"""

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import requests
from sqlalchemy.engine import make_url

from suites.support.client import Api, unique_sku
from suites.support.load import assert_books_balance, burst
from tooling.databases import postgres_admin_url, postgres_database
from tooling.delay_proxy import delay_proxy
from tooling.pg_wire import WireCounter
from tooling.servers import local_server

pytestmark = [pytest.mark.local_only, pytest.mark.timeout(120)]
postgres = pytest.mark.requires("postgres")
PROMPT_S = 0.5  # "answered promptly": far below any lock or timeout in these tests


def libpq(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


@contextmanager
def row_lock(database_url: str, sql: str, *params) -> Iterator[psycopg.Connection]:
    """Another session holding a lock (`SELECT ... FOR UPDATE`, `LOCK TABLE`) until the block
    ends or the returned connection rolls back."""
    with psycopg.connect(libpq(database_url)) as conn:
        conn.execute(sql, params)
        try:
            yield conn
        finally:
            conn.rollback()


def timed(call) -> tuple[float, requests.Response]:
    started = time.perf_counter()
    response = call()
    return time.perf_counter() - started, response


def assert_busy(response: requests.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "database_busy"
    assert int(response.headers["Retry-After"]) >= 1


# --- round trips -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def counted(scratch_dir, reports):
    """The service (1 worker) on a fresh PostgreSQL database reached through a proxy that
    counts what the service sends: `(server, counter)`."""
    counter = WireCounter()
    with (
        postgres_database() as url,
        delay_proxy(("127.0.0.1", 5432), delay_ms=0, tap=counter.connection) as port,
    ):
        via_proxy = make_url(url).set(port=port).update_query_dict({"sslmode": "disable"})
        log = reports.service_log("round-trips")
        with local_server(via_proxy.render_as_string(False), log) as server:
            yield server, counter


def round_trips(counter: WireCounter, send) -> tuple[int, list[str], requests.Response]:
    with counter.window() as seen:
        response = send()
        time.sleep(0.05)  # anything sent after the response (a late ROLLBACK) counts too
    return seen.round_trips, seen.statements, response


@postgres
def test_round_trips_per_request(counted):
    """What the database sees per request, counted on the wire (psycopg's implicit BEGIN,
    COMMIT, ROLLBACK and a pool pre-ping included). Before issue 14: GET 4, POST /orders 5,
    POST /products 4, a list 5, /ready 4."""
    server, counter = counted
    api = Api(server.base_url)
    product = api.create_product(stock=1000)
    order = api.create_order(product["id"], 1)
    new_order = {"product_id": product["id"], "quantity": 1}
    too_many = {"product_id": product["id"], "quantity": 1000}
    pending = [api.create_order(product["id"], 1) for _ in range(4)]  # to cancel
    expected = {  # request -> (round trips, what they are)
        "GET /products/{id}": (1, "the SELECT alone: no BEGIN/ROLLBACK, no pre-ping"),
        "GET /orders/{id}": (1, "the SELECT alone"),
        "GET /products": (2, "the page and its count"),
        "POST /orders": (1, "one statement takes the stock and inserts the order"),
        "POST /orders short of stock": (2, "the statement, then the stock for the 409"),
        "POST /products": (1, "the INSERT alone"),
        "PUT /products/{id}": (1, "the UPDATE alone"),
        "POST /orders/{id}/cancel": (5, "a transaction: BEGIN, lock, stock, order, COMMIT"),
        "POST /orders with Idempotency-Key": (
            7,
            "claim (BEGIN, INSERT, COMMIT), then BEGIN, order, stored response, COMMIT",
        ),
        "GET /ready": (1, "SELECT 1 alone"),
        "GET /health": (0, "never the database"),
    }
    sends = {
        "GET /products/{id}": lambda: api.get(f"/products/{product['id']}"),
        "GET /orders/{id}": lambda: api.get(f"/orders/{order['id']}"),
        "GET /products": lambda: api.get("/products"),
        "POST /orders": lambda: api.post("/orders", json=new_order),
        "POST /orders short of stock": lambda: api.post("/orders", json=too_many),
        "POST /products": lambda: api.post(
            "/products", json={"sku": unique_sku(), "name": "Counted", "price": 2.5, "stock": 1}
        ),
        "PUT /products/{id}": lambda: api.put(f"/products/{product['id']}", json={"stock": 900}),
        "POST /orders/{id}/cancel": lambda: api.post(f"/orders/{pending.pop()['id']}/cancel"),
        "POST /orders with Idempotency-Key": lambda: api.post(
            "/orders", json=new_order, headers={"Idempotency-Key": f"rt-{time.monotonic_ns()}"}
        ),
        "GET /ready": lambda: api.get("/ready"),
        "GET /health": lambda: api.get("/health"),
    }
    for send in sends.values():  # warm up: pool connections open, statements prepared
        for _ in range(3):
            send()
    seen = {}
    for name, send in sends.items():
        count, statements, response = round_trips(counter, send)
        assert response.status_code < 500, (name, response.text)
        seen[name] = (count, statements)
    wrong = {name: seen[name] for name, (count, _) in expected.items() if seen[name][0] != count}
    assert not wrong, f"round trips differ from {expected}: {wrong}"
    singles = [statements for count, statements in seen.values() if count == 1]
    assert not [s for s in singles if s[0].startswith(("BEGIN", ";"))]


# --- bounded waits -----------------------------------------------------------------------------


@postgres
def test_a_locked_row_holds_up_only_the_order_for_it(spawn_service):
    """Another session holds product A's row lock for 2 s: the order for A waits for it and
    ends 201; /health and reads of product B answer promptly throughout (1 worker)."""
    hold = 2.0
    with spawn_service("lock-stall", "postgres") as server:
        api = Api(server.base_url)
        a, b = api.create_product(stock=5), api.create_product(stock=5)
        probes, outcome = [], {}
        with row_lock(
            server.database_url, "SELECT id FROM product WHERE id = %s FOR UPDATE", a["id"]
        ) as lock:
            locked_at = time.monotonic()

            def buy() -> None:
                outcome["seconds"], outcome["response"] = timed(
                    lambda: requests.post(
                        f"{server.base_url}/orders", json={"product_id": a["id"], "quantity": 1}
                    )
                )

            buyer = threading.Thread(target=buy)
            buyer.start()
            while time.monotonic() - locked_at < hold:
                probes.append(timed(lambda: requests.get(f"{server.base_url}/health")))
                probes.append(timed(lambda: requests.get(f"{server.base_url}/products/{b['id']}")))
                time.sleep(0.05)
            assert buyer.is_alive()  # still waiting for the lock
            lock.rollback()
        buyer.join(30)
    assert len(probes) >= 10
    slow = [(round(s, 3), r.request.url) for s, r in probes if s > PROMPT_S]
    assert not slow, f"probes held up by another request's lock: {slow}"
    assert all(r.status_code == 200 for _, r in probes)
    assert outcome["response"].status_code == 201, outcome["response"].text
    assert outcome["seconds"] >= hold - 0.2


@postgres
def test_waits_past_their_timeouts_end_503_database_busy(spawn_service):
    """A lock wait past DB_LOCK_TIMEOUT_MS, for a write or a read, is 503 database_busy with
    Retry-After, nothing written; with the lock timeout off, DB_STATEMENT_TIMEOUT_MS bounds
    the same wait. /health stays prompt meanwhile."""
    env = {"DB_LOCK_TIMEOUT_MS": "300", "DB_STATEMENT_TIMEOUT_MS": "3000"}
    with spawn_service("lock-timeout", "postgres", extra_env=env) as server:
        api = Api(server.base_url)
        a = api.create_product(stock=5)
        order = {"product_id": a["id"], "quantity": 2}
        with row_lock(
            server.database_url, "SELECT id FROM product WHERE id = %s FOR UPDATE", a["id"]
        ):
            seconds, response = timed(lambda: api.post("/orders", json=order))
            assert_busy(response)
            assert seconds < 2
        assert api.get(f"/products/{a['id']}").json()["stock"] == 5  # nothing half-written
        assert api.get("/orders", params={"product_id": a["id"]}).json()["total"] == 0
        with row_lock(server.database_url, "LOCK TABLE product IN ACCESS EXCLUSIVE MODE"):
            assert_busy(api.get(f"/products/{a['id']}"))  # a read's wait is bounded too
            seconds, health = timed(lambda: api.get("/health"))
            assert health.status_code == 200 and seconds < PROMPT_S
        assert api.post("/orders", json=order).status_code == 201

    env = {"DB_LOCK_TIMEOUT_MS": "0", "DB_STATEMENT_TIMEOUT_MS": "300"}
    with spawn_service("statement-timeout", "postgres", extra_env=env) as server:
        api = Api(server.base_url)
        a = api.create_product(stock=5)
        with row_lock(
            server.database_url, "SELECT id FROM product WHERE id = %s FOR UPDATE", a["id"]
        ):
            seconds, response = timed(
                lambda: api.post("/orders", json={"product_id": a["id"], "quantity": 1})
            )
            assert_busy(response)
            assert seconds < 2
        assert api.get(f"/products/{a['id']}").json()["stock"] == 5


# --- connections that die ----------------------------------------------------------------------


def terminate_connections(database_url: str) -> int:
    """pg_terminate_backend of every connection to the service's database."""
    name = make_url(database_url).database
    with psycopg.connect(libpq(postgres_admin_url() or ""), autocommit=True) as admin:
        return admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        ).fetchone()[0]


@postgres
def test_killed_connections_come_back_without_a_restart(spawn_service):
    """Every service connection killed mid-load (2 workers): requests caught in it end 503
    (never a 500 or a traceback), the service answers again within seconds with the same
    processes, and no acknowledged order is lost."""
    stock = 1_000_000  # never sold out: every write after the kill should be a 201
    with spawn_service("connection-loss", "postgres", workers=2) as server:
        api = Api(server.base_url)
        product = api.create_product(stock=stock)
        reads: list[int] = []
        threads, outcomes = burst(server.base_url, product["id"], seconds=4)

        def reader() -> None:
            http = requests.Session()
            deadline = time.monotonic() + 4
            while time.monotonic() < deadline:
                reads.append(http.get(f"{server.base_url}/products/{product['id']}").status_code)

        threads.append(threading.Thread(target=reader))
        threads[-1].start()
        time.sleep(1.5)
        assert terminate_connections(server.database_url) >= 2
        killed_at = time.monotonic()
        recovered = None
        while time.monotonic() - killed_at < 10:
            placed = api.post("/orders", json={"product_id": product["id"], "quantity": 1})
            if placed.status_code == 201:
                recovered = time.monotonic() - killed_at
                break
            time.sleep(0.05)
        for thread in threads:
            thread.join(30)
        assert_books_balance(
            api, product["id"], outcomes, stock, allowed=frozenset({201, 409, 503})
        )
        # Idle pooled connections die too: the next requests find them dead.
        assert terminate_connections(server.database_url) >= 1
        after_idle_kill = [api.get(f"/products/{product['id']}").status_code for _ in range(5)]
        assert server.process.poll() is None  # the same service, never restarted
        log = Path(server.log_path).read_text(errors="replace")

    assert recovered is not None and recovered < 5, f"answered again after {recovered} s"
    assert sum(1 for status, _ in outcomes if status == 201) > 10
    codes = {body["code"] for status, body in outcomes if status == 503}
    assert codes <= {"database_unavailable", "database_busy"}, codes
    assert set(reads) <= {200, 503} and reads.count(200) > 10
    assert after_idle_kill == [200] * 5  # a read on a dead connection is retried once
    assert "Traceback" not in log


# --- SQLite ------------------------------------------------------------------------------------


def test_sqlite_waits_for_another_writer_off_the_event_loop(spawn_service):
    """Another process holds SQLite's write lock: a write waits for it in a thread while
    /health and reads answer at once; past SQLITE_BUSY_TIMEOUT_MS it is 503 database_busy
    with nothing written; once the lock is gone writes succeed again."""
    with spawn_service("sqlite-locked", extra_env={"SQLITE_BUSY_TIMEOUT_MS": "1000"}) as server:
        api = Api(server.base_url)
        product = api.create_product(stock=5)
        holder = sqlite3.connect(
            server.database_url.removeprefix("sqlite:///"), isolation_level=None
        )
        try:
            holder.execute("BEGIN IMMEDIATE")
            outcome = {}
            order = {"product_id": product["id"], "quantity": 1}
            writer = threading.Thread(
                target=lambda: outcome.update(response=api.post("/orders", json=order))
            )
            writer.start()
            time.sleep(0.2)
            for path in ("/health", f"/products/{product['id']}"):
                seconds, response = timed(lambda path=path: requests.get(server.base_url + path))
                assert response.status_code == 200 and seconds < PROMPT_S, (path, seconds)
            writer.join(10)
        finally:
            holder.rollback()
            holder.close()
        assert_busy(outcome["response"])
        assert api.get(f"/products/{product['id']}").json()["stock"] == 5
        assert api.post("/orders", json=order).status_code == 201
