"""OpenAPI metadata: tags, documented error responses and examples.

Error responses are documented as `application/problem+json` with the `Problem` schema
(FastAPI would otherwise list them as application/json); `finalize_openapi` rewrites the
generated document once, at first request of /openapi.json.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from service.errors import PROBLEM_JSON, Problem
from service.problems import CATALOGUE, example_body

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

_DESCRIPTIONS = {
    400: "Bad request",
    401: "Unauthorized (missing or wrong key or signature, stale webhook)",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict with the current state",
    413: "Request body too large",
    422: "Request validation failed",
    429: "Rate limited (`Retry-After` says when to retry)",
    500: "Internal server error",
    503: "The database is busy or unavailable (`Retry-After` says when to retry), or not ready",
}

# Errors every write route can give (API keys and rate limits apply when configured).
WRITE_ERRORS = ("missing_api_key", "invalid_api_key", "payload_too_large", "rate_limited")
# Errors every route that uses the database can give (503, with `Retry-After`).
DATABASE_ERRORS = ("database_busy", "database_unavailable")


def problems(*codes: str) -> dict[int | str, dict[str, Any]]:
    """`problems("duplicate_sku", "validation_error", *WRITE_ERRORS)` -> FastAPI `responses=`
    documenting each code's problem body under its catalogue status (500 always)."""
    by_status: dict[int, list[str]] = {}
    for code in (*codes, "internal_error"):
        by_status.setdefault(CATALOGUE[code].status, []).append(code)
    return {
        status: {
            "model": Problem,
            "description": _DESCRIPTIONS.get(status, "Error"),
            "content": {
                PROBLEM_JSON: {
                    "examples": {
                        code: {"summary": code, "value": example_body(code)} for code in group
                    }
                }
            },
        }
        for status, group in sorted(by_status.items())
    }


def route_responses(
    *codes: str,
    write: bool = False,
    example: dict | None = None,
    status: int = 200,
    description: str | None = None,
) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route over the database: its own `codes`, then what every such
    route can answer (`validation_error`, the database's 503s and, for a `write`, the write
    guard's keys, limits and body size), and the success response's `example`."""
    errors = problems(
        *codes, "validation_error", *(WRITE_ERRORS if write else ()), *DATABASE_ERRORS
    )
    if example is None:
        return errors
    success: dict[str, Any] = {"content": {"application/json": {"example": example}}}
    if description:
        success["description"] = description
    return {status: success, **errors}


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
