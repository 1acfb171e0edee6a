"""Business rules as plain functions on a real database (SQLite and PostgreSQL), no HTTP.

Each rule runs as a write route runs it: inside `service.db.transaction`, which commits,
or rolls back when the rule refuses.
"""

import secrets
from decimal import Decimal

import pytest
from pydantic import ValidationError

from service import idempotency, orders, payments, products
from service.db import transaction
from service.errors import ApiError
from service.models import OrderCreate, OrderStatus, OrderUpdate, ProductCreate, ProductUpdate


def run(session, rule, *args, **kwargs):
    with transaction(session):
        return rule(session, *args, **kwargs)


def refused_with(status):
    """`pytest.raises` for an ApiError of this HTTP status."""
    return pytest.raises(ApiError, check=lambda exc: exc.status == status)


def new_product(session, price="9.99", stock=10):
    data = ProductCreate(
        sku=f"U-{secrets.token_hex(6)}", name="Unit", price=Decimal(price), stock=stock
    )
    return run(session, products.create_product, data)


def place(session, product, quantity=1):
    return run(
        session, orders.place_order, OrderCreate(product_id=product["id"], quantity=quantity)
    )


def stock(session, product):
    return run(session, products.get_product, product["id"])["stock"]


def test_money_is_exact(session):
    product = new_product(session, price="0.1", stock=3)
    order = place(session, product, 3)
    assert order["total"] == Decimal("0.30") and str(order["total"]) == "0.30"


def test_place_order_takes_stock_and_refuses_oversell(session):
    product = new_product(session, stock=3)
    place(session, product, 2)
    with refused_with(409) as refused:
        place(session, product, 2)
    assert refused.value.code == "insufficient_stock"
    assert refused.value.extra == {"available": 1, "requested": 2}
    assert stock(session, product) == 1


def test_a_refusal_rolls_back_the_whole_transaction(session):
    product = new_product(session, stock=3)
    two = OrderCreate(product_id=product["id"], quantity=2)
    with refused_with(409), transaction(session):
        orders.place_order(session, two)
        orders.place_order(session, two)  # short: the first order goes too
    assert stock(session, product) == 3


def test_unknown_product(session):
    with refused_with(404) as missing:
        run(session, orders.place_order, OrderCreate(product_id=987654321, quantity=1))
    assert missing.value.detail == "Product 987654321 not found"


@pytest.mark.parametrize(
    "current, wanted, allowed",
    [
        (
            s,
            t,
            t == s
            or (s, t) in {("PENDING", "CANCELED"), ("PAID", "SHIPPED"), ("PAID", "CANCELED")},
        )
        for s in OrderStatus
        for t in OrderStatus
    ],
)
def test_transition_table(current, wanted, allowed):
    if allowed:
        orders.check_transition(current, wanted)
    else:
        with refused_with(409) as refused:
            orders.check_transition(current, wanted)
        assert refused.value.detail == f"Cannot change order status from {current} to {wanted}"


def test_cancel_returns_stock_exactly_once(session):
    product = new_product(session, stock=5)
    order = place(session, product, 4)
    for _ in range(3):
        assert run(session, orders.cancel_order, order["id"])["status"] == "CANCELED"
    assert stock(session, product) == 5


def test_quantity_change_adjusts_stock_and_total(session):
    product = new_product(session, price="2.50", stock=5)
    order = place(session, product, 1)
    updated = run(session, orders.update_order, order["id"], OrderUpdate(quantity=4))
    assert (updated["quantity"], updated["total"], stock(session, product)) == (
        4,
        Decimal("10.00"),
        1,
    )
    with refused_with(409):
        run(session, orders.update_order, order["id"], OrderUpdate(quantity=6))
    assert stock(session, product) == 1
    update = OrderUpdate(quantity=2, status="CANCELED")
    updated = run(session, orders.update_order, order["id"], update)
    assert updated["status"] == "CANCELED" and stock(session, product) == 5


def test_delete_rules(session):
    product = new_product(session, stock=5)
    pending = place(session, product, 2)
    run(session, orders.delete_order, pending["id"])
    assert stock(session, product) == 5
    kept = place(session, product, 1)
    run(session, orders.update_order, kept["id"], OrderUpdate(status="CANCELED"))
    with refused_with(409) as blocked:
        run(session, products.delete_product, product["id"])
    assert blocked.value.code == "product_has_orders"
    lonely = new_product(session)
    run(session, products.delete_product, lonely["id"])
    with refused_with(404):
        run(session, products.get_product, lonely["id"])


def test_duplicate_sku(session):
    product = new_product(session)
    other = new_product(session)
    with refused_with(409) as taken:
        run(session, products.update_product, other["id"], ProductUpdate(sku=product["sku"]))
    assert taken.value.detail == f"Product with sku '{product['sku']}' already exists"


def _event(order, kind="payment.succeeded", **data):
    body = {"order_id": order["id"], "payment_id": "pay_1", "amount": float(order["total"]), **data}
    return payments.WebhookEvent(type=kind, data=body)


def test_payment_marks_paid_once_per_webhook_id(session):
    order = place(session, new_product(session), 2)
    first = run(session, payments.process_event, "msg_unit_1", _event(order))
    assert first == {"status": "processed", "order_id": order["id"], "order_status": "PAID"}
    again = run(session, payments.process_event, "msg_unit_1", _event(order))
    assert again == {"status": "duplicate"}
    paid = run(session, orders.get_order, order["id"])
    assert paid["payment_id"] == "pay_1" and paid["paid_at"] is not None


def test_payment_amount_mismatch_changes_nothing(session):
    order = place(session, new_product(session))
    with refused_with(409) as mismatch:
        event = _event(order, amount=0.01)
        run(session, payments.process_event, f"msg_{secrets.token_hex(4)}", event)
    assert mismatch.value.code == "amount_mismatch"
    assert run(session, orders.get_order, order["id"])["status"] == "PENDING"


def test_payment_cannot_revive_a_canceled_order(session):
    order = place(session, new_product(session))
    run(session, orders.cancel_order, order["id"])
    with refused_with(409) as refused:
        run(session, payments.process_event, f"msg_{secrets.token_hex(4)}", _event(order))
    assert refused.value.code == "invalid_transition"


def test_payment_event_validation():
    with pytest.raises(ValidationError):
        payments.PaymentEvent.model_validate({"type": "payment.succeeded", "data": {"order_id": 1}})


@pytest.mark.parametrize(
    "header, key",
    [("abc", "abc"), ('"abc"', "abc"), ("A_b-9", "A_b-9"), ("x" * 255, "x" * 255)],
)
def test_idempotency_key_parsing(header, key):
    assert idempotency.parse_key(header) == key


@pytest.mark.parametrize("header", ["", '""', "a b", '"abc', "x" * 256, "ключ"])
def test_idempotency_key_rejects(header):
    with pytest.raises(ApiError) as bad:
        idempotency.parse_key(header)
    assert bad.value.status == 400


def test_idempotent_order_is_placed_once(session):
    product = new_product(session, stock=5)
    data = OrderCreate(product_id=product["id"], quantity=2)
    key = f"unit-{secrets.token_hex(6)}"
    first = idempotency.place_order_once(session, key, data, "rid")
    again = idempotency.place_order_once(session, key, data, "rid")
    assert (first.status, first.replayed, again.replayed) == (201, False, True)
    assert again.body == first.body and stock(session, product) == 3
    with pytest.raises(ApiError) as reused:
        idempotency.place_order_once(
            session, key, OrderCreate(product_id=product["id"], quantity=1), "rid"
        )
    assert reused.value.code == "idempotency_key_reused"
