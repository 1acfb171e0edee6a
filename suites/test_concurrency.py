"""Races over HTTP: the last items, racing cancels and quantity changes.

Each request uses its own connection and all are released together by a barrier.
"""

from collections import Counter

import pytest

from suites.support.racing import race_clients


def pending_order(api, *, stock: int, quantity: int) -> tuple[dict, str]:
    """A new product with `stock`, and the path of a PENDING order of `quantity` of it."""
    product = api.create_product(stock=stock)
    return product, f"/orders/{api.create_order(product['id'], quantity)['id']}"


@pytest.mark.heavy
def test_sixty_buyers_for_five_items(racer_api, racer):
    product = racer_api.create_product(stock=5)
    body = {"product_id": product["id"], "quantity": 1}
    responses = race_clients(racer, 60, lambda client, i: client.post("/orders", json=body))
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
    product, order_path = pending_order(racer_api, stock=10, quantity=4)
    responses = race_clients(racer, 20, lambda client, i: client.post(f"{order_path}/cancel"))
    assert [getattr(r, "status_code", r) for r in responses] == [200] * 20
    assert all(r.json()["status"] == "CANCELED" for r in responses)
    assert racer_api.get(f"/products/{product['id']}").json()["stock"] == 10


@pytest.mark.heavy
def test_racing_cancel_and_delete_return_stock_once(racer_api, racer):
    product, path = pending_order(racer_api, stock=10, quantity=3)

    def cancel_or_delete(client, i):
        return client.post(f"{path}/cancel") if i % 2 else client.delete(path)

    responses = race_clients(racer, 10, cancel_or_delete)
    statuses = Counter(getattr(r, "status_code", type(r).__name__) for r in responses)
    assert set(statuses) <= {200, 204, 404}, statuses
    assert statuses[204] == 1
    assert racer_api.get(f"/products/{product['id']}").json()["stock"] == 10


@pytest.mark.heavy
def test_racing_quantity_changes_keep_stock_consistent(racer_api, racer):
    product, path = pending_order(racer_api, stock=20, quantity=1)
    responses = race_clients(
        racer, 16, lambda client, i: client.put(path, json={"quantity": 1 + i % 8})
    )
    assert all(getattr(r, "status_code", None) == 200 for r in responses)
    final = racer_api.get(path).json()
    stock = racer_api.get(f"/products/{product['id']}").json()["stock"]
    assert stock + final["quantity"] == 20
    assert final["total"] == round(final["unit_price"] * final["quantity"], 2)
