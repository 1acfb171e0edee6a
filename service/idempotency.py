"""`Idempotency-Key` on POST /orders (IETF httpapi idempotency-key draft).

The key is claimed with one atomic insert (`in_flight`), so of N concurrent requests with
one key exactly one runs. Its outcome is stored in the same transaction as the order
(success) or right after the rule refused it (4xx), and replayed for 24 hours:
same key + same body -> the first response again, `Idempotent-Replayed: true`;
other body -> 422; still running -> 409. Stored in the database, so it holds across
worker processes.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import delete, select, update
from sqlmodel import Session

from service.db import transaction
from service.errors import ApiError
from service.models import IdempotencyRecord, OrderCreate, OrderPublic
from service.orders import place_order
from service.sql import Throttle, insert_if_absent
from service.types import utcnow

records = IdempotencyRecord.__table__
# A bare token, or the same as a quoted structured-field string.
KEY_PATTERN = re.compile(r'^(?:"([A-Za-z0-9_-]{1,255})"|([A-Za-z0-9_-]{1,255}))$')
EXPIRY = timedelta(hours=24)
# A claim this old belongs to a request that died mid-way; let the retry take it over.
ABANDONED_AFTER = timedelta(seconds=60)
PRUNE = Throttle(3600)  # expired keys are deleted by a claim, at most hourly (no cron)


def parse_key(header: str) -> str:
    match = KEY_PATTERN.match(header.strip())
    if not match:
        raise ApiError("invalid_idempotency_key")
    return match.group(1) or match.group(2)


@dataclass
class StoredResponse:
    status: int
    body: dict[str, Any]
    replayed: bool


def fingerprint(data: OrderCreate) -> str:
    return hashlib.sha256(data.model_dump_json().encode()).hexdigest()


def place_order_once(
    session: Session, key: str, data: OrderCreate, request_id: str
) -> StoredResponse:
    """Three transactions: the claim is committed on its own (so concurrent requests see
    it), then the order and its stored response commit together; a refusal (4xx) is
    stored after the order's transaction rolled back, and any other failure frees the
    key for a retry."""
    stored = _claim_or_replay(session, key, fingerprint(data))
    if stored is not None:
        return stored
    try:
        with transaction(session):
            order = place_order(session, data)
            body = OrderPublic.model_validate(order).model_dump(mode="json")
            _finish(session, key, 201, body)
    except ApiError as exc:
        with transaction(session):
            _finish(session, key, exc.status, exc.body(request_id))
        raise
    except Exception:
        with transaction(session):
            session.execute(delete(records).where(records.c.key == key))
        raise
    return StoredResponse(201, body, replayed=False)


_RETRY = object()  # the key's record went away or was stale: claim again


def _claim_or_replay(session: Session, key: str, request_print: str) -> StoredResponse | None:
    """None when this request now owns the key; the stored response to replay otherwise."""
    for _ in range(3):
        with transaction(session):
            outcome = _claim_once(session, key, request_print)
        if outcome is not _RETRY:
            return outcome
    raise ApiError("idempotency_key_in_flight")


def _claim_once(session: Session, key: str, request_print: str) -> Any:
    """One attempt, in one transaction: None (claimed), a StoredResponse (replay), `_RETRY`
    (a stale record was deleted, or the record vanished), or a 409/422 ApiError."""
    now = utcnow()
    claim = {"key": key, "fingerprint": request_print, "state": "in_flight", "created_at": now}
    if insert_if_absent(session, records, claim):
        if PRUNE.due():
            session.execute(delete(records).where(records.c.created_at < now - EXPIRY))
        return None
    row = session.execute(select(records).where(records.c.key == key)).mappings().first()
    if row is None:
        return _RETRY  # expired and deleted meanwhile
    age = now - row["created_at"]
    if age > EXPIRY or (row["state"] == "in_flight" and age > ABANDONED_AFTER):
        session.execute(
            delete(records).where(records.c.key == key, records.c.created_at == row["created_at"])
        )
        return _RETRY
    if row["fingerprint"] != request_print:
        raise ApiError("idempotency_key_reused")
    if row["state"] == "in_flight":
        raise ApiError("idempotency_key_in_flight")
    return StoredResponse(row["response_status"], orjson.loads(row["response_body"]), True)


def _finish(session: Session, key: str, status: int, body: dict[str, Any]) -> None:
    session.execute(
        update(records)
        .where(records.c.key == key)
        .values(state="done", response_status=status, response_body=orjson.dumps(body).decode())
    )
