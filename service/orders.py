"""Order rules: placing (stock taken atomically), status transitions, quantity changes,
cancel and delete. Plain functions taking a session; they never commit or roll back: the
caller's `service.db.transaction` does, so a raised ApiError undoes everything before it.

Stock is never read-checked-written: placing an order is one conditional
`UPDATE product SET stock = stock - :q WHERE id = :id AND stock >= :q RETURNING price`,
atomic with the order insert. On PostgreSQL both are one statement (the UPDATE is a CTE
the INSERT selects from), so placing an order is one round trip; SQLite has no
data-modifying CTEs and runs the two statements in one BEGIN IMMEDIATE transaction.
Changes to an existing order first lock the order row (`SELECT ... FOR UPDATE` on
PostgreSQL; SQLite write transactions are BEGIN IMMEDIATE and so already exclusive), so
racing cancels return the stock exactly once.
"""

from collections.abc import Mapping
from typing import Any, Literal, NoReturn

from sqlalchemy import Integer, String, bindparam, delete, func, insert, literal, select, update
from sqlmodel import Session

from service.errors import ApiError
from service.models import Order, OrderCreate, OrderPublic, OrderStatus, OrderUpdate, Product
from service.sql import found_or_raise, is_postgres, one_statement, public_columns, sort_orders
from service.types import IdColumnType, UTCDateTime, utcnow

products = Product.__table__
orders = Order.__table__
ORDER_COLUMNS = public_columns(orders, OrderPublic)
# The hot statements, built once (bind parameters, SQLAlchemy's compiled cache does the rest).
_TAKE_STOCK = (
    update(products)
    .where(products.c.id == bindparam("p_id"), products.c.stock >= bindparam("p_quantity"))
    .values(
        stock=products.c.stock - bindparam("p_quantity"),
        updated_at=bindparam("p_now", type_=UTCDateTime()),
    )
    .returning(products.c.price)
)
_INSERT_ORDER = insert(orders).returning(*ORDER_COLUMNS)
# PostgreSQL: take the stock and insert the order in one statement. No row back: nothing
# was taken (unknown product or not enough stock) and nothing was inserted.
_TAKEN = _TAKE_STOCK.cte("taken")
_QUANTITY = bindparam("p_quantity", type_=Integer)
_NOW = bindparam("p_now", type_=UTCDateTime())
_PLACE_ORDER = (
    insert(orders)
    .from_select(
        ["product_id", "quantity", "status", "unit_price", "total", "created_at", "updated_at"],
        select(
            bindparam("p_id", type_=IdColumnType),
            _QUANTITY,
            literal(OrderStatus.PENDING.value, String),
            _TAKEN.c.price,
            _TAKEN.c.price * _QUANTITY,
            _NOW,
            _NOW,
        ).select_from(_TAKEN),
    )
    .returning(*ORDER_COLUMNS)
)
_GET_ORDER = select(*ORDER_COLUMNS).where(orders.c.id == bindparam("order_id"))

OrderSort = Literal["id", "-id", "created_at", "-created_at"]
_ORDER_BY = sort_orders(orders, OrderSort)

# Allowed status changes through PUT/PATCH/cancel. PAID is reached only by the webhook.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.CANCELED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELED}),
    OrderStatus.SHIPPED: frozenset(),
    OrderStatus.CANCELED: frozenset(),
}

Row = Mapping[str, Any]


def check_transition(current: str, target: str) -> None:
    """Raise unless `current -> target` is allowed (the same status again is allowed)."""
    if current != target and OrderStatus(target) not in TRANSITIONS[OrderStatus(current)]:
        raise ApiError("invalid_transition", current=current, target=target)


def take_stock(session: Session, product_id: int, quantity: int) -> Row:
    """Decrement stock in one conditional statement; return the product's price.

    Raises 404 for an unknown product and 409 insufficient_stock (with `available` and
    `requested`) when the stock is short; the caller's transaction then rolls back at once.
    """
    params = {"p_id": product_id, "p_quantity": quantity, "p_now": utcnow()}
    row = session.execute(_TAKE_STOCK, params).first()
    if row is None:
        _refuse(session, product_id, quantity)
    return row._mapping


def _refuse(session: Session, product_id: int, quantity: int) -> NoReturn:
    """Why nothing was taken: 404 for an unknown product, else 409 insufficient_stock."""
    available = session.execute(
        select(products.c.stock).where(products.c.id == product_id)
    ).scalar_one_or_none()
    if available is None:
        raise ApiError("product_not_found", id=product_id)
    raise ApiError("insufficient_stock", available=available, requested=quantity)


