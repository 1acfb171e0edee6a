"""products and orders

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Self-contained on purpose (plain SQLAlchemy types, no imports from the service):
money is BIGINT cents, timestamps are timezone-aware, ids are BIGINT (INTEGER on
SQLite, so they stay rowid aliases, with AUTOINCREMENT so a deleted row's id is never
handed out again: a saved Location or a late webhook cannot point at another resource).
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "product",
        sa.Column("id", Id, primary_key=True),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("stock", Id, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.CheckConstraint("price > 0", name="ck_product_price_positive"),
        sa.CheckConstraint("stock >= 0", name="ck_product_stock_non_negative"),
        sa.UniqueConstraint("sku", name="uq_product_sku"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_product_price_id", "product", ["price", "id"])
    op.create_index("ix_product_name_id", "product", ["name", "id"])
    op.create_index("ix_product_created_at_id", "product", ["created_at", "id"])

    op.create_table(
        "orders",
        sa.Column("id", Id, primary_key=True),
        sa.Column(
            "product_id",
            Id,
            sa.ForeignKey("product.id", ondelete="RESTRICT", name="fk_orders_product_id"),
            nullable=False,
        ),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("paid_at", Timestamp, nullable=True),
        sa.Column("payment_id", sa.String(255), nullable=True),
        sa.CheckConstraint("quantity BETWEEN 1 AND 1000", name="ck_orders_quantity_range"),
        sa.CheckConstraint(
            "status IN ('PENDING', 'PAID', 'SHIPPED', 'CANCELED')", name="ck_orders_status"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_orders_status_id", "orders", ["status", "id"])
    op.create_index("ix_orders_product_id_id", "orders", ["product_id", "id"])
    op.create_index("ix_orders_created_at_id", "orders", ["created_at", "id"])


def downgrade() -> None:
    op.drop_table("orders")
    op.drop_table("product")
