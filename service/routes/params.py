"""What the resource routers share: query and path parameters, the options of a write
route, and the PUT/PATCH pair."""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from service.openapi import route_responses
from service.security import WriteGuard
from service.types import MAX_ID

# Any integer up to 2**53 - 1 (exact in JSON and JavaScript clients) is a well-formed id;
# one that does not exist is a 404, not a 422.
ProductId = Annotated[int, Path(ge=-MAX_ID, le=MAX_ID, description="Product id")]
OrderId = Annotated[int, Path(ge=-MAX_ID, le=MAX_ID, description="Order id")]
Limit = Annotated[int, Query(ge=1, le=100, description="Page size (1-100)")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="Items to skip")]
# NUL is refused up front: PostgreSQL text cannot hold it.
SafeText = r"^[^\x00]*$"


def write_route(*codes: str, **response_options: Any) -> dict[str, Any]:
    """Options of a route that writes: the write guard (API key, rate limit, body size)
    and the responses it documents, the guard's included (`route_responses`)."""
    return {
        "dependencies": [WriteGuard],
        "responses": route_responses(*codes, write=True, **response_options),
    }


def partial_update(router: APIRouter, path: str, name: str, **options: Any) -> Callable:
    """Register one endpoint as both PUT and PATCH: they are the same partial update
    (docs/api.md), so they are one function, documented as two operations
    (`put_<name>`, `patch_<name>`, as their operation ids always were)."""

    def register(endpoint: Callable) -> Callable:
        for method in ("PUT", "PATCH"):
            router.add_api_route(
                path, endpoint, methods=[method], name=f"{method.lower()}_{name}", **options
            )
        return endpoint

    return register
