"""Parties and access (SPEC P2-P7): reseller registration number and delegated settings,
restriction lists, user sessions, and the index API keys are looked up by.

Revision ID: 0002
Revises: 0001
Create Date: 2026-02-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("resellers", sa.Column("inn", sa.String(64), nullable=True))
    op.add_column("resellers", sa.Column("settings", sa.JSON(none_as_null=True), nullable=True))
    op.create_index("ix_resellers_inn", "resellers", ["inn"])
    op.create_index("ix_api_keys_secret_hash", "api_keys", ["secret_hash"], unique=True)

    op.create_table(
        "restrictions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("inn", sa.String(64), nullable=False),
        sa.Column("products", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_restrictions"),
    )
    op.create_index("ix_restrictions_inn", "restrictions", ["inn"])

    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_user_sessions_user_id_users",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_user_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_user_sessions_token_hash"),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"])


def downgrade() -> None:
    op.drop_table("user_sessions")
    op.drop_table("restrictions")
    op.drop_index("ix_api_keys_secret_hash", table_name="api_keys")
    op.drop_index("ix_resellers_inn", table_name="resellers")
    # SQLite >= 3.35 drops columns in place; batch mode covers older ones and PostgreSQL alike.
    with op.batch_alter_table("resellers") as batch:
        batch.drop_column("settings")
        batch.drop_column("inn")
