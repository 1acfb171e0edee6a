"""Products over HTTP: every row of the contract's product table, as stories."""

import time

import jsonschema_rs
import pytest
import requests

from suites.contract import (
    assert_later,
    assert_problem,
    assert_product_shape,
    assert_validation_error,
)
from suites.support.client import unique_sku


def test_product_crud_story(api):
    sku = unique_sku("MUG")
    created = api.post(
        "/products", json={"sku": sku, "name": "  Blue mug ", "price": 9.99, "stock": 5}
    )
    assert created.status_code == 201
    product = created.json()
    assert_product_shape(product)
    assert product["name"] == "Blue mug"  # trimmed
    assert product["price"] == 9.99 and product["stock"] == 5 and product["sku"] == sku
    assert created.headers["location"].endswith(f"/products/{product['id']}")
    assert created.headers["x-request-id"]

    listed = api.get("/products", params={"sku": sku}).json()
    assert listed["total"] == 1 and listed["items"] == [product]

    fetched = api.get(f"/products/{product['id']}")
    assert fetched.status_code == 200 and fetched.json() == product

    put = api.put(f"/products/{product['id']}", json={"price": 12.5})
    assert put.status_code == 200
    assert put.json()["price"] == 12.5 and put.json()["name"] == "Blue mug"
    assert_later(put.json()["updated_at"], product["updated_at"])

    patched = api.patch(f"/products/{product['id']}", json={"name": "Mug", "stock": 7})
    assert patched.status_code == 200
    assert (patched.json()["name"], patched.json()["stock"], patched.json()["price"]) == (
        "Mug",
        7,
        12.5,
    )

    deleted = api.delete(f"/products/{product['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert_problem(
        api.get(f"/products/{product['id']}"),
        404,
        "product_not_found",
        f"Product {product['id']} not found",
    )


def test_duplicate_sku_is_409_and_changes_nothing(api):
    first = api.create_product()
    again = api.post(
        "/products", json={"sku": first["sku"], "name": "Other", "price": 1, "stock": 1}
    )
    body = assert_problem(
        again, 409, "duplicate_sku", f"Product with sku '{first['sku']}' already exists"
    )
    assert "available" not in body
    assert api.get("/products", params={"sku": first["sku"]}).json()["total"] == 1


def test_update_to_taken_sku_is_409(api):
    first, second = api.create_product(), api.create_product()
    for method in (api.put, api.patch):
        response = method(f"/products/{second['id']}", json={"sku": first["sku"]})
        assert_problem(response, 409, "duplicate_sku")
    assert api.get(f"/products/{second['id']}").json()["sku"] == second["sku"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "x", "price": 1, "stock": 1}, "sku"),
        ({"sku": "", "name": "x", "price": 1, "stock": 1}, "sku"),
        ({"sku": "has space", "name": "x", "price": 1, "stock": 1}, "sku"),
        ({"sku": "x" * 65, "name": "x", "price": 1, "stock": 1}, "sku"),
        ({"sku": 123, "name": "x", "price": 1, "stock": 1}, "sku"),
        ({"sku": "S", "name": "   ", "price": 1, "stock": 1}, "name"),
        ({"sku": "S", "name": "x" * 201, "price": 1, "stock": 1}, "name"),
        ({"sku": "S", "name": "a\u0000b", "price": 1, "stock": 1}, "name"),
        ({"sku": "S", "name": "x", "price": 0, "stock": 1}, "price"),
        ({"sku": "S", "name": "x", "price": -5, "stock": 1}, "price"),
        ({"sku": "S", "name": "x", "price": 1.234, "stock": 1}, "price"),
        ({"sku": "S", "name": "x", "price": 1000000.01, "stock": 1}, "price"),
        ({"sku": "S", "name": "x", "price": "9.99", "stock": 1}, "price"),
        ({"sku": "S", "name": "x", "price": 1, "stock": -1}, "stock"),
        ({"sku": "S", "name": "x", "price": 1, "stock": 1.5}, "stock"),
        ({"sku": "S", "name": "x", "price": 1, "stock": True}, "stock"),
        ({"sku": "S", "name": "x", "price": 1, "stock": 1, "colour": "blue"}, "colour"),
        ({"sku": "S", "name": "x", "price": 1, "stock": 1, "id": 5}, "id"),
    ],
)
def test_create_rejects_invalid_fields(api, body, field):
    body = dict(body)
    if body.get("sku") == "S":
        body["sku"] = unique_sku()
    response = api.post("/products", json=body)
    assert_validation_error(response, field)
    if field != "sku":  # the body named a valid sku: nothing was created under it
        assert api.get("/products", params={"sku": body["sku"]}).json()["total"] == 0


