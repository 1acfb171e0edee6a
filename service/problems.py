"""The error catalogue: every problem code once, with its HTTP status, detail template,
extra members, when it happens and example parameters.

Everything else is derived from it: `ApiError(code, **params)` (service.errors) builds the
body, service.openapi documents a route's errors by code with generated examples, and the
table in docs/api.md is rendered here (`python -m service.problems --write`; a unit test
fails when it is stale). Stdlib only, so `service.webhooks` (stdlib only) takes its text
from here too.
"""

import argparse
import sys
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent.parent / "docs" / "api.md"
TABLE_START = "<!-- error-table:start -->"
TABLE_END = "<!-- error-table:end -->"
EXAMPLE_REQUEST_ID = "5f0c6b1e2f6a4a7b9d3c1e2f3a4b5c6d"


@dataclass(frozen=True)
class ProblemType:
    status: int
    detail: str  # a str.format template over the raise site's parameters
    when: str  # for the docs
    example: dict[str, Any] = field(default_factory=dict)  # parameters for docs and OpenAPI
    extras: tuple[str, ...] = ()  # parameters that are also members of the body
    headers: tuple[str, ...] = ()  # response headers that come with it

    def render(self, params: dict[str, Any]) -> str:
        return self.detail.format(**params)


_ID = {"id": 42}
CATALOGUE: dict[str, ProblemType] = {
    "validation_error": ProblemType(
        422,
        "Request validation failed",
        "malformed JSON, JSON that is not an object, a field constraint broken, an unknown "
        "field, an empty update",
        example={
            "errors": [
                {
                    "loc": ["body", "price"],
                    "msg": "Input should be greater than 0",
                    "type": "greater_than",
                }
            ]
        },
        extras=("errors",),
    ),
    "product_not_found": ProblemType(
        404, "Product {id} not found", "no product with that id", example=_ID
    ),
    "order_not_found": ProblemType(
        404, "Order {id} not found", "no order with that id", example=_ID
    ),
    "not_found": ProblemType(404, "Not found", "unknown route"),
    "method_not_allowed": ProblemType(
        405,
        "Method {method} not allowed",
        "a method the path does not accept (`Allow` lists every method of the path)",
        example={"method": "PATCH"},
        headers=("Allow",),
    ),
    "duplicate_sku": ProblemType(
        409,
        "Product with sku '{sku}' already exists",
        "creating a product, or changing its sku, to a sku another product has",
        example={"sku": "ABC-1"},
    ),
    "insufficient_stock": ProblemType(
        409,
        "Insufficient stock",
        "placing an order, or raising its quantity, beyond the product's stock",
        example={"available": 1, "requested": 2},
        extras=("available", "requested"),
    ),
    "invalid_transition": ProblemType(
        409,
        "Cannot change order status from {current} to {target}",
        "a status change the order's state machine does not allow (also paying a CANCELED order)",
        example={"current": "SHIPPED", "target": "PENDING"},
    ),
    "order_not_pending": ProblemType(
        409,
        "Quantity can only change while the order is PENDING; order {id} is {status}",
        "changing the quantity of an order that is no longer PENDING",
        example={**_ID, "status": "PAID"},
    ),
    "product_has_orders": ProblemType(
        409,
        "Product {id} has orders and cannot be deleted; set its stock to 0 instead",
        "deleting a product that an order references",
        example=_ID,
    ),
    "order_not_deletable": ProblemType(
        409,
        "Order {id} is {status}; only PENDING or CANCELED orders can be deleted "
        "(cancel it instead)",
        "deleting an order that was paid (PAID or SHIPPED)",
        example={**_ID, "status": "PAID"},
    ),
    "invalid_signature": ProblemType(
        401,
        "Invalid webhook signature",
        "a webhook with a missing, malformed or wrong signature, or a non-UTF-8 body",
    ),
    "stale_webhook": ProblemType(
        401,
        "Webhook timestamp outside tolerance",
        "a webhook whose `webhook-timestamp` is more than the tolerance (300 s) from now",
    ),
    "amount_mismatch": ProblemType(
        409,
        "Payment amount {received:.2f} does not match order total {expected:.2f}",
        "a payment whose `amount` is not the order total (nothing changes)",
        example={"expected": 19.98, "received": 10.0},
        extras=("expected", "received"),
    ),
    "already_paid": ProblemType(
        409,
        "Order {id} is already paid by another payment",
        "a payment for an order already paid by a different `payment_id`",
        example=_ID,
    ),
    "invalid_idempotency_key": ProblemType(
        400,
        "Idempotency-Key must be 1-255 characters of A-Z a-z 0-9 _ - "
        "(optionally as a quoted string)",
        "a malformed `Idempotency-Key` header",
    ),
    "idempotency_key_reused": ProblemType(
        422,
        "This Idempotency-Key was used with a different request body",
        "an `Idempotency-Key` sent again with another body",
    ),
    "idempotency_key_in_flight": ProblemType(
        409,
        "A request with this Idempotency-Key is still being processed; retry later",
        "an `Idempotency-Key` sent again while its first request is still running",
    ),
    "missing_api_key": ProblemType(
        401,
        "X-API-Key header is required for writes",
        "a write without `X-API-Key` (when `API_KEYS` is set)",
    ),
    "invalid_api_key": ProblemType(
        403, "X-API-Key is not valid", "a write with a wrong `X-API-Key`"
    ),
    "invalid_metrics_token": ProblemType(
        401,
        "A valid metrics token is required: Authorization: Bearer <METRICS_TOKEN>",
        "`/metrics` without the right bearer token (when `METRICS_TOKEN` is set)",
        headers=("WWW-Authenticate",),
    ),
    "rate_limited": ProblemType(
        429,
        "Too many {what}: the limit is {limit} per {seconds} seconds",
        "more writes than `RATE_LIMIT` allows, or more failed key checks from one client "
        "address than `AUTH_FAILURE_LIMIT` allows (then every keyed request from it, until the "
        "window ends); `Retry-After` says when to retry",
        example={"what": "write requests", "limit": 1200, "seconds": 60},
        headers=("Retry-After",),
    ),
    "payload_too_large": ProblemType(
        413,
        "Request body is larger than {limit} bytes",
        "a request body over `MAX_BODY_BYTES`",
        example={"limit": 1048576},
    ),
    "invalid_host": ProblemType(
        400, "Invalid Host header", "a `Host` not in `ALLOWED_HOSTS` (when it is set)"
    ),
    "not_ready": ProblemType(
        503, "Database unavailable", "`/ready` while the database does not answer"
    ),
    "internal_error": ProblemType(
        500,
        "Internal server error",
        "anything unexpected (no traceback, SQL or secret; the log line has the request_id)",
    ),
}

