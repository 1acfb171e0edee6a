"""Orders over HTTP: placing takes stock, the transition table, quantity changes, cancel
and delete rules, exactly as the contract's order table says."""

import time

import pytest

from suites.contract import (
    assert_later,
    assert_order_shape,
    assert_problem,
    assert_validation_error,
    timestamp,
)


def stock_of(api, product_id: int) -> int:
    return api.get(f"/products/{product_id}").json()["stock"]


def test_order_lifecycle_story(api):
    product = api.create_product(price=4.5, stock=10)
    created = api.post("/orders", json={"product_id": product["id"], "quantity": 3})
    assert created.status_code == 201
    order = created.json()
    assert_order_shape(order)
    assert (order["status"], order["quantity"], order["unit_price"], order["total"]) == (
        "PENDING",
        3,
        4.5,
        13.5,
    )
    assert order["paid_at"] is None and order["payment_id"] is None
    assert created.headers["location"].endswith(f"/orders/{order['id']}")
    assert stock_of(api, product["id"]) == 7

    assert api.get(f"/orders/{order['id']}").json() == order

    bigger = api.put(f"/orders/{order['id']}", json={"quantity": 5})
    assert bigger.status_code == 200 and bigger.json()["total"] == 22.5
    assert stock_of(api, product["id"]) == 5
    smaller = api.patch(f"/orders/{order['id']}", json={"quantity": 1})
    assert smaller.status_code == 200 and smaller.json()["quantity"] == 1
    assert stock_of(api, product["id"]) == 9

    canceled = api.post(f"/orders/{order['id']}/cancel")
    assert canceled.status_code == 200 and canceled.json()["status"] == "CANCELED"
    assert stock_of(api, product["id"]) == 10
    again = api.post(f"/orders/{order['id']}/cancel")  # same status again: no-op
    assert again.status_code == 200 and again.json()["status"] == "CANCELED"
    assert stock_of(api, product["id"]) == 10

    assert api.delete(f"/orders/{order['id']}").status_code == 204
    assert_problem(
        api.get(f"/orders/{order['id']}"), 404, "order_not_found", f"Order {order['id']} not found"
    )


def test_unit_price_is_frozen_when_placed(api):
    product = api.create_product(price=2, stock=5)
    order = api.create_order(product["id"], 2)
    api.put(f"/products/{product['id']}", json={"price": 3})
    assert api.get(f"/orders/{order['id']}").json()["unit_price"] == 2
    assert api.put(f"/orders/{order['id']}", json={"quantity": 3}).json()["total"] == 6


def test_insufficient_stock_is_409_with_figures(api):
    product = api.create_product(stock=2)
    response = api.post("/orders", json={"product_id": product["id"], "quantity": 3})
    body = assert_problem(response, 409, "insufficient_stock", "Insufficient stock")
    assert (body["available"], body["requested"]) == (2, 3)
    assert stock_of(api, product["id"]) == 2
    assert api.get("/orders", params={"product_id": product["id"]}).json()["total"] == 0


def test_quantity_increase_short_of_stock_is_409_and_changes_nothing(api):
    product = api.create_product(stock=3)
    order = api.create_order(product["id"], 2)
    body = assert_problem(
        api.put(f"/orders/{order['id']}", json={"quantity": 5}), 409, "insufficient_stock"
    )
    assert (body["available"], body["requested"]) == (1, 3)
    assert api.get(f"/orders/{order['id']}").json()["quantity"] == 2
    assert stock_of(api, product["id"]) == 1


def test_order_for_unknown_product_is_404(api):
    response = api.post("/orders", json={"product_id": 999999999, "quantity": 1})
    assert_problem(response, 404, "product_not_found", "Product 999999999 not found")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"product_id": 1}, "quantity"),
        ({"quantity": 1}, "product_id"),
        ({"product_id": 1, "quantity": 0}, "quantity"),
        ({"product_id": 1, "quantity": 1001}, "quantity"),
        ({"product_id": 1, "quantity": 1.5}, "quantity"),
        ({"product_id": 1, "quantity": "2"}, "quantity"),
        ({"product_id": "one", "quantity": 1}, "product_id"),
        ({"product_id": 1, "quantity": 1, "status": "PAID"}, "status"),
    ],
)
def test_create_order_rejects_invalid_bodies(api, body, field):
    assert_validation_error(api.post("/orders", json=body), field)


