"""The daily run shared by several processes: leases on batches of a day's due ids.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "scheduler_leases",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("lo", sa.String(64), nullable=False),
        sa.Column("hi", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("done_at", _TS, nullable=True),
        sa.Column("subscriptions", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("day", "lo", name="pk_scheduler_leases"),
    )


def downgrade() -> None:
    op.drop_table("scheduler_leases")
