"""Issue 6: failed sign-ins (the table login throttling counts in, shared by every process)
and the `shifted` mark of a subscription period renewed in shifted mode (S6).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_login_failures_email_created_at", "login_failures",
                    ["email", "created_at"])
    op.create_index("ix_login_failures_client_created_at", "login_failures",
                    ["client", "created_at"])
    op.add_column("subscriptions", sa.Column("shifted", sa.Boolean(), nullable=False,
                                             server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("shifted")
    op.drop_table("login_failures")
