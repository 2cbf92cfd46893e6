"""The hand-written migration must build exactly the tables schema.py declares, on both
databases: the code queries schema.py, production runs the migration."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from prorata.adapters.db import Database, default_url, normalize_url
from prorata.adapters.db.schema import metadata
from tests.dbfixtures import truncate_all


def _diff(db: Database) -> list[object]:
    with db.engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))


def test_migrated_schema_matches_metadata(database: Database) -> None:
    assert _diff(database) == []


def test_postgres_extras_exist(database: Database) -> None:
    """What compare_metadata does not look at: sequences and index operator classes."""
    if database.dialect != "postgresql":
        pytest.skip("PostgreSQL only")
    with database.engine.connect() as conn:
        seqs = set(conn.execute(text("SELECT sequencename FROM pg_sequences")).scalars())
        defs = conn.execute(text(
            "SELECT indexdef FROM pg_indexes WHERE indexname LIKE '%path'")).scalars().all()
    assert {"operations_seq", "charge_lines_seq", "events_seq", "payments_seq"} <= seqs
    assert len(defs) == 2 and all("text_pattern_ops" in d for d in defs)


def test_downgrade_and_upgrade_again(database: Database) -> None:
    database.downgrade("base")
    assert set(inspect(database.engine).get_table_names()) == {"alembic_version"}
    database.migrate()
    assert _diff(database) == []


def _head() -> str:
    """The newest revision of the shipped scripts: every migration added moves it."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(Database("sqlite://").alembic_config()).get_current_head()
    assert head is not None
    return head


def test_the_newest_revision_is_alembics_head() -> None:
    from prorata.adapters.db.database import newest_revision

    assert newest_revision() == _head()


