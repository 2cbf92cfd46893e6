"""Database set-up that any test module may reuse (integration tests, API end-to-end tests).

    name, url = create_pg_database()      # a fresh, empty PostgreSQL database
    db = Database(url); db.migrate()
    ...
    truncate_all(db.engine)               # between tests: faster than migrating again
    db.dispose(); drop_pg_database(name)
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import make_url

from prorata.adapters.db import Database
from prorata.adapters.db.plan_cache import PlanCache
from prorata.domain.catalog import BillingType, Plan, Resource
from prorata.domain.model import Customer, Status, Subscription, UnitPrice

DEFAULT_PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def skip_postgres() -> bool:
    return os.environ.get("PRORATA_SKIP_POSTGRES") == "1"


def pg_server_url() -> str:
    """The maintenance database of the test server (`PRORATA_TEST_POSTGRES_URL`)."""
    return os.environ.get("PRORATA_TEST_POSTGRES_URL") or DEFAULT_PG_SERVER


def _admin_engine() -> Engine:
    url = make_url(pg_server_url())
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, isolation_level="AUTOCOMMIT", poolclass=None)


def pg_database_url(name: str) -> str:
    url = make_url(pg_server_url()).set(database=name)
    return url.render_as_string(hide_password=False)


def create_pg_database(prefix: str = "prorata_test") -> tuple[str, str]:
    """Creates an empty database with a random name; returns (name, SQLAlchemy URL). Random so
    that parallel test runs (xdist workers, several checkouts) never share one."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return name, pg_database_url(name)


def drop_pg_database(name: str) -> None:
    """Drops it even if a leaked connection is still open (FORCE: PostgreSQL 13+)."""
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


class MigratedDatabases:
    """One migrated database per kind ("sqlite", "postgres") for a whole test session, made on
    first use and removed at the end; tests empty them with `truncate_all` instead of
    migrating again. PRORATA_SKIP_POSTGRES=1 skips the PostgreSQL ones."""

    def __init__(self, tmp: Path, prefix: str) -> None:
        self._tmp = tmp
        self._prefix = prefix
        self._dbs: dict[str, Database] = {}
        self._pg_names: list[str] = []

    def get(self, kind: str) -> Database:
        if kind not in self._dbs:
            if kind == "sqlite":
                db = Database(f"sqlite:///{self._tmp / (self._prefix + '.db')}")
            else:
                if skip_postgres():
                    pytest.skip("PRORATA_SKIP_POSTGRES=1")
                name, url = create_pg_database(f"prorata_{self._prefix}")
                self._pg_names.append(name)
                db = Database(url)
            db.migrate()
            self._dbs[kind] = db
        return self._dbs[kind]

    def close(self) -> None:
        for db in self._dbs.values():
            db.dispose()
        for name in self._pg_names:
            drop_pg_database(name)


_TABLE_ORDER: dict[str, list[str]] = {}


def _tables(engine: Engine) -> list[str]:
    """Every table but Alembic's, dependants first; reflected once per database, so tables
    added by later migrations are emptied too."""
    key = engine.url.render_as_string(hide_password=False)
    if key not in _TABLE_ORDER:
        meta = MetaData()
        meta.reflect(engine)
        _TABLE_ORDER[key] = [t.name for t in reversed(meta.sorted_tables)
                             if t.name != "alembic_version"]
    return _TABLE_ORDER[key]


def truncate_all(engine: Engine) -> None:
    """Empties every table, keeping the schema, and the plan caches of this process: a plan
    made again restarts at version 0 (adapters/db/plan_cache.py)."""
    PlanCache.forget_all()
    names = _tables(engine)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        else:
            for name in names:
                conn.execute(text(f"DELETE FROM {name}"))