# (from, to) -> expected: "ok" or "conflict"; PAID is only reachable through the webhook.
TRANSITIONS = [
    ("PENDING", "PENDING", "ok"),
    ("PENDING", "PAID", "conflict"),
    ("PENDING", "SHIPPED", "conflict"),
    ("PENDING", "CANCELED", "ok"),
    ("PAID", "PAID", "ok"),
    ("PAID", "PENDING", "conflict"),
    ("PAID", "SHIPPED", "ok"),
    ("PAID", "CANCELED", "ok"),
    ("SHIPPED", "SHIPPED", "ok"),
    ("SHIPPED", "PENDING", "conflict"),
    ("SHIPPED", "PAID", "conflict"),
    ("SHIPPED", "CANCELED", "conflict"),
    ("CANCELED", "CANCELED", "ok"),
    ("CANCELED", "PENDING", "conflict"),
    ("CANCELED", "PAID", "conflict"),
    ("CANCELED", "SHIPPED", "conflict"),
]


def order_in(api, status: str) -> tuple[dict, dict]:
    """A fresh order driven to `status` the way clients do (PAID via the signed webhook)."""
    product = api.create_product(stock=5)
    order = api.create_order(product["id"], 2)
    if status in ("PAID", "SHIPPED"):
        paid = api.pay(order)
        assert paid.status_code == 200, paid.text
    if status == "SHIPPED":
        assert api.put(f"/orders/{order['id']}", json={"status": "SHIPPED"}).status_code == 200
    if status == "CANCELED":
        assert api.post(f"/orders/{order['id']}/cancel").status_code == 200
    order = api.get(f"/orders/{order['id']}").json()
    assert order["status"] == status
    return product, order


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("current, wanted, expected", TRANSITIONS)
def test_transition_table(api, method, current, wanted, expected):
    product, order = order_in(api, current)
    stock_before = stock_of(api, product["id"])
    response = getattr(api, method)(f"/orders/{order['id']}", json={"status": wanted})
    if expected == "ok":
        assert response.status_code == 200, response.text
        assert response.json()["status"] == wanted
        returned = 2 if wanted == "CANCELED" and current != "CANCELED" else 0
        assert stock_of(api, product["id"]) == stock_before + returned
    else:
        assert_problem(
            response,
            409,
            "invalid_transition",
            f"Cannot change order status from {current} to {wanted}",
        )
        assert api.get(f"/orders/{order['id']}").json() == order
        assert stock_of(api, product["id"]) == stock_before


def test_each_change_moves_updated_at_forward(api):
    """A quantity change, the payment and shipping each move `updated_at` strictly later
    (compared as instants); a no-op (the same status again) leaves the order as it was."""
    product = api.create_product(price=2.5, stock=10)
    order = api.create_order(product["id"], 1)

    def changed(response) -> dict:
        assert response.status_code == 200, response.text
        return api.get(f"/orders/{order['id']}").json()

    time.sleep(0.01)  # a coarse server clock could otherwise give two changes one instant
    bigger = changed(api.put(f"/orders/{order['id']}", json={"quantity": 2}))
    assert_later(bigger["updated_at"], order["updated_at"])
    time.sleep(0.01)
    paid = changed(api.pay(bigger))
    assert paid["status"] == "PAID"
    assert_later(paid["updated_at"], bigger["updated_at"])
    assert timestamp(paid["paid_at"]) > timestamp(bigger["updated_at"])
    time.sleep(0.01)
    shipped = changed(api.patch(f"/orders/{order['id']}", json={"status": "SHIPPED"}))
    assert_later(shipped["updated_at"], paid["updated_at"])
    assert shipped["created_at"] == order["created_at"]
    again = api.put(f"/orders/{order['id']}", json={"status": "SHIPPED"})
    assert again.status_code == 200 and again.json() == shipped


