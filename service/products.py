"""Product rules: plain functions taking a session, no HTTP. They never commit or roll
back: the caller's `service.db.transaction` does, so a raised ApiError undoes the write.

Statements go through SQLAlchemy Core on the SQLModel tables (no ORM unit of work on
the hot paths; the hottest statements are built once, with bind parameters); rows come
back as mappings in the Public models' field order.
"""

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import bindparam, delete, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service.errors import ApiError
from service.models import Order, Product, ProductCreate, ProductPublic, ProductUpdate
from service.sql import found_or_raise, one_statement, public_columns, sort_orders
from service.types import utcnow

products = Product.__table__
orders = Order.__table__
PRODUCT_COLUMNS = public_columns(products, ProductPublic)
_GET_PRODUCT = select(*PRODUCT_COLUMNS).where(products.c.id == bindparam("product_id"))

ProductSort = Literal["id", "-id", "price", "-price", "name", "-name", "created_at", "-created_at"]
_ORDER_BY = sort_orders(products, ProductSort)

Row = Mapping[str, Any]


def _duplicate_sku(exc: IntegrityError, sku: str) -> ApiError | None:
    message = str(exc.orig).lower()
    if "sku" in message or "unique" in message:
        return ApiError("duplicate_sku", sku=sku)
    return None


@one_statement
def create_product(session: Session, data: ProductCreate) -> Row:
    now = utcnow()
    values = data.model_dump() | {"created_at": now, "updated_at": now}
    try:
        statement = insert(products).values(**values).returning(*PRODUCT_COLUMNS)
        return session.execute(statement).mappings().one()
    except IntegrityError as exc:
        raise _duplicate_sku(exc, data.sku) or exc from exc


def get_product(session: Session, product_id: int) -> Row:
    params = {"product_id": product_id}
    return found_or_raise(session, _GET_PRODUCT, params, "product_not_found", id=product_id)


def list_products(
    session: Session,
    *,
    limit: int = 20,
    offset: int = 0,
    sku: str | None = None,
    q: str | None = None,
    in_stock: bool | None = None,
    sort: ProductSort = "id",
) -> tuple[list[Row], int]:
    count, page = _list_statements(sku is not None, bool(q), in_stock, sort)
    params = {"sku": sku, "q": _contains_pattern(q or ""), "limit": limit, "offset": offset}
    total = session.execute(count, params).scalar_one()
    items = session.execute(page, params).mappings().all()
    return list(items), total


def _contains_pattern(text: str) -> str:
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped.lower()}%"


@lru_cache(maxsize=64)
def _list_statements(by_sku: bool, by_name: bool, in_stock: bool | None, sort: ProductSort):
    """(count, page) statements for one filter/sort shape, built once per shape."""
    conditions = []
    if by_sku:
        conditions.append(products.c.sku == bindparam("sku"))
    if by_name:
        conditions.append(func.lower(products.c.name).like(bindparam("q"), escape="/"))
    if in_stock is True:
        conditions.append(products.c.stock > 0)
    elif in_stock is False:
        conditions.append(products.c.stock == 0)
    count = select(func.count()).select_from(products).where(*conditions)
    page = (
        select(*PRODUCT_COLUMNS)
        .where(*conditions)
        .order_by(*_ORDER_BY[sort])
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return count, page


@one_statement
def update_product(session: Session, product_id: int, data: ProductUpdate) -> Row:
    values = data.model_dump(exclude_unset=True) | {"updated_at": utcnow()}
    statement = (
        update(products)
        .where(products.c.id == product_id)
        .values(**values)
        .returning(*PRODUCT_COLUMNS)
    )
    try:
        row = session.execute(statement).mappings().first()
    except IntegrityError as exc:
        raise _duplicate_sku(exc, values.get("sku", "")) or exc from exc
    if row is None:
        raise ApiError("product_not_found", id=product_id)
    return row


@one_statement
def delete_product(session: Session, product_id: int) -> None:
    """Refused while any order references the product (the FK backs this up)."""
    has_orders = exists().where(orders.c.product_id == product_id)
    try:
        result = session.execute(delete(products).where(products.c.id == product_id, ~has_orders))
    except IntegrityError:
        # An order was inserted concurrently (PostgreSQL's FK check): the product exists.
        raise ApiError("product_has_orders", id=product_id) from None
    if result.rowcount:
        return
    get_product(session, product_id)  # 404 if it does not exist
    raise ApiError("product_has_orders", id=product_id)
