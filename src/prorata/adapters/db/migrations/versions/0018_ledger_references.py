"""Issue 13: the ledger's own rows — operations and charge lines — refer to their customer,
subscription and operation without foreign keys (docs/DESIGN.md, "Money and storage").

On PostgreSQL each of those keys was a trigger running a locking look-up per row at commit:
a third of the server's time in a day of prolongations. Their writers take these ids from
the rows they have just loaded or written in the same unit of work, and the end-to-end tests
check every reference after each test (tests/dbfixtures.py, `ledger_breaks`).

SQLite drops a constraint only by copying the table (batch mode). The copy drops the old
`charge_lines`, and with foreign keys on that is an implicit DELETE, refused while
`invoice_lines` refers to its rows: those are kept aside in a temporary table and put back.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, constraint, column, referred table, deferred)
_KEYS = (
    ("charge_lines", "fk_charge_lines_customer_id_customers", "customer_id", "customers",
     False),
    ("charge_lines", "fk_charge_lines_subscription_id_subscriptions", "subscription_id",
     "subscriptions", True),
    ("charge_lines", "fk_charge_lines_operation_id_operations", "operation_id", "operations",
     True),
    ("operations", "fk_operations_subscription_id_subscriptions", "subscription_id",
     "subscriptions", True),
)


@contextmanager
def _invoice_lines_aside() -> Iterator[None]:
    """SQLite only: `invoice_lines` emptied while `charge_lines` is copied, then refilled."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMPORARY TABLE invoice_lines_0018 AS SELECT * FROM invoice_lines")
        op.execute("DELETE FROM invoice_lines")
    yield
    if sqlite:
        op.execute("INSERT INTO invoice_lines SELECT * FROM invoice_lines_0018")
        op.execute("DROP TABLE invoice_lines_0018")


def upgrade() -> None:
    with _invoice_lines_aside():
        for table in ("charge_lines", "operations"):  # lines first: they refer to operations
            with op.batch_alter_table(table) as batch:
                for name in (k[1] for k in _KEYS if k[0] == table):
                    batch.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    with _invoice_lines_aside():
        for table in ("operations", "charge_lines"):
            with op.batch_alter_table(table) as batch:
                for owner, name, column, referred, deferred in _KEYS:
                    if owner == table:
                        batch.create_foreign_key(
                            name, referred, [column], ["id"], deferrable=deferred or None,
                            initially="DEFERRED" if deferred else None)
