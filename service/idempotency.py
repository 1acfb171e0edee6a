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

from service.errors import ApiError, Conflict, problem_body
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


class InvalidIdempotencyKey(ApiError):
    def __init__(self) -> None:
        super().__init__(
            400,
            "invalid_idempotency_key",
            "Idempotency-Key must be 1-255 characters of A-Z a-z 0-9 _ - "
            "(optionally as a quoted string)",
        )


def parse_key(header: str) -> str:
    match = KEY_PATTERN.match(header.strip())
    if not match:
        raise InvalidIdempotencyKey()
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
    stored = _claim_or_replay(session, key, fingerprint(data))
    if stored is not None:
        return stored
    try:
        order = place_order(session, data, commit=False)
    except ApiError as exc:
        session.rollback()
        body = problem_body(exc.status, exc.code, exc.detail, request_id, **exc.extra)
        _finish(session, key, exc.status, body)
        session.commit()
        raise
    except Exception:
        session.rollback()
        session.execute(delete(records).where(records.c.key == key))
        session.commit()
        raise
    body = OrderPublic.model_validate(order).model_dump(mode="json")
    _finish(session, key, 201, body)
    session.commit()  # the order and its stored response, together
    return StoredResponse(201, body, replayed=False)


def _claim_or_replay(session: Session, key: str, request_print: str) -> StoredResponse | None:
    now = utcnow()
    for _ in range(3):
        claim = {"key": key, "fingerprint": request_print, "state": "in_flight", "created_at": now}
        if insert_if_absent(session, records, claim):
            if PRUNE.due():
                session.execute(delete(records).where(records.c.created_at < now - EXPIRY))
            session.commit()
            return None
        row = session.execute(select(records).where(records.c.key == key)).mappings().first()
        if row is None:
            session.rollback()
            continue  # expired and deleted meanwhile: claim again
        age = now - row["created_at"]
        stale = age > EXPIRY or (row["state"] == "in_flight" and age > ABANDONED_AFTER)
        if stale:
            session.execute(
                delete(records).where(
                    records.c.key == key, records.c.created_at == row["created_at"]
                )
            )
            session.commit()
            continue
        session.rollback()
        if row["fingerprint"] != request_print:
            raise ApiError(
                422,
                "idempotency_key_reused",
                "This Idempotency-Key was used with a different request body",
            )
        if row["state"] == "in_flight":
            raise Conflict(
                "idempotency_key_in_flight",
                "A request with this Idempotency-Key is still being processed; retry later",
            )
        return StoredResponse(row["response_status"], orjson.loads(row["response_body"]), True)
    raise Conflict(
        "idempotency_key_in_flight",
        "A request with this Idempotency-Key is still being processed; retry later",
    )


def _finish(session: Session, key: str, status: int, body: dict[str, Any]) -> None:
    session.execute(
        update(records)
        .where(records.c.key == key)
        .values(state="done", response_status=status, response_body=orjson.dumps(body).decode())
    )
