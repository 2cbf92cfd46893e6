"""Issue 6: a user account is unique per (e-mail, party), not per e-mail, so creating a user
never reveals that another tenant has an account with that address (docs/design/security.md,
"E-mail per party"). Sign-in looks accounts up by e-mail: an index on it.

SQLite changes a constraint only by copying the table (batch mode). Its connections run with
foreign keys on, and the copy drops the old `users` table, whose implicit DELETE cascades to
`user_sessions`: the sessions are kept aside and put back, so nobody is signed out.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SESSIONS = sa.table("user_sessions", sa.column("id"), sa.column("user_id"),
                     sa.column("token_hash"), sa.column("expires_at"), sa.column("created_at"))


def _keep_sessions() -> list[dict[str, Any]]:
    if op.get_bind().dialect.name != "sqlite":
        return []
    return [dict(r._mapping) for r in op.get_bind().execute(sa.select(_SESSIONS))]


def _restore_sessions(rows: list[dict[str, Any]]) -> None:
    bind = op.get_bind()
    left = set(bind.execute(sa.select(_SESSIONS.c.id)).scalars())
    missing = [r for r in rows if r["id"] not in left]
    if missing:
        bind.execute(_SESSIONS.insert(), missing)


def upgrade() -> None:
    sessions = _keep_sessions()
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_email", type_="unique")
        batch.create_unique_constraint("uq_users_email_party_kind_party_id",
                                       ["email", "party_kind", "party_id"])
        batch.create_index("ix_users_email", ["email"])
    _restore_sessions(sessions)


def downgrade() -> None:
    shared = op.get_bind().execute(sa.text(
        "SELECT email FROM users GROUP BY email HAVING count(*) > 1")).scalars().first()
    if shared is not None:
        raise RuntimeError(f"cannot downgrade below 0017: {shared!r} has accounts in several "
                           "parties; delete all but one of them first")
    sessions = _keep_sessions()
    with op.batch_alter_table("users") as batch:
        batch.drop_index("ix_users_email")
        batch.drop_constraint("uq_users_email_party_kind_party_id", type_="unique")
        batch.create_unique_constraint("uq_users_email", ["email"])
    _restore_sessions(sessions)
