"""Pay-as-you-go consumption (SPEC B4): usage records, the subscriptions with records still
to charge, and the usage charges made from them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "usage_records",
        sa.Column("subscription_id", sa.String(64), nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("usage_date", sa.Date(), nullable=False),
        sa.Column("meter", sa.String(64), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("charged_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("subscription_id", "id", name="pk_usage_records"),
    )
    op.create_table(
        "usage_pending",
        sa.Column("subscription_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("first_date", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("subscription_id", name="pk_usage_pending"),
    )
    op.create_index("ix_usage_pending_customer_id", "usage_pending", ["customer_id"])
    op.create_table(
        "usage_charges",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("subscription_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("charged_on", sa.Date(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("meter", sa.String(64), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("line_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_usage_charges"),
        sa.UniqueConstraint("subscription_id", "charged_on", "month", "meter", "category",
                            name="uq_usage_charges_key"),
    )


def downgrade() -> None:
    op.drop_table("usage_charges")
    op.drop_index("ix_usage_pending_customer_id", table_name="usage_pending")
    op.drop_table("usage_pending")
    op.drop_table("usage_records")
