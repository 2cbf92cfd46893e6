"""Drop `ix_subscriptions_plan_id`: no query filters subscriptions by plan, and the daily run
paid for it on every subscription it wrote. On PostgreSQL an update that moves `due_on` (every
daily-run update does) is not HOT, so it inserts an entry into every index of the table.

The foreign key to `plans` stays, and stays enforced: the index only sped up the check a
delete of a plan makes on `subscriptions`, and plans are never deleted (a plan is withdrawn
from sale, not removed); a manual delete is still refused while a subscription uses the plan,
after a scan of the table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_subscriptions_plan_id", table_name="subscriptions")


def downgrade() -> None:
    op.create_index("ix_subscriptions_plan_id", "subscriptions", ["plan_id"])
