"""Usage on both databases (SPEC B4, T5, T6, C8): dedup across imports by the database's key,
the rating of aggregates (rounded once per line), late records, exactly once, price lock and
exchange rates, and a 1M-record import."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from prorata.adapters.db import Database
from prorata.adapters.db.usage_schema import usage_pending, usage_records
from prorata.domain.model import Customer
from prorata.domain.plans import build_plan, patch_plan
from prorata.services import usage, usage_rating
from prorata.services.ports import OPERATOR
from prorata.services.subscriptions import create_subscription

BOUGHT = date(2024, 8, 20)


def _seed(db: Database, *, price: str = "0.0125", currency: str = "USD",
          settings: dict[str, Any] | None = None, billing_day: int = 1) -> None:
    plan = build_plan({"name": "Azure", "billing_type": "payg", "currency": "USD",
                       "periods": [], "settings": settings or {}, "resources": [
                           {"id": "vm", "name": "VM hours", "price": price},
                           {"id": "disk", "name": "Disk", "price": "0.02"}]},
                      "azure", "azure-payg")
    with db.uow() as uow:
        uow.add_product({"id": "azure", "name": "Azure"})
        uow.add_plan(plan)
        uow.add_customer(Customer("acme", "Acme", billing_day=billing_day, currency=currency))
        create_subscription(uow, OPERATOR, {"id": "az1", "customer": "acme",
                                            "plan": "azure-payg", "resources": {}}, BOUGHT)
        uow.commit()


def _import(db: Database, records: list[tuple[str, str, str, str]], today: date,
            category: str = "usage") -> dict[str, Any]:
    raws = [(f"records[{i}]", rid, day, meter, category, qty, None)
            for i, (rid, day, meter, qty) in enumerate(records)]
    with db.uow() as uow:
        result = usage.import_usage(uow, OPERATOR, "az1", raws, today)
        uow.commit()
    return result


def _usage_lines(db: Database) -> list[Any]:
    with db.uow(read_only=True) as uow:
        page = uow.list_lines("acme", 100, None)
    return [ln for ln in page.items if ln.kind.value == "usage"]


def test_dedup_across_imports_by_the_key(database: Database) -> None:
    # SPEC B4: a record id already imported is a duplicate and changes nothing
    _seed(database)
    first = _import(database, [("a", "2024-08-21", "vm", "1"), ("b", "2024-08-21", "vm", "2")],
                    date(2024, 8, 25))
    second = _import(database, [("b", "2024-08-21", "vm", "99"), ("c", "2024-08-22", "vm", "3"),
                                ("c", "2024-08-22", "vm", "3")], date(2024, 8, 25))
    assert (first["accepted"], first["duplicates"]) == (2, 0)
    assert (second["accepted"], second["duplicates"]) == (1, 2)
    with database.uow(read_only=True) as uow:
        total = uow.connection.execute(select(func.sum(usage_records.c.quantity))).scalar()
    assert int(total) == 6 * 10**6  # "b" kept its first quantity


def test_rate_the_aggregate_and_round_once(database: Database) -> None:
    # SPEC T5: 3000 × 0.333333 × 0.0125 = 12.4999875 → 12.50; per record it would be 0.00
    _seed(database)
    _import(database, [(f"r{i}", "2024-08-21", "vm", "0.333333") for i in range(3000)],
            date(2024, 8, 25))
    usage_rating.rate_day(database, date(2024, 9, 1))
    [line] = _usage_lines(database)
    assert line.amount == Decimal("12.50")
    assert (line.period_start, line.period_end) == (BOUGHT, date(2024, 9, 1))
    assert (line.quantity, line.resource, line.created_on) == (1, "vm", date(2024, 9, 1))


def test_late_records_once_on_the_next_billing_day(database: Database) -> None:
    # SPEC B4: late records are charged on the next billing day, never lost, never twice
    _seed(database)
    _import(database, [("a", "2024-08-21", "vm", "8")], date(2024, 8, 25))
    assert usage_rating.rate_day(database, date(2024, 8, 31)) == {}  # not a billing day
    assert usage_rating.rate_day(database, date(2024, 9, 1)) == {"usage_lines": 1}
    assert usage_rating.rate_day(database, date(2024, 9, 1)) == {}  # a run again: nothing
    with database.uow() as uow:  # exactly once even when asked directly
        assert usage_rating.rate_subscription(uow, "az1", date(2024, 9, 1)) == 0
    _import(database, [("late", "2024-08-30", "vm", "80"), ("now", "2024-09-02", "vm", "8")],
            date(2024, 9, 3))
    assert usage_rating.rate_day(database, date(2024, 10, 1)) == {"usage_lines": 2}
    lines = _usage_lines(database)
    assert [(ln.period_start, ln.amount, ln.created_on) for ln in lines] == [
        (BOUGHT, Decimal("0.10"), date(2024, 9, 1)),
        (BOUGHT, Decimal("1.00"), date(2024, 10, 1)),
        (date(2024, 9, 1), Decimal("0.10"), date(2024, 10, 1))]
    with database.uow(read_only=True) as uow:
        assert uow.connection.execute(select(usage_pending)).all() == []
        rows = usage.subscription_consumption(uow, OPERATOR, "az1")["data"]
    assert [(r["month"], r["quantity"], r["amount"]) for r in rows] == [
        ("2024-08-01", "88", "1.10"), ("2024-09-01", "8", "0.10")]


def test_external_rating_exact(database: Database) -> None:
    # SPEC B4: external = cost × (1 + markup/100), summed then rounded once
    _seed(database, settings={"payg_rating": "external", "markup_percent": "12.5"})
    raws = [(f"records[{i}]", f"x{i}", "2024-08-21", "vm", "third_party", "1", "0.000333")
            for i in range(1000)]
    with database.uow() as uow:
        usage.import_usage(uow, OPERATOR, "az1", raws, date(2024, 8, 25))
        uow.commit()
    usage_rating.rate_day(database, date(2024, 9, 1))
    [line] = _usage_lines(database)
    assert line.amount == Decimal("0.37")  # 0.333 × 1.125 = 0.374625
    assert "third_party" in line.description


def test_price_lock_and_exchange_rate(database: Database) -> None:
    # SPEC C8: the price captured at purchase while price_lock; T6: converted on the charge
    # date, and without a rate the records wait (not lost) for a later billing day
    _seed(database, price="1.00", currency="EUR")
    with database.uow() as uow:
        plan = uow.get_plan("azure-payg")
        uow.update_plan(patch_plan(plan, {"resources": [{"id": "vm", "price": "2.00"}]}))
        uow.commit()
    _import(database, [("a", "2024-08-21", "vm", "3")], date(2024, 8, 25))
    assert usage_rating.rate_day(database, date(2024, 9, 1)) == {}  # no USD→EUR rate
    with database.uow() as uow:
        uow.add_rate("USD", "EUR", Decimal("0.9"), date(2024, 9, 15))
        uow.commit()
    usage_rating.rate_day(database, date(2024, 10, 1))
    [line] = _usage_lines(database)
    assert (line.amount, line.currency, line.unit_price) == (Decimal("2.70"), "EUR",
                                                             Decimal("0.9"))
    with database.uow() as uow:
        plan = uow.get_plan("azure-payg")
        uow.update_plan(patch_plan(plan, {"settings": {"price_lock": False}}))
        uow.commit()
    _import(database, [("b", "2024-10-02", "vm", "3")], date(2024, 10, 5))
    usage_rating.rate_day(database, date(2024, 11, 1))
    assert _usage_lines(database)[-1].amount == Decimal("5.40")  # 3 × 2.00 × 0.9


def test_a_million_records(database: Database) -> None:
    # The volume of a big reseller's month (issue 10): a 1M-record CSV on SQLite, and
    # 100k on PostgreSQL to keep the suite short (benchmarks/usage.py times 1M on both)
    n = 1_000_000 if database.dialect == "sqlite" else 100_000
    _seed(database)
    body = io.BytesIO()
    body.write(b"id,date,meter,category,quantity,cost\n")
    body.write("".join(f"r{i},2024-08-{20 + i % 10},{'vm' if i % 2 else 'disk'},,1,\n"
                       for i in range(n)).encode())
    body.seek(0)
    from prorata.services.usage_input import csv_records

    with database.uow() as uow:
        result = usage.import_usage(uow, OPERATOR, "az1", csv_records(body), date(2024, 8, 31),
                                    fields=False)
        uow.commit()
    assert (result["accepted"], result["duplicates"]) == (n, 0)
    assert usage_rating.rate_day(database, date(2024, 9, 1)) == {"usage_lines": 2}
    amounts = sorted(ln.amount for ln in _usage_lines(database))
    assert amounts == sorted([Decimal(n // 2) * Decimal("0.0125"),
                              Decimal(n // 2) * Decimal("0.02")])


@pytest.mark.parametrize("bad", ["", "-1"])
def test_a_bad_record_after_many_stores_nothing(database: Database, bad: str) -> None:
    # SPEC B4: one transaction per import: records already written in earlier chunks go too
    _seed(database)
    n = usage.CHUNK + 5
    raws: list[Any] = [(f"records[{i}]", f"r{i}", "2024-08-21", "vm", None, "1", None)
                       for i in range(n)]
    raws.append((f"records[{n}]", "bad", "2024-08-21", "vm", None, bad, None))
    with pytest.raises(Exception) as caught, database.uow() as uow:
        usage.import_usage(uow, OPERATOR, "az1", raws, date(2024, 8, 25))
        uow.commit()
    assert getattr(caught.value, "param", None) == f"records[{n}].quantity"
    with database.uow(read_only=True) as uow:
        assert uow.connection.execute(select(func.count()).select_from(usage_records)).scalar() \
            == 0
