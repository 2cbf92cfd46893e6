"""Issuing invoice documents on SQLite and PostgreSQL (SPEC B2, B5): one per customer and day,
numbers consecutive without gap or repeat — also when issuers race each other and requests
keep writing lines meanwhile — and a repeated issue does nothing."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from prorata.adapters.db.schema import charge_lines, events, invoice_lines, invoices
from prorata.domain.model import ChargeLine, Customer, LineKind
from prorata.services import invoicing
from prorata.services.ports import OPERATOR

DAY = date(2024, 8, 20)
NEXT = DAY + timedelta(days=1)


def _line(customer: str, amount: str, day: date = DAY) -> ChargeLine:
    return ChargeLine(kind=LineKind.CHARGE if Decimal(amount) >= 0 else LineKind.REFUND,
                      description=f"Service for {customer}", period_start=day,
                      period_end=day + timedelta(days=30), quantity=1,
                      unit_price=Decimal(amount), amount=Decimal(amount), currency="USD",
                      customer=customer, created_on=day)


def _seed(database: Any, customers: int, amounts: tuple[str, ...] = ("10.00",)) -> None:
    with database.uow() as uow:
        for n in range(customers):
            uow.add_customer(Customer(f"c{n:04d}", f"Customer {n}"))
        uow.add_lines([_line(f"c{n:04d}", a) for n in range(customers) for a in amounts])
        uow.commit()


def _documents(database: Any) -> list[Any]:
    with database.uow(read_only=True) as uow:
        return list(uow.connection.execute(select(invoices).order_by(invoices.c.sequence)))


def _assert_numbered_once(database: Any) -> None:
    """1, 2, 3, … without gap or repeat, and every line on exactly one document."""
    docs = _documents(database)
    assert [d.sequence for d in docs] == list(range(1, len(docs) + 1))
    assert [d.number for d in docs] == [f"INV-{n:06d}" for n in range(1, len(docs) + 1)]
    with database.uow(read_only=True) as uow:
        conn = uow.connection
        lines = conn.execute(select(func.count()).select_from(charge_lines)).scalar()
        linked = conn.execute(select(func.count()).select_from(invoice_lines)).scalar()
        counted = conn.execute(select(func.sum(invoices.c.line_count))).scalar()
        issued = conn.execute(select(func.count()).select_from(events)
                              .where(events.c.type == "invoice_issued")).scalar()
    assert lines == linked == counted and issued == len(docs)


def test_one_document_per_customer_and_a_repeat_does_nothing(database):
    # SPEC B2: per customer one document for the day's lines; S12-like: safe to repeat
    _seed(database, 5, ("10.00", "2.50"))
    assert invoicing.issue_day(database, DAY, NEXT, per_transaction=2) == 5
    assert invoicing.issue_day(database, DAY, NEXT) == 0
    docs = _documents(database)
    assert [(d.customer_id, d.total, d.line_count, d.kind) for d in docs] == [
        (f"c{n:04d}", Decimal("12.50"), 2, "invoice") for n in range(5)]
    assert docs[0].parties["customer"] == {"id": "c0000", "name": "Customer 0", "inn": None}
    _assert_numbered_once(database)


def test_lines_late_for_their_day_go_on_a_later_document(database):
    # SPEC B5: an issued invoice never changes; a later line is on a later document
    _seed(database, 1)
    assert invoicing.issue_for_run(database, NEXT) == {"invoices": 1}
    with database.uow() as uow:  # a request that began on DAY commits after the issue
        uow.add_lines([_line("c0000", "-4.00")])
        uow.commit()
    assert invoicing.issue_for_run(database, NEXT + timedelta(days=1)) == {"invoices": 1}
    first, late = _documents(database)
    assert (first.total, first.line_count) == (Decimal("10.00"), 1)
    assert (late.service_date, late.issued_on, late.total, late.kind) == \
        (DAY, NEXT + timedelta(days=1), Decimal("-4.00"), "credit_note")
    assert invoicing.issue_for_run(database, NEXT + timedelta(days=2)) == {}
    _assert_numbered_once(database)


def test_statuses_follow_payments_and_credit_notes(database):
    # SPEC B5: payments and credits cover invoices oldest first
    _seed(database, 1, ("30.00",))
    invoicing.issue_day(database, DAY, NEXT)
    with database.uow() as uow:
        uow.add_lines([_line("c0000", "20.00", NEXT), _line("c0000", "-5.00", NEXT + ONE)])
        uow.commit()
    invoicing.issue_day(database, NEXT, NEXT + ONE)
    invoicing.issue_day(database, NEXT + ONE, NEXT + 2 * ONE)

    def seen() -> list[str]:
        with database.uow(read_only=True) as uow:
            page = invoicing.list_invoices(uow, OPERATOR, "c0000", 10, None)
            return [f"{d['total']}:{d['status']}" for d in page.items]

    assert seen() == ["30.00:open", "20.00:open", "-5.00:paid"]
    with database.uow() as uow:
        uow.add_payment("c0000", Decimal("25.00"), "USD", NEXT)  # 25 + 5 credit = 30
        uow.commit()
    assert seen() == ["30.00:paid", "20.00:open", "-5.00:paid"]
    with database.uow(read_only=True) as uow:  # the second page knows the first's share
        page = invoicing.list_invoices(uow, OPERATOR, "c0000", 1, _documents(database)[0].id)
        assert page.items[0]["status"] == "open" and page.has_more


ONE = timedelta(days=1)


def test_racing_issuers_and_writers_never_skip_or_repeat_a_number(database):
    # SPEC B5: numbers never skip and never repeat, also under concurrent runs and while
    # requests write lines of the same day. On PostgreSQL the issuers really interleave
    # (row lock on the counter); on SQLite they queue on the write lock.
    _seed(database, 120)
    errors: list[BaseException] = []

    def issuer() -> None:
        try:
            invoicing.issue_day(database, DAY, NEXT, per_transaction=7)
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            errors.append(exc)

    def writer(n: int) -> None:
        try:
            for i in range(10):
                with database.uow() as uow:
                    uow.add_lines([_line(f"c{(n * 10 + i) % 120:04d}", "1.00")])
                    uow.commit()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=issuer) for _ in range(4)]
    threads += [threading.Thread(target=writer, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    invoicing.issue_day(database, DAY, NEXT)  # what the writers added after the last range
    _assert_numbered_once(database)
    assert {d.customer_id for d in _documents(database)} == {f"c{n:04d}" for n in range(120)}


def test_a_failing_issue_does_not_hold_up_the_daily_run(database, monkeypatch):
    # The next days' renewals must not wait for a document: the day is issued a run later.
    _seed(database, 2)
    real = invoicing.issue_day

    def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(invoicing, "issue_day", broken)
    assert invoicing.issue_for_run(database, NEXT) == {"invoice_failures": 1}
    monkeypatch.setattr(invoicing, "issue_day", real)
    assert invoicing.issue_for_run(database, NEXT + ONE) == {"invoices": 2}
    assert {d.service_date for d in _documents(database)} == {DAY}
