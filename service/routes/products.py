"""Product routes: thin HTTP adapters over `service.products`."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response

from service import products as rules
from service.db import DatabaseDep
from service.models import Page, ProductCreate, ProductPublic, ProductUpdate
from service.openapi import route_responses
from service.responses import json_response, page_response
from service.routes.examples import (
    PRODUCT_CREATE_EXAMPLES,
    PRODUCT_EXAMPLE,
    PRODUCT_UPDATE_EXAMPLES,
)
from service.routes.params import Limit, Offset, ProductId, SafeText, partial_update, write_route

router = APIRouter(prefix="/products", tags=["products"])


@router.post(
    "",
    status_code=201,
    response_model=ProductPublic,
    summary="Create a product",
    **write_route(
        "duplicate_sku",
        example=PRODUCT_EXAMPLE,
        status=201,
        description="Created; `Location` names the new product",
    ),
)
async def create_product(
    body: Annotated[ProductCreate, Body(openapi_examples=PRODUCT_CREATE_EXAMPLES)],
    db: DatabaseDep,
    request: Request,
) -> Any:
    """Create a product. The `sku` is unique: a taken one is `409 duplicate_sku`."""
    product = await db.write(rules.create_product, body)
    return json_response(product, 201, {"Location": f"{request.url.path}/{product['id']}"})


@router.get(
    "",
    response_model=Page[ProductPublic],
    summary="List products",
    responses=route_responses(),
)
async def list_products(
    db: DatabaseDep,
    limit: Limit = 20,
    offset: Offset = 0,
    sku: Annotated[
        str | None, Query(max_length=64, pattern=SafeText, description="Exact SKU")
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, pattern=SafeText, description="Name contains (case-insensitive)"),
    ] = None,
    in_stock: Annotated[bool | None, Query(description="true: stock > 0; false: stock = 0")] = None,
    sort: Annotated[rules.ProductSort, Query(description="Sort key; `-` for descending")] = "id",
) -> Any:
    """A page of products, filtered and sorted; ties are broken by id so pages are stable."""
    items, total = await db.read(
        rules.list_products, limit=limit, offset=offset, sku=sku, q=q, in_stock=in_stock, sort=sort
    )
    return page_response(items, total, limit, offset)


@router.get(
    "/{product_id}",
    response_model=ProductPublic,
    summary="Get a product",
    responses=route_responses("product_not_found", example=PRODUCT_EXAMPLE),
)
async def get_product(product_id: ProductId, db: DatabaseDep) -> Any:
    return json_response(await db.read(rules.get_product, product_id))


_UPDATE_DOC = (
    "Partial update: any non-empty subset of `sku`, `name`, `price`, `stock`. "
    "`id`, timestamps, unknown fields, `null` values or an empty body are 422. "
    "PUT and PATCH behave the same."
)


@partial_update(
    router,
    "/{product_id}",
    "product",
    response_model=ProductPublic,
    summary="Update a product (partial)",
    description=_UPDATE_DOC,
    **write_route("product_not_found", "duplicate_sku", example=PRODUCT_EXAMPLE),
)
async def update_product(
    product_id: ProductId,
    body: Annotated[ProductUpdate, Body(openapi_examples=PRODUCT_UPDATE_EXAMPLES)],
    db: DatabaseDep,
) -> Any:
    return json_response(await db.write(rules.update_product, product_id, body))


@router.delete(
    "/{product_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a product",
    **write_route("product_not_found", "product_has_orders"),
)
async def delete_product(product_id: ProductId, db: DatabaseDep) -> Response:
    """Only a product no order references; otherwise `409 product_has_orders`."""
    await db.write(rules.delete_product, product_id)
    return Response(status_code=204)
