"""One error contract for every layer: RFC 9457 problem+json with a string `detail`,
a stable snake_case `code` and the `request_id`."""

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
from service.problems import CATALOGUE, problem_body

PROBLEM_JSON = "application/problem+json"


class ApiError(Exception):
    """A failure named by its catalogue code: `raise ApiError("insufficient_stock",
    available=1, requested=2)`. Status, detail and extra members come from
    `service.problems.CATALOGUE`; the parameters fill the detail template and the extras.
    Raised by the rules, routes and dependencies; rendered by the handler below."""

    def __init__(self, code: str, *, headers: dict[str, str] | None = None, **params: Any) -> None:
        problem = CATALOGUE[code]
        self.code = code
        self.status = problem.status
        self.detail = problem.render(params)
        self.extra = {name: params[name] for name in problem.extras}
        self.headers = headers
        super().__init__(self.detail)

    def body(self, request_id: str) -> dict:
        return problem_body(self.status, self.code, self.detail, request_id, **self.extra)


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


def _problem_json(body: dict, headers: dict[str, str] | None) -> Response:
    return Response(orjson.dumps(body), body["status"], headers=headers, media_type=PROBLEM_JSON)


def problem_response(error: ApiError, request_id: str) -> Response:
    return _problem_json(error.body(request_id), error.headers)


def request_id_of(request: Request) -> str:
    return request.scope.get("state", {}).get("request_id", "")


# Framework HTTP errors the service never raises itself keep a generic code.
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
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
        return problem_response(exc, request_id_of(request))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        error = ApiError("validation_error", errors=_clean_errors(exc.errors()))
        return problem_response(error, request_id_of(request))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        error = _catalogued(request, exc)
        if error is not None:
            return problem_response(error, request_id_of(request))
        # A framework HTTP error the service never raises itself: a generic code.
        status = exc.status_code
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
        code = _HTTP_CODES.get(status, "http_error")
        return _problem_json(
            problem_body(status, code, detail, request_id_of(request)), exc.headers
        )


def _catalogued(request: Request, exc: StarletteHTTPException) -> ApiError | None:
    """The catalogue's name for a framework HTTP error, if it has one."""
    status = exc.status_code
    if request.scope.get("state", {}).get("body_too_large"):
        return ApiError("payload_too_large", limit=request.app.state.settings.max_body_bytes)
    if status == 400 and exc.detail == "There was an error parsing the body":
        # FastAPI's answer to a body that is not even text (e.g. not UTF-8): the contract
        # calls that a malformed JSON body.
        errors = [{"loc": ["body"], "msg": "Body is not valid JSON text", "type": "json_invalid"}]
        return ApiError("validation_error", errors=errors)
    if status == 404:
        return ApiError("not_found", headers=exc.headers)
    if status == 405:
        allow = ", ".join(_allowed_methods(request))
        return ApiError("method_not_allowed", method=request.method, headers={"Allow": allow})
    return None


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
