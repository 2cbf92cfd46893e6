"""Migration 0011 (notifications) on both databases: it comes off and goes on again, and it
wakes subscriptions stored before it on their expiry-notice day (SPEC R4), so none misses
the notice of its current period; events stored before it are not sent months late."""

from __future__ import annotations

from datetime import date

from sqlalchemy import inspect, text

from prorata.adapters.db import Database
from tests.integration.test_db_migrations import _diff

SUBS = {  # id: (status, period_start, period_end, due_on) before 0011
    "late": ("active", "2024-08-20", "2025-08-20", "2025-09-01"),    # next woken after notice
    "early": ("active", "2024-08-20", "2025-08-20", "2025-07-01"),   # woken before it anyway
    "none": ("stopped", "2024-08-20", "2025-08-20", None),
    "short": ("active", "2025-08-10", "2025-08-20", "2025-08-20"),   # shorter than 14 days
    "gone": ("expired", "2024-08-20", "2025-08-20", "2025-09-19"),
    "endless": ("active", "2024-08-20", None, "2025-09-01"),
}


def _seed_before(db: Database) -> None:
    with db.engine.begin() as conn:
        now = "CURRENT_TIMESTAMP"
        conn.execute(text(f"INSERT INTO customers (id, name, billing_day, currency, created_at)"
                          f" VALUES ('acme', 'Acme', 1, 'USD', {now})"))
        conn.execute(text("INSERT INTO products (id, name, attributes) VALUES "
                          "('m365', 'M365', '[]')"))
        conn.execute(text("INSERT INTO plans (id, product_id, name, billing_type, currency, "
                          "data, version) VALUES ('p', 'm365', 'P', 'monthly', 'USD', '{}', 0)"))
        for sid, (status, start, end, due) in SUBS.items():
            conn.execute(text(
                "INSERT INTO subscriptions (id, customer_id, plan_id, billing_type, status, "
                "start_date, period_start, period_end, anchor_day, auto_renew, resources, "
                "prices, high_water, attributes, due_on, reseller_path, version, created_at) "
                "VALUES (:id, 'acme', 'p', 'monthly', :status, :start, :start, :end, 20, "
                f"true, '{{}}', '{{}}', '{{}}', '{{}}', :due, '/', 0, {now})"),
                {"id": sid, "status": status, "start": date.fromisoformat(start),
                 "end": end and date.fromisoformat(end), "due": due and date.fromisoformat(due)})
        conn.execute(text("INSERT INTO events (id, seq, type, customer_id, data, created_on, "
                          f"created_at) VALUES ('evt_old', 1, 'payment_failed', 'acme', '{{}}', "
                          f"'2025-01-01', {now})"))


def _before_0011() -> str:
    """The revision 0011 follows, whatever the merges chained it to."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(Database("sqlite://").alembic_config())
    down = scripts.get_revision("0011").down_revision
    assert isinstance(down, str)
    return down


def test_0011_wakes_old_subscriptions_for_their_notice_and_comes_off_again(
        database: Database) -> None:
    database.downgrade(_before_0011())
    assert "templates" not in set(inspect(database.engine).get_table_names())
    _seed_before(database)
    database.migrate()
    assert _diff(database) == []
    with database.engine.connect() as conn:
        due = {r.id: r.due_on for r in conn.execute(text("SELECT id, due_on FROM subscriptions"))}
        dispatched = conn.execute(text("SELECT dispatched_at FROM events")).scalar()
    as_date = {k: v if v is None or isinstance(v, date) else date.fromisoformat(v)
               for k, v in due.items()}
    assert as_date == {"late": date(2025, 8, 5), "early": date(2025, 7, 1),
                       "none": date(2025, 8, 5), "short": date(2025, 8, 10),
                       "gone": date(2025, 9, 19), "endless": date(2025, 9, 1)}
    assert dispatched is not None
