"""Issue 13: folded operations are indexed by what grows in the daily run's batch order
(docs/design/scale.md, "Round 14").

0019 indexed them by customer, as the stored lines are: `(customer_id, line_seq)` and
`(created_on, customer_id)`. A batch of 5,000 consecutive subscriptions belongs to every
customer, so each batch put an entry on a leaf page per customer in each of the two, and
SQLite's WAL writes every page a commit changed whole: on a 1M billing day the two cost 40% of
the run (22,004/s with them, 37,432/s without, on one seeded database). The issuer's day is
now `(created_on, subscription_id, customer_id)`, whose entries a batch adds side by side,
and a customer's folded lines are read through its subscriptions
(`ix_operations_subscription_id_seq`).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FOLDED = sa.text("template_id IS NOT NULL")
_BY_CUSTOMER = (
    ("ix_operations_folded_customer_line_seq", ["customer_id", "line_seq"]),
    ("ix_operations_folded_created_on_customer", ["created_on", "customer_id"]),
)
_BY_BATCH = (("ix_operations_folded_day", ["created_on", "subscription_id", "customer_id"]),)


def _create(indexes: Sequence[tuple[str, list[str]]]) -> None:
    for name, columns in indexes:
        op.create_index(name, "operations", columns, sqlite_where=_FOLDED,
                        postgresql_where=_FOLDED)


def upgrade() -> None:
    for name, _ in _BY_CUSTOMER:
        op.drop_index(name, "operations")
    _create(_BY_BATCH)


def downgrade() -> None:
    for name, _ in _BY_BATCH:
        op.drop_index(name, "operations")
    _create(_BY_CUSTOMER)
