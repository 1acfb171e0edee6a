"""Races over HTTP: the last items, racing cancels and quantity changes.

Each request uses its own connection and all are released together by a barrier.
"""

from collections import Counter

import pytest

from suites.support.racing import fresh_client, race


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
        lambda i: (
            clients[i].post(f"/orders/{order['id']}/cancel")
            if i % 2
            else clients[i].delete(f"/orders/{order['id']}")
        ),
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