@pytest.mark.parametrize("current", ["PAID", "SHIPPED"])
def test_cancel_endpoint_follows_the_table(api, current):
    product, order = order_in(api, current)
    response = api.post(f"/orders/{order['id']}/cancel")
    if current == "PAID":
        assert response.status_code == 200 and response.json()["status"] == "CANCELED"
        assert stock_of(api, product["id"]) == 5
    else:
        assert_problem(
            response,
            409,
            "invalid_transition",
            "Cannot change order status from SHIPPED to CANCELED",
        )


@pytest.mark.parametrize("current", ["PAID", "SHIPPED", "CANCELED"])
def test_quantity_changes_only_while_pending(api, current):
    product, order = order_in(api, current)
    stock_before = stock_of(api, product["id"])
    response = api.put(f"/orders/{order['id']}", json={"quantity": 1})
    assert_problem(response, 409, "order_not_pending")
    assert api.get(f"/orders/{order['id']}").json() == order
    assert stock_of(api, product["id"]) == stock_before


@pytest.mark.parametrize(
    "status, deletable, stock_after",
    [("PENDING", True, 5), ("CANCELED", True, 5), ("PAID", False, 3), ("SHIPPED", False, 3)],
)
def test_delete_rules(api, status, deletable, stock_after):
    product, order = order_in(api, status)
    response = api.delete(f"/orders/{order['id']}")
    if deletable:
        assert response.status_code == 204 and response.content == b""
        assert api.get(f"/orders/{order['id']}").status_code == 404
    else:
        assert_problem(response, 409, "order_not_deletable")
        assert api.get(f"/orders/{order['id']}").json() == order
    assert stock_of(api, product["id"]) == stock_after


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_unknown_order_is_404(api, method):
    kwargs = {"json": {"status": "CANCELED"}} if method in ("put", "patch") else {}
    response = getattr(api, method)("/orders/999999999", **kwargs)
    assert_problem(response, 404, "order_not_found", "Order 999999999 not found")
    assert_problem(api.post("/orders/999999999/cancel"), 404, "order_not_found")


@pytest.mark.parametrize(
    "body", [{}, {"status": "LOST"}, {"quantity": 0}, {"status": None}, {"product_id": 2}]
)
def test_update_order_rejects_invalid_bodies(api, body):
    product = api.create_product()
    order = api.create_order(product["id"])
    assert_validation_error(api.put(f"/orders/{order['id']}", json=body))
    assert api.get(f"/orders/{order['id']}").json() == order


def test_list_orders_filters_and_sorting(api):
    product = api.create_product(stock=10)
    first = api.create_order(product["id"])
    second = api.create_order(product["id"])
    third = api.create_order(product["id"])
    api.post(f"/orders/{second['id']}/cancel")

    def listed(**params):
        response = api.get("/orders", params={"product_id": product["id"], **params})
        assert response.status_code == 200, response.text
        return response.json()

    assert [o["id"] for o in listed()["items"]] == [first["id"], second["id"], third["id"]]
    assert [o["id"] for o in listed(sort="-id")["items"]] == [
        third["id"],
        second["id"],
        first["id"],
    ]
    assert next(o["id"] for o in listed(sort="-created_at")["items"]) == third["id"]
    assert [o["id"] for o in listed(status="CANCELED")["items"]] == [second["id"]]
    assert listed(status="PENDING")["total"] == 2
    page = listed(limit=1, offset=1)
    assert (page["total"], page["limit"], page["offset"]) == (3, 1, 1)
    assert [o["id"] for o in page["items"]] == [second["id"]]
    assert_validation_error(api.get("/orders", params={"status": "LOST"}), "status")
    assert_validation_error(api.get("/orders", params={"sort": "total"}), "sort")
