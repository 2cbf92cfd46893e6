"""The rules of invoice documents (SPEC B2, B5) and of refunds (B3), without a database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prorata.domain.errors import InvalidInput
from prorata.domain.invoicing import (
    InvoiceKind,
    InvoiceSettings,
    InvoiceStatus,
    LineRef,
    draft,
    number,
    statuses,
)
from prorata.domain.payments import PaymentRecord, refund_amount

D = Decimal
INV, CREDIT = InvoiceKind.INVOICE, InvoiceKind.CREDIT_NOTE
PAID, OPEN = InvoiceStatus.PAID, InvoiceStatus.OPEN


def _ids() -> object:
    n = iter(range(1, 10_000))
    return lambda prefix: f"{prefix}_{next(n)}"


def _draft(lines: list[LineRef], first: int = 1) -> list[object]:
    return draft(lines, first_sequence=first, prefix="INV-", service_date=date(2024, 8, 20),
                 issued_on=date(2024, 8, 21), new_id=_ids(),  # type: ignore[arg-type]
                 parties=lambda cid: {"customer": {"id": cid}})


def test_numbers_are_the_prefix_and_six_digits():
    # API.md: prefix + sequence zero-padded to 6 digits
    assert number("INV-", 1) == "INV-000001"
    assert number("", 42) == "000042"
    assert number("NW/", 1_234_567) == "NW/1234567"  # longer once past 999999, never cut


def test_one_document_per_customer_numbered_consecutively():
    # SPEC B2: per customer one document for the day's lines; numbers consecutive
    lines = [LineRef("l1", "acme", "USD", D("10.00")), LineRef("l2", "acme", "USD", D("2.50")),
             LineRef("l3", "beta", "USD", D("-4.00")), LineRef("l4", "gamma", "EUR", D("0"))]
    docs = _draft(lines, first=7)
    assert [(d.customer, d.sequence, d.number, d.total, d.line_ids) for d in docs] == [
        ("acme", 7, "INV-000007", D("12.50"), ["l1", "l2"]),
        ("beta", 8, "INV-000008", D("-4.00"), ["l3"]),
        ("gamma", 9, "INV-000009", D("0"), ["l4"])]
    assert docs[0].parties == {"customer": {"id": "acme"}}


def test_a_negative_day_is_a_credit_note():
    # SPEC B2: lines summing below zero give a credit note; zero is still an invoice
    [credit] = _draft([LineRef("l1", "a", "USD", D("5.00")), LineRef("l2", "a", "USD",
                                                                      D("-5.01"))])
    [zero] = _draft([LineRef("l3", "b", "USD", D("5.00")), LineRef("l4", "b", "USD",
                                                                    D("-5.00"))])
    assert (credit.kind, credit.total) == (CREDIT, D("-0.01"))
    assert (zero.kind, zero.total) == (INV, D("0"))


def test_payments_cover_invoices_oldest_first():
    # SPEC B5: an invoice is paid once payments and credits cover it, oldest first
    docs = [(INV, D("10")), (INV, D("5")), (INV, D("20"))]
    assert statuses(docs, D(0), D("0")) == [OPEN, OPEN, OPEN]
    assert statuses(docs, D(0), D("10")) == [PAID, OPEN, OPEN]
    assert statuses(docs, D(0), D("14.99")) == [PAID, OPEN, OPEN]
    assert statuses(docs, D(0), D("15")) == [PAID, PAID, OPEN]
    assert statuses(docs, D(0), D("35")) == [PAID, PAID, PAID]
    # A later page: the older invoices take their share of the pool first.
    assert statuses([(INV, D("20"))], D("15"), D("34")) == [OPEN]


def test_credit_notes_and_zero_invoices_owe_nothing():
    # SPEC B5: credits count like payments; a credit note itself is settled from the start
    docs = [(INV, D("10")), (CREDIT, D("-4")), (INV, D("0")), (INV, D("6"))]
    assert statuses(docs, D(0), D("10")) == [PAID, PAID, PAID, OPEN]
    assert statuses(docs, D(0), D("16")) == [PAID, PAID, PAID, PAID]


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=12), st.integers(0, 100_000))
def test_paid_invoices_are_always_the_oldest(totals, pool):
    # SPEC B5: oldest first — never a newer invoice paid before an older open one
    found = statuses([(INV, D(t)) for t in totals], D(0), D(pool))
    positive = [s for t, s in zip(totals, found, strict=True) if t > 0]
    assert positive == sorted(positive, key=lambda s: s is OPEN)
    assert sum(t for t, s in zip(totals, found, strict=True) if s is PAID) <= pool


def test_settings_defaults_and_updates():
    settings = InvoiceSettings.from_json(None)
    assert settings.prefix == "INV-" and settings.seller["name"] == "Prorata"
    updated = settings.updated({"invoice_prefix": "NW-", "seller": {
        "name": " Northwind ", "address": ["1 Main St"], "tax_id": "GB1"}})
    assert updated.prefix == "NW-" and updated.seller["name"] == "Northwind"
    assert updated.seller["address"] == ["1 Main St"] and updated.seller["email"] is None
    assert InvoiceSettings.from_json(updated.to_json()) == updated
    assert updated.updated({"seller": {"tax_id": None}}).seller["tax_id"] is None
    for bad in ({"invoice_prefix": "x" * 21}, {"invoice_prefix": "A\nB"},
                {"seller": {"name": " "}}, {"seller": {"address": ["a"] * 7}},
                {"seller": "Northwind"}):
        with pytest.raises(InvalidInput):
            settings.updated(bad)


def _paid(amount: str, refunded: str = "0") -> PaymentRecord:
    return PaymentRecord("pay_1", "acme", D(amount), "USD", "test", date(2024, 8, 20),
                         refunded=D(refunded))


def test_a_refund_never_exceeds_what_is_left():
    # SPEC B3: refunds through the gateway, never more than was paid
    assert refund_amount(_paid("20.00"), None) == D("20.00")
    assert refund_amount(_paid("20.00", "15.00"), None) == D("5.00")
    assert refund_amount(_paid("20.00", "15.00"), D("5.00")) == D("5.00")
    for payment, requested, code in ((_paid("20.00", "15.00"), D("5.01"),
                                      "refund_exceeds_payment"),
                                     (_paid("20.00"), D("0"), "invalid_amount"),
                                     (_paid("20.00"), D("-1"), "invalid_amount"),
                                     (_paid("20.00", "20.00"), None, "nothing_to_refund")):
        with pytest.raises(InvalidInput) as caught:
            refund_amount(payment, requested)
        assert caught.value.code == code
