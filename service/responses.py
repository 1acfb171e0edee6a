"""Fast JSON responses for the hot routes.

Routes declare `response_model` for the OpenAPI document but return rows through
`json_response`, which orjson serialises directly: FastAPI's per-response validation and
serialisation of the same data cost more than the SQL itself (see README, Performance).
The output is the same JSON as the Public models: money as a number with at most two
decimals, timestamps ISO 8601 in UTC with `Z`. The black-box suites and Schemathesis
check every response against the schema.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import orjson
from starlette.responses import Response


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, default=_default, option=orjson.OPT_UTC_Z)


class FastJSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def json_response(
    content: Mapping[str, Any] | dict, status_code: int = 200, headers: dict | None = None
) -> FastJSONResponse:
    return FastJSONResponse(dict(content), status_code, headers)


def page_response(items: list, total: int, limit: int, offset: int) -> FastJSONResponse:
    return FastJSONResponse(
        {"items": [dict(item) for item in items], "total": total, "limit": limit, "offset": offset}
    )