# What the ledger's foreign keys checked before migration 0018, and more: each charge line's
# customer, subscription and operation exist and agree (the line's subscription is its
# operation's, its customer the subscription's), and so do each operation's. Since 0019, what
# no foreign key can check: a folded operation's template exists and its lines are numbered,
# and each invoiced line is a stored line or a folded one, `<operation id>.<1..line_count>`
# (`folded` expands them all: the checks above read every line anyway).
_LEDGER_BREAKS = """
WITH RECURSIVE folded (id, op, n, line_count) AS (
  SELECT o.id || '.1', o.id, 1, t.line_count FROM operations o
    JOIN line_templates t ON t.id = o.template_id WHERE t.line_count > 0
  UNION ALL
  SELECT op || '.' || (n + 1), op, n + 1, line_count FROM folded WHERE n < line_count)
SELECT 'line ' || l.id || ': customer ' || l.customer_id FROM charge_lines l
 WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = l.customer_id)
UNION ALL
SELECT 'line ' || l.id || ': subscription ' || l.subscription_id FROM charge_lines l
 LEFT JOIN subscriptions s ON s.id = l.subscription_id
 WHERE l.subscription_id IS NOT NULL AND (s.id IS NULL OR s.customer_id <> l.customer_id)
UNION ALL
SELECT 'line ' || l.id || ': operation ' || l.operation_id FROM charge_lines l
 LEFT JOIN operations o ON o.id = l.operation_id
 WHERE l.operation_id IS NOT NULL
   AND (o.id IS NULL OR l.subscription_id IS NULL OR o.subscription_id <> l.subscription_id)
UNION ALL
SELECT 'operation ' || o.id || ': subscription ' || o.subscription_id FROM operations o
 LEFT JOIN subscriptions s ON s.id = o.subscription_id
 WHERE s.id IS NULL OR o.customer_id IS NULL OR o.customer_id <> s.customer_id
UNION ALL
SELECT 'operation ' || o.id || ': template ' || o.template_id FROM operations o
 WHERE o.template_id IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM line_templates t WHERE t.id = o.template_id)
UNION ALL
SELECT 'operation ' || o.id || ': line_seq NULL' FROM operations o
 WHERE o.template_id IS NOT NULL AND o.line_seq IS NULL
UNION ALL
SELECT 'invoice ' || i.invoice_id || ': line ' || i.line_id FROM invoice_lines i
 WHERE NOT EXISTS (SELECT 1 FROM charge_lines l WHERE l.id = i.line_id)
   AND NOT EXISTS (SELECT 1 FROM folded f WHERE f.id = i.line_id)
"""


def ledger_breaks(engine: Engine) -> list[str]:
    """Every broken reference of the ledger's rows (empty when whole)."""
    with engine.connect() as conn:
        return list(conn.execute(text(_LEDGER_BREAKS)).scalars())


# --- sample records: small, valid, for tests that need rows to exist --------------------------

def every_line(database: Database) -> list[Any]:
    """Every charge line, stored or folded into its operation, in the ledger's order, read
    as the product reads them (adapters/db/line_reads.py): what a test counts or sums."""
    from prorata.adapters.db import line_reads

    out: list[Any] = []
    with database.uow(read_only=True) as uow:
        while True:
            after = out[-1].id if out else None
            page = line_reads.page(uow.connection, line_reads.LineFilter(), 500, after)
            out += page.items
            if not page.has_more:
                return out


def sample_plan(plan_id: str = "m365-basic", product: str = "m365", **changes: Any) -> Plan:
    plan = Plan(
        id=plan_id, product=product, name="Business Basic", billing_type=BillingType.MONTHLY,
        currency="USD", periods=("P1Y",),
        resources=(Resource(id="seats", name="Licenses", primary=True, min=1, max=300,
                            price=Decimal("6.00"), erp_price=Decimal("7.20")),),
    )
    return replace(plan, **changes)


def sample_subscription(sub_id: str = "sub1", customer: str = "acme",
                        plan: str = "m365-basic", **changes: Any) -> Subscription:
    sub = Subscription(
        id=sub_id, customer=customer, plan=plan, period="P1Y", billing_type=BillingType.MONTHLY,
        status=Status.ACTIVE, start_date=date(2024, 8, 20), period_start=date(2024, 8, 20),
        period_end=date(2025, 8, 20), anchor_day=20, charged_until=date(2024, 9, 1),
        auto_renew=True, resources={"seats": 5},
        prices={"seats": UnitPrice(Decimal("6.00"), Decimal("0"))}, high_water={"seats": 5},
    )
    for name, value in changes.items():
        setattr(sub, name, value)
    return sub


def seed_catalog(uow: Any, customer: str = "acme", reseller: str | None = None) -> None:
    """A product, its plan and one customer: what a subscription needs to be stored."""
    uow.add_product({"id": "m365", "name": "Microsoft 365", "vendor": "instant"})
    uow.add_plan(sample_plan())
    uow.add_customer(Customer(customer, customer.title(), reseller=reseller))


@contextmanager
def sent_statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements `engine` sends while the block runs, in order."""
    sent: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)
