"""Money in (SPEC B2, B3, B5, B6): invoices and their numbering, payment sessions, refunds,
and on payments the columns gateways need.

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from prorata.adapters.db.types import Money4

revision: str = "0009"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _stamps() -> list[sa.Column]:
    return [sa.Column("created_on", sa.Date(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False)]


def _fk(table: str, col: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([col], [f"{target}.id"], name=f"fk_{table}_{col}_{target}")


def _payments_up(postgres: bool) -> None:
    """New columns first nullable, existing payments numbered in the order they were made,
    then the constraints (SQLite rebuilds the table for them: batch mode)."""
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("session_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("refund_of", sa.String(64), nullable=True))
    # UPDATE … FROM: PostgreSQL, and SQLite since 3.33 (the bulk writes need it already).
    op.execute("UPDATE payments SET seq = numbered.n FROM (SELECT id, row_number() OVER "
               "(ORDER BY created_on, id) AS n FROM payments) AS numbered "
               "WHERE numbered.id = payments.id")
    if postgres:
        op.execute(sa.schema.CreateSequence(sa.Sequence("payments_seq")))
        op.execute("SELECT setval('payments_seq', coalesce((SELECT max(seq) FROM payments), 0)"
                   " + 1, false)")
    with op.batch_alter_table("payments") as batch:
        batch.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch.create_unique_constraint("uq_payments_session_id", ["session_id"])
        batch.create_foreign_key("fk_payments_refund_of_payments", "payments", ["refund_of"],
                                 ["id"])


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    _payments_up(postgres)
    op.create_table(
        "invoice_counter",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("last_sequence", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_invoice_counter"),
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("total", Money4(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("parties", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_invoices"),
        sa.UniqueConstraint("sequence", name="uq_invoices_sequence"),
        _fk("invoices", "customer_id", "customers"),
    )
    op.create_index("ix_invoices_customer_id_sequence", "invoices", ["customer_id", "sequence"])
    op.create_index("ix_invoices_service_date", "invoices", ["service_date"])
    op.create_table(
        "invoice_lines",
        sa.Column("line_id", sa.String(64), nullable=False),
        sa.Column("invoice_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("line_id", name="pk_invoice_lines"),
        sa.ForeignKeyConstraint(["line_id"], ["charge_lines.id"],
                                name="fk_invoice_lines_line_id_charge_lines"),
        _fk("invoice_lines", "invoice_id", "invoices"),
    )
    op.create_index("ix_invoice_lines_invoice_id", "invoice_lines", ["invoice_id"])
    op.create_index("ix_charge_lines_created_on_customer_id", "charge_lines",
                    ["created_on", "customer_id"])
    op.create_table(
        "payment_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("gateway", sa.String(64), nullable=False),
        sa.Column("amount", Money4(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("redirect_url", sa.Text(), nullable=True),
        sa.Column("payment_id", sa.String(64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name="pk_payment_sessions"),
        _fk("payment_sessions", "customer_id", "customers"),
    )
    op.create_index("ix_payment_sessions_customer_id", "payment_sessions", ["customer_id"])
    op.create_table(
        "refunds",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("payment_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("gateway", sa.String(64), nullable=False),
        sa.Column("amount", Money4(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name="pk_refunds"),
        _fk("refunds", "payment_id", "payments"),
        _fk("refunds", "customer_id", "customers"),
    )
    op.create_index("ix_refunds_payment_id", "refunds", ["payment_id"])


def downgrade() -> None:
    op.drop_index("ix_refunds_payment_id", table_name="refunds")
    op.drop_table("refunds")
    op.drop_index("ix_payment_sessions_customer_id", table_name="payment_sessions")
    op.drop_table("payment_sessions")
    op.drop_index("ix_charge_lines_created_on_customer_id", table_name="charge_lines")
    op.drop_index("ix_invoice_lines_invoice_id", table_name="invoice_lines")
    op.drop_table("invoice_lines")
    op.drop_index("ix_invoices_service_date", table_name="invoices")
    op.drop_index("ix_invoices_customer_id_sequence", table_name="invoices")
    op.drop_table("invoices")
    op.drop_table("invoice_counter")
    # Refunds were negative payment rows: dropping the link would turn them into payments of
    # a negative amount, which is what they are to the balance, so the balance is unchanged.
    with op.batch_alter_table("payments") as batch:
        batch.drop_constraint("fk_payments_refund_of_payments", type_="foreignkey")
        batch.drop_constraint("uq_payments_session_id", type_="unique")
        batch.drop_column("refund_of")
        batch.drop_column("session_id")
        batch.drop_column("seq")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.DropSequence(sa.Sequence("payments_seq")))
