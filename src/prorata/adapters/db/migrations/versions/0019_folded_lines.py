"""Issue 13: a plain prolongation's lines are folded into its operation — one shared
`line_templates` row, named by `operations.template_id` and numbered from `line_seq` — and
expanded when read (docs/design/scale.md, "Round 13"), instead of stored as `charge_lines` rows.

A folded line has an id, `<operation id>.<position>`, but no row: `invoice_lines.line_id`
cannot be a foreign key to `charge_lines` any more (tests/dbfixtures.py, `ledger_breaks`,
checks that it resolves). The partial indexes give folded operations what the lines' own
indexes give stored lines, and cost nothing to an operation with stored lines.

The downgrade would put the foreign key back, which a folded line invoiced or not cannot keep,
and would drop the templates that hold folded operations' lines: it refuses while any
operation is folded rather than lose charges.

SQLite drops or adds a foreign key only by copying `invoice_lines` (batch mode). Nothing refers
to `invoice_lines`, so, unlike 0018's copy of `charge_lines`, its DROP deletes nothing that
foreign keys (on during migrations) would refuse; the copy's rows are checked on the way back.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from prorata.adapters.db.types import Money4

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FK = "fk_invoice_lines_line_id_charge_lines"
_FOLDED = "template_id IS NOT NULL"
_INDEXES = (
    ("ix_operations_folded_customer_line_seq", ["customer_id", "line_seq"]),
    ("ix_operations_folded_created_on_customer", ["created_on", "customer_id"]),
    ("ix_operations_folded_line_seq", ["line_seq"]),
)


def upgrade() -> None:
    op.create_table(
        "line_templates",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("lines", sa.Text(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("amount", Money4(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_line_templates"),
    )
    op.add_column("operations", sa.Column("template_id", sa.String(64), nullable=True))
    op.add_column("operations", sa.Column("line_seq", sa.BigInteger(), nullable=True))
    for name, columns in _INDEXES:
        op.create_index(name, "operations", columns, sqlite_where=sa.text(_FOLDED),
                        postgresql_where=sa.text(_FOLDED))
    with op.batch_alter_table("invoice_lines") as batch:
        batch.drop_constraint(_FK, type_="foreignkey")


def downgrade() -> None:
    folded = op.get_bind().execute(sa.text(
        f"SELECT count(*) FROM operations WHERE {_FOLDED}")).scalar_one()
    if folded:
        raise RuntimeError(
            f"cannot downgrade below 0019: {folded} operation(s) hold folded lines "
            "(operations.template_id), which 0018 can neither store nor let an invoice "
            "refer to; expand them into charge_lines first")
    with op.batch_alter_table("invoice_lines") as batch:
        batch.create_foreign_key(_FK, "charge_lines", ["line_id"], ["id"])
    for name, _ in _INDEXES:
        op.drop_index(name, table_name="operations")
    with op.batch_alter_table("operations") as batch:
        batch.drop_column("line_seq")
        batch.drop_column("template_id")
    op.drop_table("line_templates")
