"""Order routes: thin HTTP adapters over `service.orders`."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from service import idempotency
from service import orders as rules
from service.db import DatabaseDep
from service.errors import PROBLEM_JSON, request_id_of
from service.metrics import ORDERS_CREATED
from service.models import OrderCreate, OrderPublic, OrderStatus, OrderUpdate, Page
from service.openapi import route_responses
from service.responses import json_response, page_response
from service.routes.examples import ORDER_CREATE_EXAMPLES, ORDER_EXAMPLE, ORDER_UPDATE_EXAMPLES
from service.routes.params import Limit, Offset, OrderId, partial_update, write_route
from service.types import MAX_ID

router = APIRouter(prefix="/orders", tags=["orders"])


@router.post(
    "",
    status_code=201,
    response_model=OrderPublic,
    summary="Place an order",
    **write_route(
        "product_not_found",
        "invalid_idempotency_key",
        "insufficient_stock",
        "idempotency_key_in_flight",
        "idempotency_key_reused",
        example=ORDER_EXAMPLE,
        status=201,
        description="Created (PENDING); `Location` names the order",
    ),
)
async def create_order(
    body: Annotated[OrderCreate, Body(openapi_examples=ORDER_CREATE_EXAMPLES)],
    db: DatabaseDep,
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Optional. Same key + same body within 24 h replays the first "
            "response (`Idempotent-Replayed: true`); other body 422; still running 409; "
            "malformed 400.",
            # Documented, but checked by the route (400 invalid_idempotency_key, not 422).
            json_schema_extra={"pattern": idempotency.KEY_PATTERN.pattern, "maxLength": 257},
        ),
    ] = None,
) -> Any:
    """Place an order: the product's stock is decremented in the same transaction, with
    one conditional UPDATE, so it is never oversold. Not enough stock is
    `409 insufficient_stock` with `available` and `requested`."""
    if idempotency_key is not None:
        key = idempotency.parse_key(idempotency_key)
        stored = await db.write(idempotency.place_order_once, key, body, request_id_of(request))
        headers = {"Idempotent-Replayed": "true"} if stored.replayed else {}
        if stored.status == 201 and not stored.replayed:
            ORDERS_CREATED.inc()
        if stored.status == 201:
            headers["Location"] = f"{request.url.path}/{stored.body['id']}"
            return json_response(stored.body, 201, headers)
        return JSONResponse(stored.body, stored.status, headers=headers, media_type=PROBLEM_JSON)
    order = await db.write(rules.place_order, body)
    ORDERS_CREATED.inc()
    return json_response(order, 201, {"Location": f"{request.url.path}/{order['id']}"})


@router.get(
    "",
    response_model=Page[OrderPublic],
    summary="List orders",
    responses=route_responses(),
)
async def list_orders(
    db: DatabaseDep,
    limit: Limit = 20,
    offset: Offset = 0,
    status: Annotated[OrderStatus | None, Query(description="Only this status")] = None,
    product_id: Annotated[
        int | None, Query(ge=-MAX_ID, le=MAX_ID, description="Only this product")
    ] = None,
    sort: Annotated[rules.OrderSort, Query(description="Sort key; `-` for descending")] = "id",
) -> Any:
    items, total = await db.read(
        rules.list_orders,
        limit=limit,
        offset=offset,
        status=status,
        product_id=product_id,
        sort=sort,
    )
    return page_response(items, total, limit, offset)


@router.get(
    "/{order_id}",
    response_model=OrderPublic,
    summary="Get an order",
    responses=route_responses("order_not_found", example=ORDER_EXAMPLE),
)
async def get_order(order_id: OrderId, db: DatabaseDep) -> Any:
    """Everything needed to track an order: status, amounts, payment, timestamps."""
    return json_response(await db.read(rules.get_order, order_id))


_UPDATE_DOC = (
    "Body: any of `status`, `quantity`. `quantity` changes only while PENDING (stock is "
    "adjusted atomically; 409 if short). Status changes: PENDING->CANCELED, "
    "PAID->SHIPPED, PAID->CANCELED; PAID is reached only through the payment webhook; "
    "the same status again is a no-op; anything else is `409 invalid_transition`. "
    "PUT and PATCH behave the same."
)


@partial_update(
    router,
    "/{order_id}",
    "order",
    response_model=OrderPublic,
    summary="Update an order (partial)",
    description=_UPDATE_DOC,
    **write_route(
        "order_not_found",
        "invalid_transition",
        "insufficient_stock",
        "order_not_pending",
        example=ORDER_EXAMPLE,
    ),
)
async def update_order(
    order_id: OrderId,
    body: Annotated[OrderUpdate, Body(openapi_examples=ORDER_UPDATE_EXAMPLES)],
    db: DatabaseDep,
) -> Any:
    return json_response(await db.write(rules.update_order, order_id, body))


@router.post(
    "/{order_id}/cancel",
    response_model=OrderPublic,
    summary="Cancel an order",
    **write_route("order_not_found", "invalid_transition", example=ORDER_EXAMPLE),
)
async def cancel_order(order_id: OrderId, db: DatabaseDep) -> Any:
    """Same as `PUT {"status": "CANCELED"}`: the quantity goes back to stock exactly once,
    however many cancels race; canceling a CANCELED order is a 200 no-op."""
    return json_response(await db.write(rules.cancel_order, order_id))


@router.delete(
    "/{order_id}",
    status_code=204,
    response_class=Response,
    summary="Delete an order",
    **write_route("order_not_found", "order_not_deletable"),
)
async def delete_order(order_id: OrderId, db: DatabaseDep) -> Response:
    """Only an order never paid: PENDING (its stock comes back) or CANCELED. Paid orders
    are kept for the record: cancel them instead (`409 order_not_deletable`)."""
    await db.write(rules.delete_order, order_id)
    return Response(status_code=204)
