"""Change history (SPEC S11) and the dedup keys that make scheduled work happen once (S12)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import JSON, literal, select

from prorata.adapters.db import Database
from prorata.adapters.db.schema import operations, subscriptions
from prorata.adapters.db.session import utcnow
from prorata.domain.errors import InvalidInput
from prorata.domain.model import Operation, OpStatus
from prorata.services.ports import DuplicateKey
from tests.dbfixtures import ledger_breaks, sample_subscription, seed_catalog, sent_statements
from tests.fakes import FakeDatabase

Db = Database | FakeDatabase
DAY = date(2024, 9, 1)


def op(op_id: str = "", sub: str = "sub1", dedup: str | None = None, **kw: object) -> Operation:
    fields: dict[str, object] = dict(
        id=op_id, subscription=sub, type="change_resources", status=OpStatus.COMPLETED,
        actor="operator", params={"resources": {"seats": 6}}, effective_on=DAY,
        created_on=DAY, dedup_key=dedup)
    fields.update(kw)
    return Operation(**fields)  # type: ignore[arg-type]


def seeded(db: Db) -> None:
    with db.uow() as uow:
        seed_catalog(uow)
        uow.add_subscription(sample_subscription())
        uow.commit()


def test_operation_round_trip_and_update(any_db: Db) -> None:  # SPEC S11
    seeded(any_db)
    new = op(params={"amount": Decimal("1.50"), "day": DAY, "list": [1, "x"]},
             amount=Decimal("-12.3456"), currency="USD")
    with any_db.uow() as uow:
        uow.add_operation(new)
        assert new.id.startswith("op_") and len(new.id) == 3 + 12 + 16  # prefix, time, random
        uow.commit()
    with any_db.uow() as uow:
        got = uow.get_operation(new.id)
        assert got is not None
        assert got.params == {"amount": "1.50", "day": "2024-09-01", "list": [1, "x"]}
        new.params = got.params
        assert got == new
        got.status, got.error_code, got.error_message = OpStatus.FAILED, "vendor", "down"
        got.amount = Decimal("0")
        uow.update_operation(got)
        uow.commit()
    with any_db.uow() as uow:
        assert uow.get_operation(new.id) == got
        assert uow.get_operation("nope") is None
        with pytest.raises(LookupError):
            uow.update_operation(op("nope"))


def test_dedup_key_refuses_and_transaction_continues(any_db: Db) -> None:  # SPEC S12
    seeded(any_db)
    with any_db.uow() as uow:
        uow.add_operation(op("a", dedup="renew:sub1:2025-08-20"))
        with pytest.raises(DuplicateKey):
            uow.add_operation(op("b", dedup="renew:sub1:2025-08-20"))
        with pytest.raises(DuplicateKey):
            uow.add_operation(op("a"))  # same id
        uow.add_operation(op("c"))
        uow.commit()
    with any_db.uow() as uow:
        assert [o.id for o in uow.list_operations("sub1", 10, None).items] == ["c", "a"]
        with pytest.raises(DuplicateKey):  # and across transactions
            uow.add_operation(op("d", dedup="renew:sub1:2025-08-20"))


def test_one_operation_is_written_without_a_savepoint(any_db: Db) -> None:  # issue 13
    """A one-row insert needs no SAVEPOINT on either database (SQLite undoes the one failed
    statement; PostgreSQL uses ON CONFLICT DO NOTHING, operations having no immediate
    foreign keys), and a duplicate still refuses without spoiling the transaction (above)."""
    if not isinstance(any_db, Database):
        pytest.skip("SQL statements of a real database")
    seeded(any_db)
    with sent_statements(any_db.engine) as sent, any_db.uow() as uow:
        uow.add_operation(op("a", dedup="renew:sub1:2025-08-20"))
        with pytest.raises(DuplicateKey):
            uow.add_operation(op("b", dedup="renew:sub1:2025-08-20"))
        uow.commit()
    assert sum("INSERT INTO operations" in s for s in sent) == 2
    assert not [s for s in sent if "SAVEPOINT" in s]


def test_bulk_add_skipping_duplicates(any_db: Db) -> None:  # SPEC S12: exactly once
    seeded(any_db)
    with any_db.uow() as uow:
        uow.add_operation(op(dedup="prolong:sub1:2024-10-01"))
        uow.commit()
    batch = [op(dedup=f"prolong:sub1:2024-{m:02d}-01") for m in range(9, 13)]
    with any_db.uow() as uow:
        written = uow.add_operations(batch, skip_duplicates=True)
        assert [o.dedup_key for o in written] == [
            "prolong:sub1:2024-09-01", "prolong:sub1:2024-11-01", "prolong:sub1:2024-12-01"]
        again = [op(dedup=o.dedup_key) for o in batch]
        assert uow.add_operations(again, skip_duplicates=True) == []
        with pytest.raises(DuplicateKey):
            uow.add_operations([op(dedup="fresh"), op(dedup="prolong:sub1:2024-09-01")])
        uow.commit()
    with any_db.uow() as uow:  # the refused batch left nothing behind: all or nothing
        items = uow.list_operations("sub1", 100, None).items
        assert len(items) == 4 and "fresh" not in {o.dedup_key for o in items}


def test_list_operations_newest_first_with_pagination(any_db: Db) -> None:  # SPEC S11
    seeded(any_db)
    with any_db.uow() as uow:
        uow.add_operations([op(f"op{i:02d}") for i in range(7)])
        uow.add_operation(op("later"))
        uow.commit()
    expected = ["later"] + [f"op{i:02d}" for i in reversed(range(7))]
    with any_db.uow() as uow:
        seen, cursor, pages = [], None, 0
        while True:
            page = uow.list_operations("sub1", 3, cursor)
            seen += [o.id for o in page.items]
            pages += 1
            if not page.has_more:
                break
            cursor = page.items[-1].id
        assert seen == expected and pages == 3
        assert uow.list_operations("sub1", 8, None).has_more is False
        with pytest.raises(InvalidInput):  # a cursor not in this list is refused
            uow.list_operations("sub1", 3, "ghost")
        assert uow.list_operations("other", 3, None).items == []


def test_operation_before_its_subscription(database: Database) -> None:
    """A purchase may write its operation first; the customer is filled in afterwards."""
    with database.uow() as uow:
        seed_catalog(uow)
        uow.add_operation(op("first"))
        uow.add_subscription(sample_subscription())
        assert uow.connection.execute(select(operations.c.customer_id)).scalar_one() == "acme"
        uow.commit()


def test_a_dangling_operation_is_found(any_db: Db) -> None:
    """As a dangling line (test_db_ledger.py): found by `ledger_breaks`, refused by the fake."""
    with any_db.uow() as uow:
        uow.add_operation(op("orphan", sub="ghost"))
        if isinstance(any_db, FakeDatabase):
            with pytest.raises(LookupError):
                uow.commit()
            return
        uow.commit()
    assert ledger_breaks(any_db.engine) == ["operation orphan: subscription ghost"]


def test_fake_fails_the_later_commit_of_a_taken_dedup_key() -> None:  # SPEC S12
    db = FakeDatabase()
    seeded(db)
    with db.uow() as first, db.uow() as second:
        first.add_operation(op(dedup="renew:sub1:2025-08-20"))
        second.add_operation(op(dedup="renew:sub1:2025-08-20"))
        first.commit()
        with pytest.raises(DuplicateKey):
            second.commit()


def test_set_wise_insert_numbers_rows_too(database: Database) -> None:
    """INSERT … SELECT (the scheduler's bulk work) gets `seq` from the column default."""
    seeded(database)
    with database.uow() as uow:
        uow.add_subscription(sample_subscription("sub2"))
        uow.add_operation(op("before"))
        s, now = subscriptions.c, utcnow()
        source = select(s.id + literal("-renew"), s.id, s.customer_id, literal("renew"),
                        literal("scheduled"), literal("system"), literal({}, JSON), literal(DAY),
                        literal(0), literal(now), literal(now))
        uow.connection.execute(operations.insert().from_select(
            ["id", "subscription_id", "customer_id", "type", "status", "actor", "params",
             "created_on", "amount", "created_at", "updated_at"], source))
        uow.add_operation(op("after"))
        ids = [o.id for o in uow.list_operations("sub1", 10, None).items]
        assert ids == ["after", "sub1-renew", "before"]
        assert [o.id for o in uow.list_operations("sub2", 10, None).items] == ["sub2-renew"]