def test_migrating_a_database_at_head_does_not_import_alembic(tmp_path) -> None:
    # Bounded memory (issue 13): `prorata run-scheduler` migrates before its run; alembic,
    # mako and pygments are ~9 MB it would otherwise carry through the whole run.
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'head.db'}"
    Database(url).migrate()
    code = ("import sys; from prorata.adapters.db import Database; "
            f"d = Database({url!r}); assert d.at_head(); d.migrate(); "
            "assert 'alembic' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_migrate_twice_is_a_no_op(database: Database) -> None:
    database.migrate()
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == _head()


def test_urls(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.delenv("PRORATA_DATABASE_URL", raising=False)
    assert default_url().startswith("sqlite:///") and default_url().endswith("/prorata.db")
    monkeypatch.setenv("PRORATA_DATABASE_URL", "postgresql://u@h/db")
    assert default_url() == "postgresql://u@h/db"
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///x.db").drivername == "sqlite"


def test_0002_downgrades_to_0001_and_back(database: Database) -> None:
    """The parties-and-access revision (reseller inn and settings, restrictions, sessions)
    comes off and goes on again cleanly, with a reseller row in place."""
    with database.engine.begin() as conn:
        conn.execute(text("INSERT INTO resellers (id, name, path, created_at) "
                          "VALUES ('nw', 'Northwind', '/nw/', CURRENT_TIMESTAMP)"))
    database.downgrade("0001")
    tables = set(inspect(database.engine).get_table_names())
    assert "restrictions" not in tables and "user_sessions" not in tables
    assert "inn" not in {c["name"] for c in inspect(database.engine).get_columns("resellers")}
    database.migrate()
    assert _diff(database) == []


def test_0003_downgrades_to_0002_and_back(database: Database) -> None:
    """The unused indexes come back on downgrade and go again on upgrade."""
    database.downgrade("0002")
    names = {ix["name"] for ix in inspect(database.engine).get_indexes("subscriptions")}
    assert "ix_subscriptions_status_period_end" in names
    database.migrate()
    assert _diff(database) == []


def test_0004_downgrades_to_0003_and_back(database: Database) -> None:
    """The plan and operation-customer indexes come back on downgrade and go again."""
    database.downgrade("0003")
    names = {ix["name"] for ix in inspect(database.engine).get_indexes("subscriptions")}
    assert "ix_subscriptions_plan_id" in names
    names = {ix["name"] for ix in inspect(database.engine).get_indexes("operations")}
    assert "ix_operations_customer_id" in names
    database.migrate()
    assert _diff(database) == []


def test_sqlite_durability_is_full_for_requests_and_normal_for_batches(tmp_path):
    # API writes must survive a power loss; only the daily run's batches trade fsync for speed.
    from prorata.adapters.db import Database

    db = Database(f"sqlite:///{tmp_path / 'sync.db'}")
    db.migrate()
    for batch, expected in ((False, 2), (True, 1), (False, 2)):  # FULL = 2, NORMAL = 1
        with db.uow(batch=batch) as uow:
            assert uow.connection.exec_driver_sql("PRAGMA synchronous").scalar() == expected
    db.dispose()


def test_postgres_batches_commit_without_waiting_for_the_flush_and_requests_wait(
        database: Database) -> None:
    """PostgreSQL's counterpart of the test above: `synchronous_commit` is off in every
    transaction of a batch's unit of work (the first and the ones begun after each commit),
    and on for any other write, on the same pooled connection too."""
    if database.dialect != "postgresql":
        pytest.skip("PostgreSQL only")

    def setting(uow: Any) -> str:
        return str(uow.connection.exec_driver_sql("SHOW synchronous_commit").scalar())

    db = Database(database.url)  # a pool of its own: one connection, taken again and again
    try:
        with db.uow() as uow:
            assert setting(uow) == "on"
        with db.uow(batch=True) as uow:
            assert setting(uow) == "off"
            uow.commit()
            assert setting(uow) == "off"  # the transaction begun after the commit
            pid = uow.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with db.uow() as uow:  # the same connection, back from the pool
            assert uow.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() == pid
            assert setting(uow) == "on"
    finally:
        db.dispose()


def test_0009_downgrades_to_0005_and_back_keeping_payments(database: Database) -> None:
    """Money (0009) comes off and goes on again; payments made before it get their order
    number in the order they were made."""
    with database.engine.begin() as conn:
        conn.execute(text("INSERT INTO customers (id, name, billing_day, currency, created_at) "
                          "VALUES ('acme', 'Acme', 1, 'USD', CURRENT_TIMESTAMP)"))
    database.downgrade("0005")
    tables = set(inspect(database.engine).get_table_names())
    assert not tables & {"invoices", "invoice_lines", "invoice_counter", "payment_sessions",
                         "refunds"}
    with database.engine.begin() as conn:
        for pid, day in (("p2", "2024-08-21"), ("p1", "2024-08-20")):
            conn.execute(text("INSERT INTO payments (id, customer_id, amount, currency, "
                              "created_on, method) VALUES (:id, 'acme', 50000, 'USD', :day, "
                              "'manual')"), {"id": pid, "day": day})
    database.migrate()
    assert _diff(database) == []
    with database.uow() as uow:
        assert [p.id for p in uow.list_payments("acme", 10, None).items] == ["p1", "p2"]
        uow.add_payment("acme", Decimal("1.00"), "USD", date(2024, 8, 22), payment_id="p3")
        uow.commit()
    with database.uow(read_only=True) as uow:
        assert [p.id for p in uow.list_payments("acme", 10, None).items] == ["p1", "p2", "p3"]


def _ledger_foreign_keys(database: Database,
                         tables: tuple[str, ...] = ("operations", "charge_lines")
                         ) -> set[str | None]:
    # New connections: SQLite's PRAGMA foreign_key_list answers from a connection's schema
    # as last loaded, which a migration on another connection does not refresh.
    database.engine.dispose()
    found = inspect(database.engine)
    return {fk["name"] for table in tables for fk in found.get_foreign_keys(table)}


def test_0018_drops_the_ledgers_foreign_keys_keeping_every_row(database: Database) -> None:
    """The ledger's references lose their foreign keys (0018) and get them back on downgrade,
    with an invoiced line in place: SQLite copies `charge_lines`, which `invoice_lines` refers
    to, so those rows are set aside and put back."""
    from prorata.domain.model import ChargeLine, LineKind, Operation, OpStatus
    from prorata.services import invoicing
    from tests.dbfixtures import ledger_breaks, sample_subscription, seed_catalog

    day = date(2024, 8, 20)
    with database.uow() as uow:
        seed_catalog(uow)
        uow.add_subscription(sample_subscription())
        uow.add_operation(Operation("op1", "sub1", "prolong", OpStatus.COMPLETED, "system", {},
                                    day, day, Decimal("30.00"), "USD"))
        uow.add_lines([ChargeLine(kind=LineKind.CHARGE, description="Seats", period_start=day,
                                  period_end=date(2024, 9, 20), quantity=5,
                                  unit_price=Decimal("6.00"), amount=Decimal("30.00"),
                                  currency="USD", customer="acme", subscription="sub1",
                                  operation="op1", created_on=day)])
        uow.commit()
    assert invoicing.issue_day(database, day, date(2024, 8, 21)) == 1
    keys = {"fk_charge_lines_customer_id_customers", "fk_operations_subscription_id_subscriptions",
            "fk_charge_lines_subscription_id_subscriptions",
            "fk_charge_lines_operation_id_operations"}

    def counts() -> tuple[int, ...]:
        with database.engine.connect() as conn:
            return tuple(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                         for t in ("operations", "charge_lines", "invoice_lines"))

    assert _ledger_foreign_keys(database) == set() and counts() == (1, 1, 1)
    database.downgrade("0017")
    assert _ledger_foreign_keys(database) == keys and counts() == (1, 1, 1)
    database.migrate()
    assert _ledger_foreign_keys(database) == set() and counts() == (1, 1, 1)
    assert _diff(database) == [] and ledger_breaks(database.engine) == []


_LINE_FK = "fk_invoice_lines_line_id_charge_lines"
_LEDGER_TABLES = ("operations", "charge_lines", "invoices", "invoice_lines")


def _seed_invoiced_line(database: Database) -> None:
    """An operation, its charge line and an invoice of it, in SQL: the code's writers may
    already write columns the revision at hand does not have."""
    from tests.dbfixtures import sample_subscription, seed_catalog

    with database.uow() as uow:  # tables 0019 leaves alone
        seed_catalog(uow)
        uow.add_subscription(sample_subscription())
        uow.commit()
    with database.engine.begin() as conn:
        for sql in (
                "INSERT INTO operations (id, subscription_id, customer_id, type, status, actor, "
                "params, created_on, amount, currency, seq, created_at, updated_at) VALUES "
                "('op1', 'sub1', 'acme', 'prolong', 'completed', 'system', '{}', '2024-08-20', "
                "300000, 'USD', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
                "INSERT INTO charge_lines (id, seq, customer_id, subscription_id, operation_id, "
                "kind, description, quantity, unit_price, amount, currency, created_on) VALUES "
                "('ln1', 1, 'acme', 'sub1', 'op1', 'charge', 'Seats', 5, 60000, 300000, 'USD', "
                "'2024-08-20')",
                "INSERT INTO invoices (id, sequence, number, kind, customer_id, issued_on, "
                "service_date, currency, total, line_count, parties, created_at) VALUES "
                "('inv1', 1, 'INV-1', 'invoice', 'acme', '2024-08-21', '2024-08-20', 'USD', "
                "300000, 1, '{}', CURRENT_TIMESTAMP)",
                "INSERT INTO invoice_lines (line_id, invoice_id) VALUES ('ln1', 'inv1')"):
            conn.execute(text(sql))


def _counts(database: Database) -> tuple[int, ...]:
    with database.engine.connect() as conn:
        return tuple(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                     for t in _LEDGER_TABLES)


def test_0019_keeps_every_row_of_an_0018_ledger(database: Database) -> None:
    """Folded lines (0019) come on over a ledger written at 0018: every row stays, none is
    folded, and the invoiced line no longer needs a foreign key to be found."""
    from tests.dbfixtures import ledger_breaks

    database.downgrade("0018")
    _seed_invoiced_line(database)
    database.migrate()
    assert _diff(database) == [] and _counts(database) == (1, 1, 1, 1)
    assert _ledger_foreign_keys(database, ("invoice_lines",)) == {
        "fk_invoice_lines_invoice_id_invoices"}
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT template_id, line_seq FROM operations")).all() == [
            (None, None)]
        assert conn.execute(text("SELECT count(*) FROM line_templates")).scalar_one() == 0
    assert ledger_breaks(database.engine) == []


def test_0019_downgrade_puts_the_invoiced_lines_foreign_key_back(database: Database) -> None:
    """Back at 0018 the invoiced line is kept and an invoice of a line that is not stored is
    refused again (SQLite copies `invoice_lines`, with foreign keys on)."""
    from sqlalchemy.exc import IntegrityError

    _seed_invoiced_line(database)
    database.downgrade("0018")
    assert _LINE_FK in _ledger_foreign_keys(database, ("invoice_lines",))
    assert _counts(database) == (1, 1, 1, 1)
    with pytest.raises(IntegrityError), database.engine.begin() as conn:
        conn.execute(text("INSERT INTO invoice_lines (line_id, invoice_id) "
                          "VALUES ('op1.1', 'inv1')"))
    database.migrate()
    assert _diff(database) == [] and _counts(database) == (1, 1, 1, 1)


def test_0019_downgrade_refuses_while_an_operation_is_folded(database: Database) -> None:
    """0018 has nowhere to keep a folded operation's lines, nor a key an invoice of one could
    satisfy: the downgrade fails, changing nothing, until no operation is folded."""
    _seed_invoiced_line(database)
    with database.engine.begin() as conn:
        conn.execute(text("INSERT INTO line_templates (id, lines, line_count, kind, amount) "
                          "VALUES ('lt1', '[]', 1, 'charge', 300000)"))
        conn.execute(text("UPDATE operations SET template_id = 'lt1', line_seq = 2"))
    with pytest.raises(RuntimeError, match="folded lines"):
        database.downgrade("0018")
    assert database.at_head() and _counts(database) == (1, 1, 1, 1)
    assert _LINE_FK not in _ledger_foreign_keys(database, ("invoice_lines",))
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE operations SET template_id = NULL, line_seq = NULL"))
    database.downgrade("0018")
    assert _LINE_FK in _ledger_foreign_keys(database, ("invoice_lines",))
    database.migrate()
    assert _diff(database) == []


def test_a_database_left_at_an_old_revision_is_brought_back_to_the_newest(
        database: Database) -> None:
    """What the `database` fixture does after every test, so that a migration test failing
    between its downgrade and its upgrade does not fail every later test with it."""
    database.downgrade("0016")
    assert not database.at_head()
    database.migrate()
    assert database.at_head() and _diff(database) == []
    truncate_all(database.engine)  # the table order it keeps is the newest revision's again
    database.migrate()  # at the newest revision: nothing to do
    assert database.at_head()


def _due_on_indexed(database: Database) -> bool:
    return any("due_on" in ix["column_names"]
               for ix in inspect(database.engine).get_indexes("subscriptions"))


def _fill(conn: Any) -> Any:
    return conn.execute(text("SELECT reloptions FROM pg_class "
                             "WHERE relname = 'subscriptions'")).scalar()


def test_0020_drops_the_due_on_index_and_a_prolongations_update_stays_on_its_page(
        database: Database) -> None:
    """Issue 13: with no index on `due_on` and room on each page (PostgreSQL fillfactor),
    the daily run's update of `charged_until` and `due_on` is a heap-only (HOT) update: no
    index of the table is written. Downgrading restores the index and the default fill."""
    from tests.dbfixtures import sample_subscription, seed_catalog

    assert not _due_on_indexed(database)
    with database.uow() as uow:
        seed_catalog(uow)
        uow.add_subscription(sample_subscription())
        uow.commit()
    if database.engine.dialect.name == "postgresql":
        with database.engine.begin() as conn:
            conn.execute(text("UPDATE subscriptions SET charged_until = DATE '2026-01-01', "
                              "due_on = DATE '2026-02-01', version = version + 1"))
            assert conn.execute(text(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables "
                "WHERE relname = 'subscriptions'")).one() == (1, 1)
    database.downgrade("0019")
    assert _due_on_indexed(database)
    if database.engine.dialect.name == "postgresql":
        with database.engine.connect() as conn:
            assert _fill(conn) is None
    database.migrate()
    assert _diff(database) == [] and not _due_on_indexed(database)


def _hot_share_of_a_billing_day(database: Database, prefix: str) -> tuple[int, int]:
    """Adds 60 subscriptions (several pages), then updates them all in one transaction as
    a batch of the daily run does: (updates, heap-only ones)."""
    from tests.dbfixtures import sample_subscription

    with database.uow() as uow:
        for i in range(60):
            uow.add_subscription(sample_subscription(f"{prefix}{i:03d}"))
        uow.commit()
    counts = text("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables "
                  "WHERE relname = 'subscriptions'")
    with database.engine.begin() as conn:  # the counts may hold earlier transactions' too
        before = conn.execute(counts).one()
        conn.execute(text("UPDATE subscriptions SET charged_until = DATE '2026-01-01', "
                          "due_on = DATE '2026-02-01', version = version + 1 "
                          "WHERE id LIKE :p"), {"p": f"{prefix}%"})
        after = conn.execute(counts).one()
    return after[0] - before[0], after[1] - before[1]


def test_0022_leaves_room_for_every_row_of_a_page_to_be_updated_at_once(
        database: Database) -> None:
    """Issue 13: a batch of the daily run updates all the rows of a page in one transaction,
    so each page must hold a next version of every row for the updates to stay heap-only.
    Half of each page does (every update HOT); with 0021's 80 most went to other pages."""
    from tests.dbfixtures import seed_catalog

    if database.engine.dialect.name != "postgresql":
        pytest.skip("a fill factor is PostgreSQL's")
    with database.uow() as uow:
        seed_catalog(uow)
        uow.commit()
    with database.engine.connect() as conn:
        assert _fill(conn) == ["fillfactor=50"]
    assert _hot_share_of_a_billing_day(database, "half") == (60, 60)
    database.downgrade("0021")
    with database.engine.connect() as conn:
        assert _fill(conn) == ["fillfactor=80"]
    updates, hot = _hot_share_of_a_billing_day(database, "fifth")
    assert updates == 60 and hot < 30
    database.migrate()
    assert _diff(database) == []
