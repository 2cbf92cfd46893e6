"""Issue 13: a plain prolongation's update of its subscription becomes a HOT update on
PostgreSQL (docs/design/scale.md, "Round 14").

The daily run changes `charged_until` and `due_on` of every due subscription. `due_on` was
indexed, so each update was a new row version entered in all four of the table's indexes — the
largest part of the server's work on a billing day once the lines were folded (20 of 42 µs a
subscription, measured). No query uses that index: the run reads due ids in id order from the
primary key (scheduler/leases.py, `_page`), and a lease taken over reads its id range. Without
it, an update that changes no indexed column can stay on its page (heap-only tuple) when the
page has room, which `fillfactor = 80` leaves. SQLite updates only the indexes whose columns
change; it loses the index and gains nothing else measurable.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.drop_index("ix_subscriptions_due_on", "subscriptions")
    if _postgres():  # rows written from now on leave the room; existing pages fill as they go
        op.execute("ALTER TABLE subscriptions SET (fillfactor = 80)")


def downgrade() -> None:
    if _postgres():
        op.execute("ALTER TABLE subscriptions RESET (fillfactor)")
    op.create_index("ix_subscriptions_due_on", "subscriptions", ["due_on"])