# Money as JSON Schema validators read `multipleOf: 0.01` (by the number as written, not by
# binary float division): accepted exactly when the published schema allows it.
MONEY_CASES = [
    (0.07, True),
    (4.06, True),
    (19.99, True),
    (1000000, True),
    (0.30000000000000004, False),  # 0.1 * 3 in a client: round to cents before sending
    (4.0600000000000005, False),
    (1.234, False),
    (0.001, False),
]


@pytest.mark.parametrize("price, allowed", MONEY_CASES)
def test_money_is_accepted_exactly_when_the_schema_allows_it(api, target, price, allowed):
    spec = requests.get(f"{target.origin}/openapi.json", timeout=30).json()
    schema = spec["components"]["schemas"]["ProductCreate"]["properties"]["price"]
    assert jsonschema_rs.validator_for(schema).is_valid(price) is allowed, schema
    response = api.post(
        "/products", json={"sku": unique_sku(), "name": "Money", "price": price, "stock": 1}
    )
    if allowed:
        assert response.status_code == 201, response.text
        assert response.json()["price"] == price
    else:
        assert_validation_error(response, "price")


def test_price_is_exact(api):
    product = api.create_product(price=0.1, stock=3)
    order = api.create_order(product["id"], 3)
    assert order["unit_price"] == 0.1 and order["total"] == 0.3  # not 0.30000000000000004
    max_price = api.create_product(price=1000000, stock=1000)
    assert api.create_order(max_price["id"], 1000)["total"] == 1_000_000_000


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize(
    "body, field",
    [
        ({}, None),
        ({"id": 1}, "id"),
        ({"created_at": "2026-01-01T00:00:00Z"}, "created_at"),
        ({"colour": "red"}, "colour"),
        ({"name": None}, None),
        ({"price": -1}, "price"),
        ({"stock": -1}, "stock"),
    ],
)
def test_update_rejects_invalid_bodies(api, method, body, field):
    product = api.create_product()
    response = getattr(api, method)(f"/products/{product['id']}", json=body)
    assert_validation_error(response, *([field] if field else []))
    assert api.get(f"/products/{product['id']}").json() == product


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_unknown_product_is_404(api, method):
    kwargs = {"json": {"stock": 1}} if method in ("put", "patch") else {}
    response = getattr(api, method)("/products/999999999", **kwargs)
    assert_problem(response, 404, "product_not_found", "Product 999999999 not found")


def test_delete_product_with_orders_is_409(api):
    product = api.create_product(stock=2)
    order = api.create_order(product["id"])
    response = api.delete(f"/products/{product['id']}")
    assert_problem(response, 409, "product_has_orders")
    assert api.get(f"/products/{product['id']}").status_code == 200
    # Even after the order is canceled, the record keeps the product.
    api.post(f"/orders/{order['id']}/cancel")
    assert_problem(api.delete(f"/products/{product['id']}"), 409, "product_has_orders")


