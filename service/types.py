"""Field types shared by the table and API models.

Money is a `Decimal` in Python, integer cents in the database (exact on SQLite and
PostgreSQL alike, sortable, and `unit_price * quantity` stays integer arithmetic in SQL),
and a JSON number with at most two decimals on the wire.
"""

import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    Strict,
    StringConstraints,
    WithJsonSchema,
)
from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.types import TypeDecorator

# Ids, offsets: up to 2**53 - 1, exact as a JSON number in every client (JavaScript included).
MAX_ID = 2**53 - 1
MAX_INT32 = 2**31 - 1
MAX_PRICE = Decimal("1000000")
CENT = Decimal("0.01")

# Primary/foreign keys: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
IdColumnType = BigInteger().with_variant(Integer(), "sqlite")


class MoneyCents(TypeDecorator):
    """Decimal <-> integer cents."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        return int((Decimal(value) * 100).to_integral_value())

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / 100).quantize(CENT)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes, also on SQLite (which stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _json_money(value: Any) -> Any:
    """A JSON number, read exactly as written. Pydantic would also take "19.99" or true: refused.

    A float is read by its shortest round-trip form (`repr`), which is the number the client
    wrote: `19.99` is 19.99, and `0.30000000000000004` (0.1 * 3 in a client) keeps its 17
    decimals and is refused like `1.234`. This is how JSON Schema validators read
    `multipleOf: 0.01` (Schemathesis's jsonschema-rs among them), so what the published schema
    allows and what the service accepts are the same set: clients round money to cents.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError("must be a JSON number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite JSON number")
        return Decimal(repr(value))
    return value


def _json_integer(value: Any) -> Any:
    """A JSON integer: 3 or 3.0 (JSON Schema's integer), never "3", true or 3.5."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be a JSON integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("must be a JSON integer")
        return int(value)
    return value


def _not_blank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


Money = Annotated[
    Decimal,
    BeforeValidator(_json_money),
    Field(gt=0, le=MAX_PRICE, decimal_places=2),
    PlainSerializer(float, return_type=float, when_used="json"),
    WithJsonSchema(
        {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": 1000000,
            "multipleOf": 0.01,
            "description": "Exact amount, at most 2 decimal places.",
        }
    ),
]
MoneyOut = Annotated[
    Decimal,
    PlainSerializer(float, return_type=float, when_used="json"),
    WithJsonSchema({"type": "number", "description": "Exact amount with 2 decimal places."}),
]
Sku = Annotated[
    str,
    Strict(),
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$"),
]
# Length is checked before trimming so the schema stays exact; control characters
# (NUL breaks PostgreSQL text) and all-blank names are refused.
Name = Annotated[
    str,
    Strict(),
    StringConstraints(
        min_length=1,
        max_length=200,
        pattern=r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$",
    ),
    AfterValidator(_not_blank),
]
# Bounds before the validator, so they stay real `minimum`/`maximum` in the JSON schema.
Stock = Annotated[int, Ge(0), Le(MAX_INT32), BeforeValidator(_json_integer)]
Quantity = Annotated[int, Ge(1), Le(1000), BeforeValidator(_json_integer)]
EntityId = Annotated[int, Ge(1), Le(MAX_ID), BeforeValidator(_json_integer)]
