"""Drop two indexes no query needs; the daily run paid for both on every row it wrote.

- `ix_subscriptions_plan_id`: no query filters subscriptions by plan. On PostgreSQL an update
  that moves `due_on` (every daily-run update does) is not HOT, so it inserts an entry into
  every index of the table.
- `ix_operations_customer_id`: the one query on `operations.customer_id` (filling it in when the
  subscription is written after its operations) also filters by `subscription_id`, which
  `ix_operations_subscription_id_seq` finds; each new operation inserted into it.

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


DROPPED = (
    ("ix_subscriptions_plan_id", "subscriptions", ["plan_id"]),
    ("ix_operations_customer_id", "operations", ["customer_id"]),
)


def upgrade() -> None:
    for name, table, _ in DROPPED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, columns in DROPPED:
        op.create_index(name, table, columns)