def test_list_pagination_filters_and_sorting(api):
    tag = unique_sku("PG")
    made = [
        api.create_product(sku=f"{tag}-{i}", name=f"{tag} Widget {i}", price=price, stock=stock)
        for i, (price, stock) in enumerate([(5, 0), (1.5, 3), (9.99, 1), (3, 0), (7.25, 8)])
    ]
    ids = [p["id"] for p in made]

    def listed(**params):
        response = api.get("/products", params={"q": tag, **params})
        assert response.status_code == 200, response.text
        return response.json()

    page = listed(limit=2, offset=0)
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 0)
    assert [p["id"] for p in page["items"]] == ids[:2]
    assert [p["id"] for p in listed(limit=2, offset=4)["items"]] == ids[4:]
    assert listed(limit=2, offset=10)["items"] == []
    assert [p["id"] for p in listed(sort="-id")["items"]] == ids[::-1]
    assert [p["price"] for p in listed(sort="price")["items"]] == [1.5, 3, 5, 7.25, 9.99]
    assert [p["price"] for p in listed(sort="-price")["items"]] == [9.99, 7.25, 5, 3, 1.5]
    assert [p["id"] for p in listed(sort="created_at")["items"]] == ids
    assert [p["id"] for p in listed(sort="-created_at")["items"]] == ids[::-1]
    names = [p["name"] for p in listed(sort="name")["items"]]
    assert names == sorted(names)
    assert [p["name"] for p in listed(sort="-name")["items"]] == names[::-1]
    assert {p["id"] for p in listed(in_stock="true")["items"]} == {ids[1], ids[2], ids[4]}
    assert {p["id"] for p in listed(in_stock="false")["items"]} == {ids[0], ids[3]}
    assert listed(q=tag.lower())["total"] == 5  # case-insensitive
    assert api.get("/products", params={"sku": made[2]["sku"]}).json()["items"] == [made[2]]
    assert api.get("/products", params={"q": "%"}).status_code == 200


def test_name_search_is_a_substring_not_a_pattern(api):
    """`q` matches `%`, `_` and `/` (a common LIKE escape character) as themselves: each
    decoy below is what the search would also find if `q` reached LIKE as a pattern."""
    tag = unique_sku("LIKE")
    names = {
        "percent": f"{tag} 100% wool",
        "percent decoy": f"{tag} 1000 wool",
        "underscore": f"{tag} snake_case",
        "underscore decoy": f"{tag} snakeXcase",
        "slash": f"{tag} a/b",
        "slash decoy": f"{tag} ab",
    }
    made = {key: api.create_product(name=name)["id"] for key, name in names.items()}

    def found(q: str) -> set[int]:
        response = api.get("/products", params={"q": q, "limit": 100})
        assert response.status_code == 200, response.text
        return {p["id"] for p in response.json()["items"]}

    assert found(tag) == set(made.values())
    assert found(f"{tag} 100%") == {made["percent"]}
    assert found(f"{tag} snake_case") == {made["underscore"]}
    assert found(f"{tag.lower()} SNAKE_CASE") == {made["underscore"]}  # still case-insensitive
    assert found(f"{tag} a/b") == {made["slash"]}
    assert found(f"{tag} %") == set()
    assert found(f"{tag} _") == set()


@pytest.mark.parametrize("method", ["put", "patch"])
def test_every_update_moves_updated_at_forward(api, method):
    """Strictly later each time, compared as instants (not as strings); created_at stays."""
    product = api.create_product(stock=3)
    previous = product
    for body in ({"stock": 4}, {"name": "Renamed mug"}, {"price": 3.5}, {"sku": unique_sku()}):
        time.sleep(0.01)  # a coarse server clock could otherwise give two updates one instant
        response = getattr(api, method)(f"/products/{product['id']}", json=body)
        assert response.status_code == 200, response.text
        updated = response.json()
        assert_later(updated["updated_at"], previous["updated_at"])
        assert updated["created_at"] == product["created_at"]
        assert api.get(f"/products/{product['id']}").json() == updated
        previous = updated


def test_default_page_size_is_20(api):
    page = api.get("/products").json()
    assert page["limit"] == 20 and page["offset"] == 0 and len(page["items"]) <= 20


@pytest.mark.parametrize(
    "params, field",
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"sort": "stock"}, "sort"),
        ({"in_stock": "maybe"}, "in_stock"),
    ],
)
def test_list_rejects_bad_parameters(api, params, field):
    assert_validation_error(api.get("/products", params=params), field)


def test_non_numeric_id_is_422(api):
    assert_validation_error(api.get("/products/abc"), "product_id")


def test_ids_are_never_reused_after_a_delete(api):
    first = api.create_product()
    assert api.delete(f"/products/{first['id']}").status_code == 204
    second = api.create_product()
    assert second["id"] > first["id"]
    product = api.create_product(stock=5)
    order = api.create_order(product["id"])
    assert api.delete(f"/orders/{order['id']}").status_code == 204
    assert api.create_order(product["id"])["id"] > order["id"]
