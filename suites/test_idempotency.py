"""Idempotency-Key on POST /orders (IETF httpapi draft, as the contract states it)."""

import secrets
from collections import Counter

import pytest

from suites.contract import assert_problem
from suites.support.racing import race_clients


def new_key() -> str:
    return f"key_{secrets.token_hex(12)}"


def stock_of(api, product_id):
    return api.get(f"/products/{product_id}").json()["stock"]


def test_same_key_same_body_replays_the_first_response(api):
    product = api.create_product(stock=5)
    key = new_key()
    body = {"product_id": product["id"], "quantity": 2}
    first = api.post("/orders", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    second = api.post("/orders", json=body, headers={"Idempotency-Key": key})
    assert second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    assert second.headers["location"] == first.headers["location"]
    assert stock_of(api, product["id"]) == 3
    assert api.get("/orders", params={"product_id": product["id"]}).json()["total"] == 1


def test_quoted_key_is_the_same_key(api):
    product = api.create_product(stock=5)
    key = new_key()
    body = {"product_id": product["id"], "quantity": 1}
    first = api.post("/orders", json=body, headers={"Idempotency-Key": key})
    quoted = api.post("/orders", json=body, headers={"Idempotency-Key": f'"{key}"'})
    assert quoted.headers.get("idempotent-replayed") == "true"
    assert quoted.json()["id"] == first.json()["id"]


def test_same_key_other_body_is_422(api):
    product = api.create_product(stock=5)
    key = new_key()
    api.post(
        "/orders",
        json={"product_id": product["id"], "quantity": 1},
        headers={"Idempotency-Key": key},
    )
    other = api.post(
        "/orders",
        json={"product_id": product["id"], "quantity": 2},
        headers={"Idempotency-Key": key},
    )
    assert_problem(other, 422, "idempotency_key_reused")
    assert stock_of(api, product["id"]) == 4


def test_a_refused_first_request_is_replayed_too(api):
    product = api.create_product(stock=1)
    key = new_key()
    body = {"product_id": product["id"], "quantity": 5}
    first = api.post("/orders", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == 409 and first.json()["code"] == "insufficient_stock"
    api.patch(f"/products/{product['id']}", json={"stock": 10})
    again = api.post("/orders", json=body, headers={"Idempotency-Key": key})
    assert again.status_code == 409 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["code"] == "insufficient_stock"
    assert stock_of(api, product["id"]) == 10


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "bad/char", '"unterminated', "é"])
def test_malformed_key_is_400(api, key):
    product = api.create_product(stock=5)
    response = api.post(
        "/orders",
        json={"product_id": product["id"], "quantity": 1},
        headers={"Idempotency-Key": key.encode("utf-8")},
    )
    assert_problem(response, 400, "invalid_idempotency_key")
    assert stock_of(api, product["id"]) == 5


@pytest.mark.heavy
def test_ten_concurrent_requests_with_one_key_create_one_order(racer_api, racer):
    product = racer_api.create_product(stock=20)
    key = new_key()
    body = {"product_id": product["id"], "quantity": 3}
    results = race_clients(
        racer,
        10,
        lambda client, i: client.post("/orders", json=body, headers={"Idempotency-Key": key}),
    )
    statuses = Counter(getattr(r, "status_code", None) for r in results)
    assert set(statuses) <= {201, 409}, statuses
    created_ids = {r.json()["id"] for r in results if r.status_code == 201}
    assert len(created_ids) == 1
    for response in results:
        if response.status_code == 409:
            assert response.json()["code"] == "idempotency_key_in_flight"
    assert stock_of(racer_api, product["id"]) == 17
    assert racer_api.get("/orders", params={"product_id": product["id"]}).json()["total"] == 1
