"""POST /webhooks/payment: verify the Standard Webhooks signature over the raw bytes,
then hand the event to `service.payments`."""

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from service import payments
from service.db import DatabaseDep
from service.errors import ApiError
from service.metrics import WEBHOOKS
from service.openapi import DATABASE_ERRORS, problems
from service.webhooks import INVALID_SIGNATURE, WebhookVerificationError, verify

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


class WebhookResult(BaseModel):
    status: Literal["processed", "duplicate", "ignored"]
    order_id: int | None = None
    order_status: str | None = None


_EVENT_EXAMPLE = {
    "type": "payment.succeeded",
    "timestamp": "2026-11-22T10:06:00Z",
    "data": {"order_id": 7, "payment_id": "pay_123", "amount": 19.98, "currency": "USD"},
}
_SIGNED_HEADERS = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "description": "Unique delivery id (replays of it are answered `duplicate`)",
        "schema": {"type": "string", "example": "msg_2b6xQk3Z"},
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "description": "Unix seconds; more than 300 s from now is refused",
        "schema": {"type": "string", "example": "1763805960"},
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "description": "Space-separated `v1,<base64 HMAC-SHA256>` of "
        "`{webhook-id}.{webhook-timestamp}.{raw body}`",
        "schema": {"type": "string", "example": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="},
    },
]
_OPENAPI = {
    "parameters": _SIGNED_HEADERS,
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/WebhookEvent"},
                "examples": {
                    "succeeded": {"summary": "Payment succeeded", "value": _EVENT_EXAMPLE},
                    "failed": {
                        "summary": "Payment failed (order stays PENDING)",
                        "value": {**_EVENT_EXAMPLE, "type": "payment.failed"},
                    },
                },
            }
        },
    },
}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Processed, a duplicate delivery, or an ignored event type",
        "content": {
            "application/json": {
                "examples": {
                    "processed": {
                        "value": {"status": "processed", "order_id": 7, "order_status": "PAID"}
                    },
                    "duplicate": {"value": {"status": "duplicate"}},
                    "ignored": {"value": {"status": "ignored"}},
                }
            }
        },
    },
    **problems(
        "invalid_signature",
        "stale_webhook",
        "order_not_found",
        "invalid_transition",
        "amount_mismatch",
        "already_paid",
        "payload_too_large",
        "validation_error",
        *DATABASE_ERRORS,
    ),
}


@router.post(
    "/payment",
    response_model=WebhookResult,
    response_model_exclude_none=True,
    summary="Payment provider webhook (Standard Webhooks)",
    responses=_RESPONSES,
    openapi_extra=_OPENAPI,
)
async def payment_webhook(request: Request, db: DatabaseDep) -> Any:
    """Verifies the signature over the raw body before parsing anything, then:
    `payment.succeeded` marks a PENDING order PAID (sets `paid_at`, `payment_id`; `amount`,
    when given, must equal the order total); `payment.failed` is recorded and the order
    stays PENDING; other types are ignored. Each `webhook-id` is processed at most once."""
    body = await request.body()
    state = request.app.state
    try:
        body.decode("utf-8")  # as the reference library: a non-UTF-8 body cannot be valid
        webhook_id = verify(
            state.webhook_secrets,
            request.headers,
            body,
            tolerance=state.settings.webhook_tolerance_seconds,
        )
    except (UnicodeDecodeError, WebhookVerificationError) as exc:
        code = exc.code if isinstance(exc, WebhookVerificationError) else INVALID_SIGNATURE
        WEBHOOKS.labels(code).inc()
        raise ApiError(code) from None
    try:
        event = payments.WebhookEvent.model_validate_json(body)
        result = await db.write(
            payments.process_event,
            webhook_id,
            event,
            retention_days=state.settings.webhook_retention_days,
        )
    except ValidationError as exc:
        WEBHOOKS.labels("validation_error").inc()
        raise RequestValidationError(_in_body(exc.errors())) from None
    except ApiError as exc:
        WEBHOOKS.labels(exc.code).inc()
        raise
    WEBHOOKS.labels(result["status"]).inc()
    return result


def _in_body(errors: list[dict]) -> list[dict]:
    return [{**error, "loc": ("body", *error.get("loc", ()))} for error in errors]
