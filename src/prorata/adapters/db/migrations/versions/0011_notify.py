"""Notifications (SPEC R1-R4): e-mail addresses of customers and resellers, the period a
subscription's expiry was announced for, the events' fan-out mark, templates, webhook
endpoints, deliveries and their attempts.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("customers", sa.Column("email", sa.String(320), nullable=True))
    op.add_column("resellers", sa.Column("email", sa.String(320), nullable=True))
    op.add_column("subscriptions", sa.Column("expiry_noticed", sa.Date(), nullable=True))
    _wake_for_expiry_notices()
    op.add_column("events", sa.Column("dispatched_at", _TS, nullable=True))
    # Events stored before notifications existed are not sent now, months late.
    op.execute(sa.text("UPDATE events SET dispatched_at = CURRENT_TIMESTAMP"))
    undispatched = sa.text("dispatched_at IS NULL")
    op.create_index("ix_events_undispatched", "events", ["seq"],
                    postgresql_where=undispatched, sqlite_where=undispatched)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.CreateSequence(sa.Sequence("deliveries_seq")))

    op.create_table(
        "templates",
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("reseller_id", sa.String(64), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["reseller_id"], ["resellers.id"],
                                name="fk_templates_reseller_id_resellers"),
        sa.PrimaryKeyConstraint("event_type", "owner", name="pk_templates"),
    )
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("reseller_id", sa.String(64), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(200), nullable=True),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("failing_since", _TS, nullable=True),
        sa.Column("deleted_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["reseller_id"], ["resellers.id"],
                                name="fk_webhook_endpoints_reseller_id_resellers"),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_endpoints"),
    )
    op.create_index("ix_webhook_endpoints_reseller_id", "webhook_endpoints", ["reseller_id"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("target", sa.String(400), nullable=False),
        sa.Column("endpoint_id", sa.String(64), nullable=True),
        sa.Column("recipient", sa.String(320), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TS, nullable=False),
        sa.Column("claim", sa.String(64), nullable=True),
        sa.Column("claimed_until", _TS, nullable=True),
        sa.Column("last_attempt_at", _TS, nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name="fk_deliveries_event_id_events"),
        sa.ForeignKeyConstraint(["endpoint_id"], ["webhook_endpoints.id"],
                                name="fk_deliveries_endpoint_id_webhook_endpoints"),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.UniqueConstraint("event_id", "target", name="uq_deliveries_event_id_target"),
    )
    op.create_index("ix_deliveries_status_next_attempt_at", "deliveries",
                    ["status", "next_attempt_at"])
    op.create_index("ix_deliveries_endpoint_id_seq", "deliveries", ["endpoint_id", "seq"])
    op.create_table(
        "delivery_attempts",
        sa.Column("delivery_id", sa.String(64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("attempted_at", _TS, nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"],
                                name="fk_delivery_attempts_delivery_id_deliveries"),
        sa.PrimaryKeyConstraint("delivery_id", "attempt", name="pk_delivery_attempts"),
    )


def _wake_for_expiry_notices() -> None:
    """R4 for subscriptions stored before it: `due_on` (engine.schedule) now includes the
    notice day, 14 days before expires_on (every plan has the default, the setting is new),
    or the period start if later. Without this a subscription would next wake on a later
    day and miss its notice for the current period."""
    live = "status IN ('active', 'stopped') AND period_end IS NOT NULL"
    if op.get_bind().dialect.name == "postgresql":
        notice = "GREATEST(period_end - 15, period_start)"
        op.execute(sa.text(f"UPDATE subscriptions SET due_on = LEAST(COALESCE(due_on, {notice}),"
                           f" {notice}) WHERE {live}"))
    else:  # SQLite keeps dates as ISO text, which orders like the dates
        notice = "MAX(date(period_end, '-15 days'), period_start)"
        op.execute(sa.text(f"UPDATE subscriptions SET due_on = MIN(COALESCE(due_on, {notice}),"
                           f" {notice}) WHERE {live}"))


def downgrade() -> None:
    op.drop_table("delivery_attempts")
    op.drop_index("ix_deliveries_endpoint_id_seq", table_name="deliveries")
    op.drop_index("ix_deliveries_status_next_attempt_at", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index("ix_webhook_endpoints_reseller_id", table_name="webhook_endpoints")
    op.drop_table("webhook_endpoints")
    op.drop_table("templates")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.DropSequence(sa.Sequence("deliveries_seq")))
    op.drop_index("ix_events_undispatched", table_name="events")
    # SQLite >= 3.35 drops columns in place; batch mode covers older ones and PostgreSQL alike.
    with op.batch_alter_table("events") as batch:
        batch.drop_column("dispatched_at")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("expiry_noticed")
    with op.batch_alter_table("resellers") as batch:
        batch.drop_column("email")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("email")
