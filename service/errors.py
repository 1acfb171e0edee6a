"""One error contract for every layer: RFC 9457 problem+json with a string `detail`,
a stable snake_case `code` and the `request_id`."""

import logging
import re
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from service.metrics import STOCK_OUTS

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("service.errors")


class ApiError(Exception):
    """A business-rule failure with its HTTP status; raised by plain service functions."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers
        self.extra = extra


class NotFound(ApiError):
    def __init__(self, resource: str, entity_id: int) -> None:
        super().__init__(404, f"{resource.lower()}_not_found", f"{resource} {entity_id} not found")


class Conflict(ApiError):
    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        super().__init__(409, code, detail, **extra)


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """The error body of every 4xx and 5xx response."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str
    request_id: str
    errors: list[FieldError] | None = Field(default=None, description="Only on 422.")
    available: int | None = Field(default=None, description="Only on insufficient_stock.")
    requested: int | None = Field(default=None, description="Only on insufficient_stock.")

    model_config = {"json_schema_extra": {"additionalProperties": True}}


# RFC 9110 names where Python's http module still has the older ones.
_TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}


def problem_body(status: int, code: str, detail: str, request_id: str, **extra: Any) -> dict:
    body = {
        "type": "about:blank",
        "title": _TITLES.get(status) or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": request_id,
    }
    body.update(extra)
    return body


def problem_response(
    status: int,
    code: str,
    detail: str,
    request_id: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = problem_body(status, code, detail, request_id, **extra)
    return Response(orjson.dumps(body), status, headers=headers, media_type=PROBLEM_JSON)


def request_id_of(request: Request) -> str:
    return request.scope.get("state", {}).get("request_id", "")


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _clean_errors(errors: list[dict]) -> list[dict]:
    # Only loc/msg/type: pydantic's `input` and `ctx` could echo secrets or be unserialisable.
    return [
        {
            "loc": [part if isinstance(part, int) else str(part) for part in err.get("loc", ())],
            "msg": str(err.get("msg", "")),
            "type": str(err.get("type", "")),
        }
        for err in errors
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        if exc.code == "insufficient_stock":
            STOCK_OUTS.inc()
        return problem_response(
            exc.status, exc.code, exc.detail, request_id_of(request), exc.headers, **exc.extra
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        return problem_response(
            422,
            "validation_error",
            "Request validation failed",
            request_id_of(request),
            errors=_clean_errors(exc.errors()),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        if request.scope.get("state", {}).get("body_too_large"):
            limit = request.app.state.settings.max_body_bytes
            return problem_response(
                413,
                "payload_too_large",
                f"Request body is larger than {limit} bytes",
                request_id_of(request),
            )
        if status == 400 and exc.detail == "There was an error parsing the body":
            # FastAPI's answer to a body that is not even text (e.g. not UTF-8): the contract
            # calls that a malformed JSON body.
            return problem_response(
                422,
                "validation_error",
                "Request validation failed",
                request_id_of(request),
                errors=[
                    {"loc": ["body"], "msg": "Body is not valid JSON text", "type": "json_invalid"}
                ],
            )
        code = _HTTP_CODES.get(status, "http_error")
        headers = exc.headers
        if status == 404:
            detail = "Not found"
        elif status == 405:
            detail = f"Method {request.method} not allowed"
            headers = {"Allow": ", ".join(_allowed_methods(request))}
        else:
            detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
        return problem_response(status, code, detail, request_id_of(request), headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method the path accepts (Starlette's own Allow names only the first route)."""
    path = request.url.path
    methods = {
        method.upper()
        for template, item in request.app.openapi().get("paths", {}).items()
        if re.fullmatch(re.sub(r"\\{[^/]+\\}", "[^/]+", re.escape(template)), path)
        for method in item
    }
    return sorted(methods)