def return_stock(session: Session, product_id: int, quantity: int) -> None:
    session.execute(
        update(products)
        .where(products.c.id == product_id)
        .values(stock=products.c.stock + quantity, updated_at=utcnow())
    )


@one_statement
def place_order(session: Session, data: OrderCreate) -> Row:
    """A PENDING order at the product's current price, its quantity taken from stock:
    one statement on PostgreSQL (a second only to explain a refusal), two on SQLite."""
    if is_postgres(session):
        params = {"p_id": data.product_id, "p_quantity": data.quantity, "p_now": utcnow()}
        row = session.execute(_PLACE_ORDER, params).mappings().first()
        if row is None:
            _refuse(session, data.product_id, data.quantity)
        return row
    price = take_stock(session, data.product_id, data.quantity)["price"]
    now = utcnow()
    values = {
        "product_id": data.product_id,
        "quantity": data.quantity,
        "status": OrderStatus.PENDING.value,
        "unit_price": price,
        "total": price * data.quantity,
        "created_at": now,
        "updated_at": now,
    }
    return session.execute(_INSERT_ORDER, values).mappings().one()


def get_order(session: Session, order_id: int, *, for_update: bool = False) -> Row:
    query = _GET_ORDER.with_for_update() if for_update else _GET_ORDER  # no-op on SQLite
    return found_or_raise(session, query, {"order_id": order_id}, "order_not_found", id=order_id)


def list_orders(
    session: Session,
    *,
    limit: int = 20,
    offset: int = 0,
    status: OrderStatus | None = None,
    product_id: int | None = None,
    sort: OrderSort = "id",
) -> tuple[list[Row], int]:
    conditions = []
    if status is not None:
        conditions.append(orders.c.status == status.value)
    if product_id is not None:
        conditions.append(orders.c.product_id == product_id)
    total = session.execute(
        select(func.count()).select_from(orders).where(*conditions)
    ).scalar_one()
    items = (
        session.execute(
            select(*ORDER_COLUMNS)
            .where(*conditions)
            .order_by(*_ORDER_BY[sort])
            .limit(limit)
            .offset(offset)
        )
        .mappings()
        .all()
    )
    return list(items), total


def update_order(session: Session, order_id: int, data: OrderUpdate) -> Row:
    """Apply `{quantity, status}` (either or both) atomically; quantity first."""
    fields = data.model_dump(exclude_unset=True)
    order = get_order(session, order_id, for_update=True)
    status = order["status"]
    quantity = order["quantity"]
    target = fields.get("status", status)
    check_transition(status, target)
    values: dict[str, Any] = {}

    new_quantity = fields.get("quantity", quantity)
    if new_quantity != quantity:
        if status != OrderStatus.PENDING:
            raise ApiError("order_not_pending", id=order_id, status=status)
        delta = new_quantity - quantity
        if delta > 0:
            take_stock(session, order["product_id"], delta)
        else:
            return_stock(session, order["product_id"], -delta)
        values |= {"quantity": new_quantity, "total": order["unit_price"] * new_quantity}

    if target != status:
        if target == OrderStatus.CANCELED:
            return_stock(session, order["product_id"], new_quantity)
        values["status"] = target

    if not values:
        return order  # the same status again: a no-op
    return (
        session.execute(
            update(orders)
            .where(orders.c.id == order_id, orders.c.status == status)
            .values(**values, updated_at=utcnow())
            .returning(*ORDER_COLUMNS)
        )
        .mappings()
        .one()
    )


def cancel_order(session: Session, order_id: int) -> Row:
    return update_order(session, order_id, OrderUpdate(status=OrderStatus.CANCELED))


def delete_order(session: Session, order_id: int) -> None:
    """Only an order that was never paid: PENDING (its stock comes back) or CANCELED."""
    row = session.execute(
        delete(orders)
        .where(
            orders.c.id == order_id,
            orders.c.status.in_([OrderStatus.PENDING.value, OrderStatus.CANCELED.value]),
        )
        .returning(orders.c.status, orders.c.product_id, orders.c.quantity)
    ).first()
    if row is None:
        current = get_order(session, order_id)  # 404 if it does not exist
        raise ApiError("order_not_deletable", id=order_id, status=current["status"])
    if row.status == OrderStatus.PENDING:
        return_stock(session, row.product_id, row.quantity)
