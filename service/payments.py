"""Payment events from the provider's webhook: plain functions taking a session.

The delivery's `webhook-id` is inserted (unique key) in the same transaction as the order
change, so a replayed or concurrently duplicated delivery changes nothing; the state change
is a conditional UPDATE (`... WHERE status = 'PENDING'`), so it cannot race a cancel.
The caller's `service.db.transaction` commits; a refusal raised here rolls back the
delivery's record along with everything else, so the provider's retry is processed again.
"""

from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, StringConstraints
from sqlalchemy import delete, update
from sqlmodel import Session

from service.errors import ApiError
from service.models import Order, OrderStatus, ProcessedWebhook
from service.orders import get_order
from service.sql import Throttle, insert_if_absent
from service.types import EntityId, Money, utcnow

orders = Order.__table__
processed = ProcessedWebhook.__table__

PAYMENT_SUCCEEDED = "payment.succeeded"
PAYMENT_FAILED = "payment.failed"
PaymentId = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00]+$")]


class PaymentData(BaseModel):
    order_id: EntityId
    payment_id: PaymentId
    amount: Money | None = None
    currency: Annotated[str, StringConstraints(max_length=10, pattern=r"^[^\x00]*$")] | None = None


class WebhookEvent(BaseModel):
    """The event envelope; unknown top-level fields are tolerated (providers add some)."""

    type: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00]+$")]
    timestamp: str | None = None
    data: dict[str, Any] | None = None


class PaymentEvent(WebhookEvent):
    data: PaymentData


def process_event(
    session: Session, webhook_id: str, event: WebhookEvent, *, retention_days: int = 7
) -> dict[str, Any]:
    """Apply one verified delivery in the caller's transaction; return the response body."""
    payment = PaymentEvent.model_validate(event.model_dump()) if _is_payment(event) else None
    outcome, order_id, order_status = "ignored", None, None
    if payment is not None:
        order_id = payment.data.order_id
    if not insert_if_absent(
        session,
        processed,
        {
            "webhook_id": webhook_id,
            "event_type": event.type,
            "order_id": order_id,
            "outcome": "pending",
            "received_at": utcnow(),
        },
    ):
        return {"status": "duplicate"}

    if payment is None:
        result: dict[str, Any] = {"status": "ignored"}
    else:
        if event.type == PAYMENT_SUCCEEDED:
            order_status = _mark_paid(session, payment.data)
            outcome = "paid"
        else:
            order_status = get_order(session, order_id)["status"]
            outcome = "payment_failed"
        result = {"status": "processed", "order_id": order_id, "order_status": order_status}
    session.execute(
        update(processed).where(processed.c.webhook_id == webhook_id).values(outcome=outcome)
    )
    _prune(session, retention_days)
    return result


def _is_payment(event: WebhookEvent) -> bool:
    return event.type in (PAYMENT_SUCCEEDED, PAYMENT_FAILED)


def _mark_paid(session: Session, data: PaymentData) -> str:
    """PENDING -> PAID in one conditional statement; idempotent for the same payment."""
    conditions = [orders.c.id == data.order_id, orders.c.status == OrderStatus.PENDING.value]
    if data.amount is not None:
        conditions.append(orders.c.total == data.amount)
    now = utcnow()
    row = session.execute(
        update(orders)
        .where(*conditions)
        .values(
            status=OrderStatus.PAID.value, paid_at=now, payment_id=data.payment_id, updated_at=now
        )
        .returning(orders.c.status)
    ).first()
    if row is not None:
        return row.status

    order = get_order(session, data.order_id)  # 404 when unknown
    if data.amount is not None and order["total"] != data.amount:
        raise ApiError(
            "amount_mismatch", expected=float(order["total"]), received=float(data.amount)
        )
    if order["status"] == OrderStatus.CANCELED:
        raise ApiError("invalid_transition", current=order["status"], target=OrderStatus.PAID)
    if order["payment_id"] == data.payment_id:
        return order["status"]  # the same payment again (PAID, or SHIPPED since): no change
    raise ApiError("already_paid", id=data.order_id)


PRUNE = Throttle(3600)


def _prune(session: Session, retention_days: int) -> None:
    """Forget webhook ids older than the retention, at most hourly per process, inside a
    webhook's own transaction (no cron). Deliveries that old are refused as stale by the
    signature's 5-minute tolerance anyway, so forgetting them reopens no replay."""
    if PRUNE.due():
        cutoff = utcnow() - timedelta(days=retention_days)
        session.execute(delete(processed).where(processed.c.received_at < cutoff))
