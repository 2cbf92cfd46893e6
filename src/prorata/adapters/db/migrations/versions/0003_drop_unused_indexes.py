"""Drop three indexes no query uses. Every daily-run write paid for them: on PostgreSQL a
subscription update that moves `due_on` is not HOT, so it inserts into every index of the
table, and each new operation inserted into every index of `operations`.

- `ix_subscriptions_status_charged_until`, `ix_subscriptions_status_period_end`: how the
  daily run found due subscriptions before `due_on` (0001); it now scans `ix_subscriptions_due_on`.
- `ix_operations_status_effective_on`: no query filters operations by status or date; the
  daily run finds scheduled operations through their subscription.

Revision ID: 0003
Revises: 0002
Create Date: 2026-02-10
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROPPED = (
    ("ix_subscriptions_status_charged_until", "subscriptions", ["status", "charged_until"]),
    ("ix_subscriptions_status_period_end", "subscriptions", ["status", "period_end"]),
    ("ix_operations_status_effective_on", "operations", ["status", "effective_on"]),
)


def upgrade() -> None:
    for name, table, _ in DROPPED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, columns in DROPPED:
        op.create_index(name, table, columns)
