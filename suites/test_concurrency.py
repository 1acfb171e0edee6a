"""Races over HTTP: the last items, racing cancels and quantity changes.

Each request uses its own connection and all are released together by a barrier.
"""

import threading
from pathlib import Path
from collections import Counter

import pytest
import requests

from suites.support.client import Api
from suites.support.databases import throwaway_database
from suites.support.server import local_server

REPORTS = Path(__file__).resolve().parent.parent / "reports" / "pytest"


def race(count: int, send) -> list[requests.Response]:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(i: int) -> None:
        barrier.wait()
        try:
            results[i] = send(i)
        except requests.RequestException as exc:  # recorded, then asserted on
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def fresh_client(target) -> Api:
    return Api(target.base_url, webhook_secret=target.webhook_secret, api_key=target.api_key)


@pytest.fixture(scope="module")
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


@pytest.mark.heavy
def test_sixty_buyers_for_five_items(racer_api, racer):
    product = racer_api.create_product(stock=5)
    clients = [fresh_client(racer) for _ in range(60)]
    responses = race(
        60, lambda i: clients[i].post("/orders", json={"product_id": product["id"], "quantity": 1})
    )
    statuses = Counter(getattr(r, "status_code", type(r).__name__) for r in responses)
    assert statuses == {201: 5, 409: 55}, statuses
    for response in responses:
        if response.status_code == 409:
            assert response.json()["code"] == "insufficient_stock"
    assert racer_api.get(f"/products/{product['id']}").json()["stock"] == 0
    orders = racer_api.get("/orders", params={"product_id": product["id"], "limit": 100}).json()
    assert orders["total"] == 5 and sum(o["quantity"] for o in orders["items"]) == 5


@pytest.mark.heavy
def test_twenty_racing_cancels_return_stock_once(racer_api, racer):
    product = racer_api.create_product(stock=10)
    order = racer_api.create_order(product["id"], 4)
    clients = [fresh_client(racer) for _ in range(20)]
    responses = race(20, lambda i: clients[i].post(f"/orders/{order['id']}/cancel"))
    assert [getattr(r, "status_code", r) for r in responses] == [200] * 20
    assert all(r.json()["status"] == "CANCELED" for r in responses)
    assert racer_api.get(f"/products/{product['id']}").json()["stock"] == 10


@pytest.mark.heavy
def test_racing_cancel_and_delete_return_stock_once(racer_api, racer):
    product = racer_api.create_product(stock=10)
    order = racer_api.create_order(product["id"], 3)
    clients = [fresh_client(racer) for _ in range(10)]
    responses = race(
        10,
        lambda i: clients[i].post(f"/orders/{order['id']}/cancel")
        if i % 2
        else clients[i].delete(f"/orders/{order['id']}"),
    )
    statuses = Counter(getattr(r, "status_code", type(r).__name__) for r in responses)
    assert set(statuses) <= {200, 204, 404}, statuses
    assert statuses[204] == 1
    assert racer_api.get(f"/products/{product['id']}").json()["stock"] == 10


@pytest.mark.heavy
def test_racing_quantity_changes_keep_stock_consistent(racer_api, racer):
    product = racer_api.create_product(stock=20)
    order = racer_api.create_order(product["id"], 1)
    clients = [fresh_client(racer) for _ in range(16)]
    responses = race(
        16, lambda i: clients[i].put(f"/orders/{order['id']}", json={"quantity": 1 + i % 8})
    )
    assert all(getattr(r, "status_code", None) == 200 for r in responses)
    final = racer_api.get(f"/orders/{order['id']}").json()
    stock = racer_api.get(f"/products/{product['id']}").json()["stock"]
    assert stock + final["quantity"] == 20
    assert final["total"] == round(final["unit_price"] * final["quantity"], 2)
