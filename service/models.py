"""SQLModel models in the Create / Update / Public / table pattern.

The table models carry the database rules (unique sku, CHECKs, FK, indexes for every
filter and sort we offer); the API models carry the request validation. Request models
forbid unknown fields; update models reject explicit nulls and empty bodies.

No shared `*Base` model (the full-stack template's way): here no field has the same
definition in two models. Requests take strict, constrained types (`Sku`, `Money`), the
Public models plain output types (`MoneyOut`, and no request patterns in the response
schema), the tables column types; a base would be overridden field by field. What keeps
them in step: the rules select exactly the Public fields from the table
(`service.sql.public_columns`, which fails at import on a field the table lacks).
"""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.types import (
    EntityId,
    IdColumnType,
    Money,
    MoneyCents,
    MoneyOut,
    Name,
    Quantity,
    Sku,
    Stock,
    UTCDateTime,
    utcnow,
)

_REQUEST_CONFIG = ConfigDict(extra="forbid")


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"
    SHIPPED = "SHIPPED"
    CANCELED = "CANCELED"


def _partial_schema(schema: dict[str, Any]) -> None:
    """No `"default": null` (null is refused) and at least one property."""
    schema["minProperties"] = 1
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class _PartialUpdate(SQLModel):
    """Any non-empty subset of the fields; `null` is not a value."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_partial_schema)

    @model_validator(mode="before")
    @classmethod
    def _no_nulls_no_empty(cls, data: Any) -> Any:
        if isinstance(data, dict):
            if not data:
                raise ValueError("at least one field is required")
            nulls = [key for key, value in data.items() if value is None]
            if nulls:
                raise ValueError(f"fields may not be null: {', '.join(sorted(nulls))}")
        return data


# --- products ------------------------------------------------------------------------------


class ProductCreate(SQLModel):
    model_config = _REQUEST_CONFIG

    sku: Sku
    name: Name
    price: Money
    stock: Stock = 0


class ProductUpdate(_PartialUpdate):
    sku: Sku = None
    name: Name = None
    price: Money = None
    stock: Stock = None


class ProductPublic(SQLModel):
    id: int
    sku: str
    name: str
    price: MoneyOut
    stock: int
    created_at: datetime
    updated_at: datetime


class Product(SQLModel, table=True):
    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="ck_product_stock_non_negative"),
        CheckConstraint("price > 0", name="ck_product_price_positive"),
        UniqueConstraint("sku", name="uq_product_sku"),
        Index("ix_product_price_id", "price", "id"),
        Index("ix_product_name_id", "name", "id"),
        Index("ix_product_created_at_id", "created_at", "id"),
        # in_stock filter, and the narrowest index for SQLite's count(*) of a page total
        Index("ix_product_stock", "stock"),
        {"sqlite_autoincrement": True},  # ids are never reused after a delete
    )

    id: int | None = Field(default=None, sa_type=IdColumnType, primary_key=True)
    sku: str = Field(sa_column=Column(String(64), nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    price: Decimal = Field(sa_type=MoneyCents, nullable=False)
    stock: int = Field(sa_type=IdColumnType, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# --- orders --------------------------------------------------------------------------------


class OrderCreate(SQLModel):
    model_config = _REQUEST_CONFIG

    product_id: EntityId
    quantity: Quantity


class OrderUpdate(_PartialUpdate):
    status: OrderStatus = None
    quantity: Quantity = None


class OrderPublic(SQLModel):
    id: int
    product_id: int
    quantity: int
    status: OrderStatus
    unit_price: MoneyOut
    total: MoneyOut
    created_at: datetime
    updated_at: datetime
    paid_at: datetime | None
    payment_id: str | None


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("quantity BETWEEN 1 AND 1000", name="ck_orders_quantity_range"),
        CheckConstraint(
            "status IN ('PENDING', 'PAID', 'SHIPPED', 'CANCELED')", name="ck_orders_status"
        ),
        Index("ix_orders_status_id", "status", "id"),
        Index("ix_orders_product_id_id", "product_id", "id"),
        Index("ix_orders_created_at_id", "created_at", "id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_type=IdColumnType, primary_key=True)
    product_id: int = Field(
        sa_column=Column(
            IdColumnType,
            ForeignKey("product.id", ondelete="RESTRICT", name="fk_orders_product_id"),
            nullable=False,
        )
    )
    quantity: int = Field(nullable=False)
    status: str = Field(default=OrderStatus.PENDING, sa_column=Column(String(16), nullable=False))
    unit_price: Decimal = Field(sa_type=MoneyCents, nullable=False)
    total: Decimal = Field(sa_type=MoneyCents, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    payment_id: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))


# --- shared --------------------------------------------------------------------------------


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: `{"items": [...], "total": N, "limit": L, "offset": O}`."""

    items: list[T]
    total: int
    limit: int
    offset: int


# --- payments and idempotency ----------------------------------------------------------------


class ProcessedWebhook(SQLModel, table=True):
    """Each `webhook-id` processed once; inserted in the same transaction as its effect."""

    __tablename__ = "processed_webhook"
    __table_args__ = (Index("ix_processed_webhook_received_at", "received_at"),)

    webhook_id: str = Field(sa_column=Column(String(255), primary_key=True))
    event_type: str = Field(sa_column=Column(String(100), nullable=False))
    order_id: int | None = Field(default=None, sa_type=IdColumnType, nullable=True)
    outcome: str = Field(sa_column=Column(String(32), nullable=False))
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class IdempotencyRecord(SQLModel, table=True):
    """The first response to an `Idempotency-Key` on POST /orders, replayed for 24 h."""

    __tablename__ = "idempotency_key"
    __table_args__ = (Index("ix_idempotency_key_created_at", "created_at"),)

    key: str = Field(sa_column=Column(String(255), primary_key=True))
    fingerprint: str = Field(sa_column=Column(String(64), nullable=False))
    state: str = Field(sa_column=Column(String(16), nullable=False))  # in_flight | done
    response_status: int | None = Field(default=None, nullable=True)
    response_body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