# RFC 9110 names where Python's http module still has the older ones.
_TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}


def title(status: int) -> str:
    return _TITLES.get(status) or HTTPStatus(status).phrase


def problem_body(status: int, code: str, detail: str, request_id: str, **extra: Any) -> dict:
    """The RFC 9457 body every 4xx and 5xx carries."""
    return {
        "type": "about:blank",
        "title": title(status),
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": request_id,
        **extra,
    }


def example_body(code: str) -> dict:
    """The body of `code` with its example parameters (OpenAPI examples, docs)."""
    problem = CATALOGUE[code]
    extra = {name: problem.example[name] for name in problem.extras}
    return problem_body(
        problem.status, code, problem.render(problem.example), EXAMPLE_REQUEST_ID, **extra
    )


def error_table() -> str:
    """The Markdown table of every code, by status (docs/api.md, "Error codes")."""
    rows = [
        "| status | code | detail (exact; example values) | extra | when |",
        "|---|---|---|---|---|",
    ]
    by_status = sorted(CATALOGUE.items(), key=lambda item: item[1].status)
    for code, problem in by_status:
        extra = [f"`{name}`" for name in problem.extras]
        extra += [f"header `{name}`" for name in problem.headers]
        cells = [
            str(problem.status),
            f"`{code}`",
            f"`{problem.render(problem.example)}`",
            ", ".join(extra),
            problem.when,
        ]
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows) + "\n"


def with_table(document: str) -> str:
    """`document` with the text between the table markers replaced by `error_table()`."""
    head, start, rest = document.partition(TABLE_START)
    _, end, tail = rest.partition(TABLE_END)
    if not (start and end):
        raise ValueError(f"the markers {TABLE_START} / {TABLE_END} are missing")
    return f"{head}{start}\n{error_table()}{end}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m service.problems", description="Print or update the error table."
    )
    parser.add_argument("--write", action="store_true", help=f"update {DOCS.name} in place")
    args = parser.parse_args(argv)
    if not args.write:
        sys.stdout.write(error_table())
        return 0
    DOCS.write_text(with_table(DOCS.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"updated {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
