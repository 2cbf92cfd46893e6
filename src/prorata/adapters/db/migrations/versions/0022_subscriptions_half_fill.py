"""Issue 13: `subscriptions` leaves half of each page free on PostgreSQL, so that every row a
billing day updates can take its next version on its own page (docs/design/scale.md,
"Round 15").

0020 made the daily run's update of `charged_until` and `due_on` eligible for a heap-only
(HOT) update and left a fifth of each page free. That fifth was not enough: a batch updates
consecutive subscriptions, which were created together and share their pages, in one
transaction, so a page needs room for a new version of *each* of its rows before any old one
can be pruned. Measured on a 300k billing day: 27% of the updates were HOT; the other 73% went
to another page and into all three indexes of the table, with the bottom-up index deletion
they trigger (the server's largest single function in a profile). With half of each page free,
100% were HOT and the server's CPU fell from 50 to 38 µs a subscription.

Half is the one fill that leaves every row room for its next version whatever the row's size.
It costs no more disk in steady state than 80 did: a version that does not fit on its page
takes room on another one until vacuum. Existing pages keep their fill until their rows move;
`VACUUM FULL subscriptions` rewrites them at once.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _postgres():  # SQLite has no fill factor: it updates a row in place
        op.execute("ALTER TABLE subscriptions SET (fillfactor = 50)")


def downgrade() -> None:
    if _postgres():
        op.execute("ALTER TABLE subscriptions SET (fillfactor = 80)")
