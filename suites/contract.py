"""Assertions on the contract's shared shapes (the error body, headers), used by every suite."""

import re
from datetime import datetime

import requests

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "request_id"}
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def assert_problem(
    response: requests.Response, status: int, code: str, detail: str | None = None
) -> dict:
    """The RFC 9457 body of the contract: string detail, stable code, request_id echoed."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["type"] == "about:blank"
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["title"], str) and body["title"]
    if detail is not None:
        assert body["detail"] == detail, body
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def assert_validation_error(response: requests.Response, *fields: str) -> dict:
    body = assert_problem(response, 422, "validation_error", "Request validation failed")
    assert isinstance(body["errors"], list) and body["errors"]
    for error in body["errors"]:
        assert set(error) == {"loc", "msg", "type"}, error
    locations = {str(part) for error in body["errors"] for part in error["loc"]}
    for field in fields:
        assert field in locations, (field, body["errors"])
    return body


def assert_product_shape(product: dict) -> None:
    assert set(product) == {"id", "sku", "name", "price", "stock", "created_at", "updated_at"}
    assert isinstance(product["id"], int)
    assert isinstance(product["price"], (int, float)) and not isinstance(product["price"], bool)
    assert ISO_UTC.match(product["created_at"]) and ISO_UTC.match(product["updated_at"])


def assert_order_shape(order: dict) -> None:
    assert set(order) == {
        "id",
        "product_id",
        "quantity",
        "status",
        "unit_price",
        "total",
        "created_at",
        "updated_at",
        "paid_at",
        "payment_id",
    }
    assert order["status"] in {"PENDING", "PAID", "SHIPPED", "CANCELED"}
    assert ISO_UTC.match(order["created_at"])


def timestamp(text: str) -> datetime:
    """A response timestamp as an aware datetime. Compare these, never the strings: the
    serialisation drops a zero fraction (`...:05Z` vs `...:04.999999Z`)."""
    assert ISO_UTC.match(text), text
    parsed = datetime.fromisoformat(text)
    assert parsed.tzinfo is not None, text
    return parsed


def assert_later(after: str, before: str, what: str = "updated_at") -> None:
    """`after` is strictly later than `before` (both response timestamps)."""
    assert timestamp(after) > timestamp(before), f"{what} did not move on: {before} -> {after}"
