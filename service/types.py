"""Field types shared by the table and API models.

Money is a `Decimal` in Python, integer cents in the database (exact on SQLite and
PostgreSQL alike, sortable, and `unit_price * quantity` stays integer arithmetic in SQL),
and a JSON number with at most two decimals on the wire.
"""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

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

MAX_INT64 = 2**63 - 1
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


def _json_number_only(value: Any) -> Any:
    # Pydantic would also take "19.99" or true; the contract says a JSON number.
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError("must be a JSON number")
    return value


def _not_blank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


Money = Annotated[
    Decimal,
    BeforeValidator(_json_number_only),
    Field(gt=0, le=MAX_PRICE, decimal_places=2),
    PlainSerializer(float, return_type=float, when_used="json"),
    WithJsonSchema(
        {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": 1000000,
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
Stock = Annotated[int, Strict(), Field(ge=0, le=MAX_INT32)]
Quantity = Annotated[int, Strict(), Field(ge=1, le=1000)]
EntityId = Annotated[int, Strict(), Field(ge=1, le=MAX_INT64)]
