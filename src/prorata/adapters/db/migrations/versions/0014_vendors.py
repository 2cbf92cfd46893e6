"""Vendor connectors (SPEC V1-V5): a product's connector settings and the durable table of
vendor calls the worker polls.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("products", sa.Column("vendor_settings", sa.JSON(none_as_null=True),
                                        nullable=True))
    op.create_table(
        "vendor_calls",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("operation_id", sa.String(64), nullable=False),
        sa.Column("subscription_id", sa.String(64), nullable=False),
        sa.Column("connector", sa.String(64), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("target_status", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(400), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_poll_at", _TS, nullable=False),
        sa.Column("deadline", _TS, nullable=False),
        sa.Column("claim", sa.String(64), nullable=True),
        sa.Column("claimed_until", _TS, nullable=True),
        sa.Column("last_polled_at", _TS, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_vendor_calls"),
        sa.UniqueConstraint("operation_id", name="uq_vendor_calls_operation_id"),
    )
    op.create_index("ix_vendor_calls_state_next_poll_at", "vendor_calls",
                    ["state", "next_poll_at"])


def downgrade() -> None:
    op.drop_index("ix_vendor_calls_state_next_poll_at", table_name="vendor_calls")
    op.drop_table("vendor_calls")
    op.drop_column("products", "vendor_settings")
