"""OpenAPI metadata: tags, documented error responses and examples.

Error responses are documented as `application/problem+json` with the `Problem` schema
(FastAPI would otherwise list them as application/json); `finalize_openapi` rewrites the
generated document once, at first request of /openapi.json.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from service.errors import PROBLEM_JSON, Problem

DESCRIPTION = """
Products and orders for a small online store.

* Placing an order takes stock atomically: it is never oversold, whatever the number of
  concurrent clients or server workers.
* Payments arrive through a signed webhook (Standard Webhooks, HMAC-SHA256) that marks
  orders **PAID**, with replay protection.
* Every error is `application/problem+json` (RFC 9457) with a string `detail`, a stable
  `code` and the `request_id` that is also in the `X-Request-ID` header.
"""

TAGS = [
    {"name": "products", "description": "The catalogue: create, list, read, update, delete."},
    {"name": "orders", "description": "Orders take stock when placed and return it when canceled."},
    {"name": "webhooks", "description": "Payment provider callbacks (Standard Webhooks signed)."},
    {"name": "ops", "description": "Liveness and readiness probes."},
]

_RID = "5f0c6b1e2f6a4a7b9d3c1e2f3a4b5c6d"


def _problem(status: int, title: str, code: str, detail: str, **extra: Any) -> dict:
    return {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": _RID,
        **extra,
    }


PROBLEM_EXAMPLES: dict[str, dict] = {
    "validation_error": _problem(
        422,
        "Unprocessable Content",
        "validation_error",
        "Request validation failed",
        errors=[
            {
                "loc": ["body", "price"],
                "msg": "Input should be greater than 0",
                "type": "greater_than",
            }
        ],
    ),
    "product_not_found": _problem(404, "Not Found", "product_not_found", "Product 42 not found"),
    "order_not_found": _problem(404, "Not Found", "order_not_found", "Order 42 not found"),
    "duplicate_sku": _problem(
        409, "Conflict", "duplicate_sku", "Product with sku 'ABC-1' already exists"
    ),
    "insufficient_stock": _problem(
        409, "Conflict", "insufficient_stock", "Insufficient stock", available=1, requested=2
    ),
    "invalid_transition": _problem(
        409, "Conflict", "invalid_transition", "Cannot change order status from SHIPPED to PENDING"
    ),
    "order_not_pending": _problem(
        409,
        "Conflict",
        "order_not_pending",
        "Quantity can only change while the order is PENDING; order 42 is PAID",
    ),
    "product_has_orders": _problem(
        409,
        "Conflict",
        "product_has_orders",
        "Product 42 has orders and cannot be deleted; set its stock to 0 instead",
    ),
    "order_not_deletable": _problem(
        409,
        "Conflict",
        "order_not_deletable",
        "Order 42 is PAID; only PENDING or CANCELED orders can be deleted (cancel it instead)",
    ),
    "invalid_idempotency_key": _problem(
        400,
        "Bad Request",
        "invalid_idempotency_key",
        "Idempotency-Key must be 1-255 characters of A-Z a-z 0-9 _ - "
        "(optionally as a quoted string)",
    ),
    "idempotency_key_reused": _problem(
        422,
        "Unprocessable Content",
        "idempotency_key_reused",
        "This Idempotency-Key was used with a different request body",
    ),
    "idempotency_key_in_flight": _problem(
        409,
        "Conflict",
        "idempotency_key_in_flight",
        "A request with this Idempotency-Key is still being processed; retry later",
    ),
    "amount_mismatch": _problem(
        409,
        "Conflict",
        "amount_mismatch",
        "Payment amount 10.00 does not match order total 19.98",
        expected=19.98,
        received=10.0,
    ),
    "missing_api_key": _problem(
        401, "Unauthorized", "missing_api_key", "X-API-Key header is required for writes"
    ),
    "invalid_api_key": _problem(403, "Forbidden", "invalid_api_key", "X-API-Key is not valid"),
    "payload_too_large": _problem(
        413, "Content Too Large", "payload_too_large", "Request body is larger than 1048576 bytes"
    ),
    "rate_limited": _problem(
        429,
        "Too Many Requests",
        "rate_limited",
        "Too many write requests: the limit is 1200 per 60 seconds",
    ),
    "invalid_signature": _problem(
        401, "Unauthorized", "invalid_signature", "Invalid webhook signature"
    ),
    "stale_webhook": _problem(
        401, "Unauthorized", "stale_webhook", "Webhook timestamp outside tolerance"
    ),
    "not_ready": _problem(503, "Service Unavailable", "not_ready", "Database unavailable"),
    "internal_error": _problem(
        500, "Internal Server Error", "internal_error", "Internal server error"
    ),
}

_DESCRIPTIONS = {
    400: "Bad request",
    401: "Unauthorized (missing or wrong key or signature, stale webhook)",
    403: "Forbidden",
    413: "Request body too large",
    429: "Rate limited (`Retry-After` says when to retry)",
    404: "Not found",
    409: "Conflict with the current state",
    422: "Request validation failed",
    500: "Internal server error",
    503: "Not ready",
}


# Errors every write route can give (API keys and rate limits apply when configured).
WRITE_ERRORS: dict[int, list[str]] = {
    401: ["missing_api_key"],
    403: ["invalid_api_key"],
    413: ["payload_too_large"],
    429: ["rate_limited"],
}


def problems(spec: dict[int, list[str]]) -> dict[int | str, dict[str, Any]]:
    """`{409: ["duplicate_sku"], ...}` -> FastAPI `responses=` documenting problem bodies."""
    spec = {**spec, 500: ["internal_error"]}
    responses: dict[int | str, dict[str, Any]] = {}
    for status, codes in spec.items():
        examples = {code: {"summary": code, "value": PROBLEM_EXAMPLES[code]} for code in codes}
        responses[status] = {
            "model": Problem,
            "description": _DESCRIPTIONS.get(status, "Error"),
            "content": {PROBLEM_JSON: {"examples": examples}},
        }
    return responses


def finalize_openapi(
    app: FastAPI, extra_models: tuple = (), api_keys: bool = False
) -> dict[str, Any]:
    """Build the document once; `extra_models` are schemas referenced by hand-written
    request bodies (the webhook reads raw bytes, so FastAPI does not see its model).
    Without API_KEYS the writes are open, so the document does not claim they need a key
    (clients and fuzzers would otherwise expect a 401 that never comes)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
    )
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not api_keys:
                operation.pop("security", None)
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[:1] in "45" and "application/json" in content:
                    content.pop("application/json")
                    content.setdefault(PROBLEM_JSON, {})["schema"] = problem_ref
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in extra_models:
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(model_schema.pop("$defs", {}))
        components[model.__name__] = model_schema
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    if not api_keys:
        schema["components"].pop("securitySchemes", None)
    app.openapi_schema = schema
    return schema
