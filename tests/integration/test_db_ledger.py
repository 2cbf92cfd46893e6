"""Charge lines, balance, refunds caps, rates, idempotency and settings (SPEC B1, T6, S12)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from prorata.adapters.db import Database
from prorata.domain.errors import InvalidInput
from prorata.domain.model import ChargeLine, Customer, LineKind, Operation, OpStatus
from prorata.services.ports import OPERATOR, DuplicateKey, Scope
from tests.dbfixtures import ledger_breaks, sample_subscription, seed_catalog, sent_statements
from tests.fakes import FakeDatabase

Db = Database | FakeDatabase
SEP, OCT, NOV = date(2024, 9, 1), date(2024, 10, 1), date(2024, 11, 1)


def line(amount: str, start: date | None = SEP, sub: str | None = "sub1",
         **kw: object) -> ChargeLine:
    fields: dict[str, object] = dict(
        kind=LineKind.CHARGE if Decimal(amount) >= 0 else LineKind.REFUND,
        description=f"line {amount}", period_start=start,
        period_end=None if start is None else date(start.year, start.month + 1, 1),
        quantity=1, unit_price=Decimal(amount), amount=Decimal(amount), currency="USD",
        subscription=sub, created_on=SEP)
    fields.update(kw)
    return ChargeLine(**fields)  # type: ignore[arg-type]


def seeded(db: Db) -> None:
    with db.uow() as uow:
        seed_catalog(uow)
        uow.add_subscription(sample_subscription())
        uow.add_operation(Operation("op1", "sub1", "purchase", OpStatus.COMPLETED, "operator",
                                    {}, SEP, SEP))
        uow.commit()


def test_lines_round_trip(any_db: Db) -> None:  # SPEC B1
    seeded(any_db)
    given = line("30.00", operation="op1", resource="seats", quantity=5,
                 unit_price=Decimal("6.0000"), id="ln-fixed")
    with any_db.uow() as uow:
        uow.add_lines([given, line("0.10", operation="op1", kind=LineKind.FEE)])
        uow.commit()
    with any_db.uow() as uow:
        first, second = uow.lines_for_operation("op1")
        assert first.id == "ln-fixed" and first.customer == "acme"  # taken from the subscription
        assert first == ChargeLine(**{**{f: getattr(given, f) for f in
                                         ChargeLine.__dataclass_fields__}, "customer": "acme"})
        assert second.id and second.id.startswith("ln_") and second.kind is LineKind.FEE
        assert uow.lines_for_operation("nope") == []
        with pytest.raises(DuplicateKey):
            uow.add_lines([given])


def test_lines_are_written_without_a_savepoint(any_db: Db) -> None:  # issue 13
    """No caller goes on after a line fails to insert, so no SAVEPOINT is paid for on either
    database; a duplicate is still told apart (and the transaction is then rolled back)."""
    if not isinstance(any_db, Database):
        pytest.skip("SQL statements of a real database")
    seeded(any_db)
    with sent_statements(any_db.engine) as sent:
        with any_db.uow() as uow:
            uow.add_lines([line("1.00", operation="op1", id="ln-a"), line("2.00", id="ln-b")])
            uow.commit()
        with any_db.uow() as uow:
            with pytest.raises(DuplicateKey):
                uow.add_lines([line("3.00", id="ln-c"), line("1.00", id="ln-a")])
    assert not [s for s in sent if "SAVEPOINT" in s]
    with any_db.uow() as uow:  # the failed transaction left nothing behind
        assert [ln.id for ln in uow.lines_for_operation("op1")] == ["ln-a"]
        assert uow.net_charged("sub1", None) == Decimal("3.00")


def test_lines_need_a_customer_and_a_date(any_db: Db) -> None:
    seeded(any_db)
    with any_db.uow() as uow:
        with pytest.raises(ValueError):
            uow.add_lines([line("1", sub=None)])
        with pytest.raises(ValueError):
            uow.add_lines([line("1", created_on=None)])
        uow.add_lines([line("1", sub=None, customer="acme")])  # a customer-level line
        assert uow.balance("acme") == Decimal("-1")


def test_balance_is_payments_minus_lines(any_db: Db) -> None:  # SPEC B1, B3
    seeded(any_db)
    with any_db.uow() as uow:
        uow.add_customer(Customer("other", "Other"))
        uow.add_lines([line("30.00"), line("-12.35"), line("0.01", customer="other", sub=None)])
        uow.add_payment("acme", Decimal("100"), "USD", SEP, reference="bank 1")
        uow.add_payment("acme", Decimal("-0.5"), "USD", SEP, method="refund")
        assert uow.balance("acme") == Decimal("100") - Decimal("0.5") - Decimal("17.65")
        assert uow.balance("other") == Decimal("-0.01")
        assert uow.balance("nobody") == 0
        with pytest.raises(DuplicateKey):
            pid = uow.add_payment("acme", Decimal("1"), "USD", SEP)
            uow.add_payment("acme", Decimal("1"), "USD", SEP, payment_id=pid)


def test_net_charged_since(any_db: Db) -> None:  # DESIGN: refund cap
    seeded(any_db)
    with any_db.uow() as uow:
        uow.add_subscription(sample_subscription("sub2"))
        uow.add_lines([line("10", SEP), line("20", OCT), line("-5", OCT), line("40", NOV),
                       line("7", None), line("1000", OCT, sub="sub2")])
        assert uow.net_charged("sub1", None) == Decimal("72")
        assert uow.net_charged("sub1", OCT) == Decimal("55")
        assert uow.net_charged("sub1", date(2024, 10, 2)) == Decimal("40")
        assert uow.net_charged("sub1", date(2025, 1, 1)) == 0
        assert uow.net_charged("ghost", None) == 0


def test_list_lines_oldest_first_with_pagination(any_db: Db) -> None:  # SPEC B1
    seeded(any_db)
    with any_db.uow() as uow:
        uow.add_lines([line(str(i)) for i in range(5)])
        uow.commit()
    with any_db.uow() as uow:
        uow.add_lines([line("5"), line("6")])
        uow.commit()
    with any_db.uow() as uow:
        first = uow.list_lines("acme", 4, None)
        assert [ln.amount for ln in first.items] == [0, 1, 2, 3] and first.has_more
        rest = uow.list_lines("acme", 4, first.items[-1].id)
        assert [ln.amount for ln in rest.items] == [4, 5, 6] and not rest.has_more
        with pytest.raises(InvalidInput):  # not in this list: refused, not an empty page
            uow.list_lines("acme", 4, "ghost")
        with pytest.raises(InvalidInput):  # another customer's line
            uow.list_lines("other", 4, first.items[0].id)
        with pytest.raises(ValueError):
            uow.list_lines("acme", 0, None)


def test_rates_oldest_first(any_db: Db) -> None:  # SPEC T6
    with any_db.uow() as uow:
        uow.add_rate("USD", "EUR", Decimal("0.9"), date(2024, 9, 1))
        uow.add_rate("USD", "EUR", Decimal("0.912345678901"), date(2024, 1, 1))
        uow.add_rate("USD", "EUR", Decimal("0.95"), date(2024, 6, 1))
        uow.add_rate("EUR", "USD", Decimal("1.1"), date(2024, 1, 1))
        with pytest.raises(DuplicateKey):
            uow.add_rate("USD", "EUR", Decimal("1"), date(2024, 6, 1))
        with pytest.raises(ValueError):
            uow.add_rate("USD", "EUR", Decimal("0"), date(2024, 7, 1))
        uow.commit()
    with any_db.uow() as uow:
        assert uow.rates("USD", "EUR") == [(date(2024, 1, 1), Decimal("0.912345678901")),
                                           (date(2024, 6, 1), Decimal("0.95")),
                                           (date(2024, 9, 1), Decimal("0.9"))]
        assert uow.rates("USD", "GBP") == []


def test_idempotency_records(any_db: Db) -> None:  # SPEC S12
    alice, bob = Scope("customer", "alice"), Scope("customer", "bob")
    record = {"status": 201, "body": {"amount": Decimal("19.35"), "on": SEP}}
    with any_db.uow() as uow:
        uow.put_idempotent(alice, "k1", record)
        uow.put_idempotent(bob, "k1", {"status": 200})  # keys are per caller
        with pytest.raises(DuplicateKey):
            uow.put_idempotent(alice, "k1", {"status": 500})
        uow.commit()
    with any_db.uow() as uow:
        assert uow.get_idempotent(alice, "k1") == {
            "status": 201, "body": {"amount": "19.35", "on": "2024-09-01"}}
        assert uow.get_idempotent(bob, "k1") == {"status": 200}
        assert uow.get_idempotent(OPERATOR, "k1") is None


def test_settings(any_db: Db) -> None:
    with any_db.uow() as uow:
        assert uow.get_setting("company_names") is None
        uow.put_setting("company_names", {"forbidden_characters": "<>", "fee": Decimal("1.5")})
        uow.put_setting("company_names", {"forbidden_characters": "@"})
        uow.put_setting("flag", True)
        uow.commit()
    with any_db.uow() as uow:
        assert uow.get_setting("company_names") == {"forbidden_characters": "@"}
        assert uow.get_setting("flag") is True


def test_a_dangling_line_is_found(any_db: Db) -> None:
    """No foreign key refuses it since 0018 (docs/DESIGN.md): `ledger_breaks`, which the
    end-to-end tests run after each test, names it; the fake refuses it at commit."""
    seeded(any_db)
    with any_db.uow() as uow:
        uow.add_lines([line("1", operation="ghost-op", customer="acme")])
        if isinstance(any_db, FakeDatabase):
            with pytest.raises(LookupError):
                uow.commit()
            return
        uow.commit()
    assert [b.split(": ")[1] for b in ledger_breaks(any_db.engine)] == ["operation ghost-op"]


def test_a_broken_fold_or_invoiced_line_is_found(database: Database) -> None:
    """No foreign key can check a folded line since 0019 (it has no row): `ledger_breaks` names
    a folded operation without its template or its line number, and an invoiced line that is
    neither stored nor a position of a folded operation's template."""
    seeded(database)
    with database.uow() as uow:
        stored = line("1", operation="op1", customer="acme", id="l1")
        uow.add_lines([stored])
        for op_id in ("fold", "no-template", "no-seq"):
            uow.add_operation(Operation(op_id, "sub1", "prolong", OpStatus.COMPLETED, "system",
                                        {}, SEP, SEP))
        uow.commit()
    invoiced = ["l1", "fold.1", "fold.2", "no-seq.1",  # whole
                "fold.0", "fold.3", "fold.01", "op1.1", "no-template.1", "ghost"]
    with database.engine.begin() as conn:
        conn.execute(text("INSERT INTO line_templates (id, lines, line_count, kind, amount) "
                          "VALUES ('lt1', '[]', 2, 'charge', 0)"))
        for op_id, template, seq in (("fold", "lt1", 7), ("no-template", "lt-gone", 8),
                                     ("no-seq", "lt1", None)):
            conn.execute(text("UPDATE operations SET template_id = :t, line_seq = :s "
                              "WHERE id = :id"), {"t": template, "s": seq, "id": op_id})
        conn.execute(text(
            "INSERT INTO invoices (id, sequence, number, kind, customer_id, issued_on, "
            "service_date, currency, total, line_count, parties, created_at) VALUES ('inv1', "
            "1, 'INV-1', 'invoice', 'acme', :day, :day, 'USD', 0, 0, '{}', CURRENT_TIMESTAMP)"),
            {"day": SEP})
        conn.execute(text("INSERT INTO invoice_lines (line_id, invoice_id) VALUES (:l, 'inv1')"),
                     [{"l": line_id} for line_id in invoiced])
    assert sorted(ledger_breaks(database.engine)) == sorted(
        ["operation no-template: template lt-gone", "operation no-seq: line_seq NULL"]
        + [f"invoice inv1: line {b}" for b in invoiced[4:]])
