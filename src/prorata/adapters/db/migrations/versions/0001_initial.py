"""The initial schema: exactly `prorata.adapters.db.schema.metadata` as of this revision
(tests/integration/test_db_migrations.py compares them on SQLite and PostgreSQL).

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from prorata.adapters.db.types import Money4

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEQUENCES = ("operations_seq", "charge_lines_seq")  # PostgreSQL only; see schema.NextSeq


def _id() -> sa.Column:
    return sa.Column("id", sa.String(64), nullable=False)


def _created_at() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def _pk(table: str, *cols: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*(cols or ("id",)), name=f"pk_{table}")


def _fk(table: str, col: str, target: str, deferred: bool = False) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([col], [f"{target}.id"], name=f"fk_{table}_{col}_{target}",
                                   deferrable=True if deferred else None,
                                   initially="DEFERRED" if deferred else None)


def _path_index(name: str, table: str, col: str) -> None:
    op.create_index(name, table, [col], postgresql_ops={col: "text_pattern_ops"})


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in SEQUENCES:
            op.execute(sa.schema.CreateSequence(sa.Sequence(name)))

    op.create_table(
        "resellers",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("parent_id", sa.String(64), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        _created_at(),
        _fk("resellers", "parent_id", "resellers"),
        _pk("resellers"),
    )
    _path_index("ix_resellers_path", "resellers", "path")

    op.create_table(
        "customers",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("reseller_id", sa.String(64), nullable=True),
        sa.Column("billing_day", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("inn", sa.String(64), nullable=True),
        sa.Column("customer_group", sa.String(64), nullable=True),
        sa.Column("credit_limit", Money4(), nullable=True),
        _created_at(),
        _fk("customers", "reseller_id", "resellers"),
        _pk("customers"),
    )
    op.create_index("ix_customers_inn", "customers", ["inn"])
    op.create_index("ix_customers_reseller_id", "customers", ["reseller_id"])

    op.create_table(
        "products",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("vendor", sa.String(64), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        _pk("products"),
    )

    op.create_table(
        "plans",
        _id(),
        sa.Column("product_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("billing_type", sa.String(32), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("plans", "product_id", "products"),
        _pk("plans"),
    )
    op.create_index("ix_plans_product_id", "plans", ["product_id"])

    op.create_table(
        "subscriptions",
        _id(),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(16), nullable=True),
        sa.Column("billing_type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("anchor_day", sa.Integer(), nullable=False),
        sa.Column("charged_until", sa.Date(), nullable=True),
        sa.Column("auto_renew", sa.Boolean(), nullable=False),
        sa.Column("resources", sa.JSON(), nullable=False),
        sa.Column("prices", sa.JSON(), nullable=False),
        sa.Column("high_water", sa.JSON(), nullable=False),
        sa.Column("renewal_order", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("scheduled_switch", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("next_resources", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("prolong_operation", sa.String(64), nullable=True),
        sa.Column("stop_request", sa.String(64), nullable=True),
        sa.Column("stopped_on", sa.Date(), nullable=True),
        sa.Column("expired_on", sa.Date(), nullable=True),
        sa.Column("unpaid_since", sa.Date(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("reseller_path", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _created_at(),
        _fk("subscriptions", "customer_id", "customers"),
        _fk("subscriptions", "plan_id", "plans"),
        _pk("subscriptions"),
    )
    op.create_index("ix_subscriptions_customer_id", "subscriptions", ["customer_id"])
    op.create_index("ix_subscriptions_plan_id", "subscriptions", ["plan_id"])
    op.create_index("ix_subscriptions_status_charged_until", "subscriptions",
                    ["status", "charged_until"])
    op.create_index("ix_subscriptions_status_period_end", "subscriptions",
                    ["status", "period_end"])
    op.create_index("ix_subscriptions_due_on", "subscriptions", ["due_on"])
    _path_index("ix_subscriptions_reseller_path", "subscriptions", "reseller_path")

    op.create_table(
        "operations",
        _id(),
        sa.Column("subscription_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("amount", Money4(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("dedup_key", sa.String(200), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        _created_at(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("operations", "subscription_id", "subscriptions", deferred=True),
        _pk("operations"),
        sa.UniqueConstraint("dedup_key", name="uq_operations_dedup_key"),
    )
    op.create_index("ix_operations_customer_id", "operations", ["customer_id"])
    op.create_index("ix_operations_status_effective_on", "operations", ["status", "effective_on"])
    op.create_index("ix_operations_subscription_id_seq", "operations", ["subscription_id", "seq"])

    op.create_table(
        "charge_lines",
        _id(),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("subscription_id", sa.String(64), nullable=True),
        sa.Column("operation_id", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("resource", sa.String(64), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", Money4(), nullable=False),
        sa.Column("amount", Money4(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        _fk("charge_lines", "customer_id", "customers"),
        _fk("charge_lines", "operation_id", "operations", deferred=True),
        _fk("charge_lines", "subscription_id", "subscriptions", deferred=True),
        _pk("charge_lines"),
    )
    op.create_index("ix_charge_lines_customer_id_seq", "charge_lines", ["customer_id", "seq"])
    op.create_index("ix_charge_lines_operation_id", "charge_lines", ["operation_id"])
    op.create_index("ix_charge_lines_subscription_id", "charge_lines", ["subscription_id"])

    op.create_table(
        "payments",
        _id(),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("amount", Money4(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(64), nullable=False),
        sa.Column("reference", sa.String(200), nullable=True),
        _fk("payments", "customer_id", "customers"),
        _pk("payments"),
    )
    op.create_index("ix_payments_customer_id", "payments", ["customer_id"])

    op.create_table(
        "exchange_rates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("src", sa.String(3), nullable=False),
        sa.Column("dst", sa.String(3), nullable=False),
        sa.Column("rate", sa.Text(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        _pk("exchange_rates"),
        sa.UniqueConstraint("src", "dst", "effective_from",
                            name="uq_exchange_rates_src_dst_effective_from"),
    )

    op.create_table(
        "idempotency_keys",
        sa.Column("scope_kind", sa.String(16), nullable=False),
        sa.Column("scope_party", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        _created_at(),
        _pk("idempotency_keys", "scope_kind", "scope_party", "key"),
    )

    op.create_table(
        "settings",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        _pk("settings", "key"),
    )

    op.create_table(
        "scheduler_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        _pk("scheduler_days", "day"),
    )

    op.create_table(
        "api_keys",
        _id(),
        sa.Column("party_kind", sa.String(16), nullable=False),
        sa.Column("party_id", sa.String(64), nullable=False),
        sa.Column("secret_hash", sa.String(255), nullable=False),
        _created_at(),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        _pk("api_keys"),
    )

    op.create_table(
        "users",
        _id(),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("party_kind", sa.String(16), nullable=False),
        sa.Column("party_id", sa.String(64), nullable=False),
        _created_at(),
        _pk("users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )


TABLES = ("users", "api_keys", "scheduler_days", "settings", "idempotency_keys",
          "exchange_rates", "payments", "charge_lines", "operations", "subscriptions", "plans",
          "products", "customers", "resellers")


def downgrade() -> None:
    for table in TABLES:  # dependants first; their indexes go with them
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        for name in SEQUENCES:
            op.execute(sa.schema.DropSequence(sa.Sequence(name)))
