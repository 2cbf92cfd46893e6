"""The daily run's bulk path (adapters/db/bulk*.py, scheduler/batch.py) stores and reads rows
exactly as the unit of work does: same column values, byte for byte, on both databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Table

from prorata.adapters.db import Database
from prorata.adapters.db import mapping as m
from prorata.adapters.db.bulk import SUB_FIELDS, Codec, load_customers, load_subscriptions, same
from prorata.adapters.db.bulk_write import BulkWriter
from prorata.adapters.db.schema import charge_lines, operations, subscriptions
from prorata.domain.engine import Decision
from prorata.domain.model import (
    ChargeLine,
    Customer,
    LineKind,
    Operation,
    OpStatus,
    Status,
    Subscription,
)
from prorata.scheduler.batch import changed_columns, write_batch
from prorata.services.ports import OPERATOR
from tests.dbfixtures import sample_subscription, seed_catalog
from tests.integration.test_db_subscriptions import busy_subscription

DAY = date(2024, 9, 1)


def _raw(db: Database, table: Table, row_id: str) -> dict[str, Any]:
    """A row as stored: SQLite's typed values, PostgreSQL's text of every column."""
    with db.uow(read_only=True) as uow:
        conn = uow.connection
        if db.dialect == "sqlite":
            result = conn.exec_driver_sql(f"SELECT * FROM {table.name} WHERE id = ?", (row_id,))
            return dict(zip(result.keys(), result.one(), strict=True))
        cols = ", ".join(f"{c.name}::text" for c in table.columns)
        values = conn.exec_driver_sql(f"SELECT {cols} FROM {table.name} WHERE id = %s",
                                      (row_id,)).one()
        return dict(zip([c.name for c in table.columns], values, strict=True))


def _seeded(database: Database, *subs: Subscription) -> None:
    with database.uow() as uow:
        seed_catalog(uow)
        uow.add_customer(Customer("bulky", "Bulky", credit_limit=Decimal("12.3456")))
        for sub in subs:
            uow.add_subscription(sub)
        uow.commit()


def test_bulk_columns_are_the_mapping_columns() -> None:
    sub = busy_subscription()
    assert [col for _, col, _ in SUB_FIELDS] == list(m.subscription_values(sub))
    assert {f for f, _, _ in SUB_FIELDS} | {"id", "customer", "version"} == \
        set(Subscription.__dataclass_fields__)


def test_same_means_stored_alike() -> None:
    assert same({"a": 1}, {"a": 1}) and not same({"a": 1}, {"a": True})
    assert not same(Decimal("6.0"), Decimal("6.00")) and same(Decimal("6.0"), Decimal("6.0"))
    assert not same({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert same(busy_subscription(), busy_subscription())
    assert not same(busy_subscription(), sample_subscription())


def test_bulk_read_equals_the_unit_of_work(database: Database) -> None:
    plain = sample_subscription("plain", due_on=DAY)
    busy = busy_subscription()
    busy.id, busy.due_on, busy.period_end = "busy", DAY, None
    _seeded(database, plain, busy, sample_subscription("later", due_on=date(2024, 9, 2)))
    with database.uow(read_only=True) as uow:
        codec = Codec(uow.connection.dialect)
        read = load_subscriptions(uow.connection, codec, ["busy", "later", "plain"], DAY)
        assert [s.id for s in read] == ["busy", "plain"]
        for sub in read:
            assert same(sub, uow.get_subscription(OPERATOR, sub.id))
        custs = load_customers(uow.connection, codec, {"acme", "bulky"})
        assert custs == {c: uow.get_customer(OPERATOR, c) for c in ("acme", "bulky")}


def test_bulk_update_writes_what_the_unit_of_work_writes(database: Database) -> None:
    old = sample_subscription("s1")
    new = busy_subscription()
    new.id, new.version = "s1", 0
    _seeded(database, old, sample_subscription("s2"))
    with database.uow() as uow:
        codec = Codec(uow.connection.dialect)
        before, after = m.subscription_values(old), m.subscription_values(new)
        assert changed_columns(codec, old, new)[0] == \
            tuple(c for c in after if not same(before[c], after[c]))
        cols = tuple(c for _, c, _ in SUB_FIELDS)
        values = tuple(codec.column(kind, getattr(new, f)) for f, _, kind in SUB_FIELDS)
        assert BulkWriter(uow.connection).update_subscriptions(cols, [(*values, "s1", 0)]) == 1
        assert BulkWriter(uow.connection).update_subscriptions(cols, [(*values, "s1", 0)]) == 0
        new.id = "s2"
        uow.update_subscription(new)
        uow.commit()
    bulk, core = _raw(database, subscriptions, "s1"), _raw(database, subscriptions, "s2")
    for key in ("id", "created_at"):
        bulk.pop(key), core.pop(key)
    assert bulk == core


def test_bulk_operations_and_lines_are_stored_like_the_unit_of_work(database: Database) -> None:
    sub = sample_subscription("s1")
    _seeded(database, sub)
    later = sample_subscription("s1", status=Status.EXPIRED, expired_on=DAY, due_on=None)

    def op(op_id: str, key: str) -> Operation:
        return Operation(op_id, "s1", "prolong", OpStatus.COMPLETED, "system:scheduler",
                         {"resources": {"seats": 5}, "x": [1, "é", None, True]}, DAY, DAY,
                         Decimal("-12.34"), "USD", "code", "message ×", key)

    def line(amount: str) -> ChargeLine:
        return ChargeLine(LineKind.CHARGE, "Licenses × 5, 2024-09-01 – 2024-10-01 (30/30 days)",
                          DAY, date(2024, 10, 1), 5, Decimal("6.1234"), Decimal(amount), "USD",
                          "seats")

    ids = iter(["ln_bulk", "unused"])
    with database.uow() as uow:
        counts = write_batch(uow, [(sub, [Decision(later, op("op_bulk", "k1"), [line("1.5")])])],
                             DAY, make_id=lambda prefix: next(ids))
        assert counts == {"prolong": 1, "lines": 1}
        uow.add_operations([op("op_core", "k2")], skip_duplicates=True)
        uow.add_lines([replace(line("1.5"), id="ln_core", customer="acme", subscription="s1",
                               operation="op_bulk", created_on=DAY)])
        uow.commit()
    for table, a, b, skip in ((operations, "op_bulk", "op_core", ("dedup_key",)),
                              (charge_lines, "ln_bulk", "ln_core", ())):
        bulk, core = _raw(database, table, a), _raw(database, table, b)
        for key in ("id", "seq", "created_at", "updated_at", *skip):
            bulk.pop(key, None), core.pop(key, None)
        assert bulk == core, table.name
    with database.uow(read_only=True) as uow:
        stored = uow.get_subscription(OPERATOR, "s1")
        assert stored.status is Status.EXPIRED and stored.version == 1
        assert uow.get_operation("op_bulk") == op("op_bulk", "k1")



def test_sqlite_statements_come_in_a_few_shapes() -> None:
    """Every row is sent once, in order, no statement over the parameter limit, and whatever
    the batch sizes a connection meets only full chunks and powers of two (bounded memory:
    the sqlite3 module keeps every shape it prepared)."""
    from prorata.adapters.db.bulk_write import _chunks

    shapes: set[int] = set()
    for total in (*range(0, 1200), 5000, 8625, 17251):
        parts = _chunks(total, 481)
        assert [s for s, _ in parts] == [0, *(e for _, e in parts[:-1])][:len(parts)]
        assert (parts[-1][1] if parts else 0) == total
        assert all(0 < e - s <= 481 for s, e in parts)
        shapes.update(e - s for s, e in parts)
    assert shapes <= {481} | {1 << k for k in range(9)}


def test_two_writers_inserting_the_same_new_templates_never_deadlock(database: Database) -> None:
    # Issue 13 (the daily run's two PostgreSQL writers): a batch's new line templates are
    # inserted in id order, so a writer that meets another's uncommitted template waits for
    # it instead of holding one the other needs. Given in opposite orders here, the second
    # writer's insert deadlocked before the templates were sorted.
    import threading

    from sqlalchemy import func, select

    from prorata.adapters.db.schema import line_templates

    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: nothing to interleave")
    rows = [(f"lt_{name}", "[]", 1, "charge", None, 0) for name in ("a", "b")]
    with database.engine.connect() as first, database.engine.connect() as second:
        first.begin()
        BulkWriter(first).insert_templates(rows[:1])  # lt_a, not committed
        errors: list[BaseException] = []

        def other() -> None:
            try:
                with second.begin():
                    BulkWriter(second).insert_templates(rows[::-1])  # lt_b, then lt_a
            except BaseException as exc:  # reported below
                errors.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(0.5)  # it waits for lt_a; unsorted, it would hold lt_b by now
        BulkWriter(first).insert_templates(rows[1:])  # lt_b
        first.commit()
        thread.join(10)
        assert errors == [] and not thread.is_alive()
    with database.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(line_templates)).scalar_one() == 2
