"""Invoice documents (SPEC B2, B5): issued by the daily run for the previous day (and by
`prorata invoices issue` for a catch-up), read and listed through the API.

Issuing takes the installation's invoice counter first, in the transaction that stores the
documents, then reads the lines that are on no document yet: a concurrent issuer waits for the
counter and then finds those lines taken. So numbers are consecutive, never skip (a rolled-back
issue rolls its numbers back) and never repeat, and a repeated issue finds nothing to do."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from prorata.domain.errors import InvalidInput
from prorata.domain.invoicing import (
    Invoice,
    InvoiceSettings,
    InvoiceStatus,
    draft,
    statuses,
)
from prorata.domain.model import Customer, Event
from prorata.domain.money import format_amount
from prorata.ids import new_id
from prorata.services.inputs import missing, require_object, require_operator
from prorata.services.ports import DuplicateKey, Page, Scope, UnitOfWork
from prorata.services.views import line_to_dict

log = logging.getLogger(__name__)
SETTINGS_KEY = "invoices"  # the operator's prefix and seller block, in `settings`
CUSTOMERS_PER_TRANSACTION = 2000
# Lines of a day that commit after that day's documents were issued (a request that began
# before midnight) go on a later document of their own; the daily run looks this far back.
LATE_DAYS = 7
RETRIES = 3


def _customer_block(customer: Customer | None, customer_id: str) -> dict[str, Any]:
    if customer is None:
        return {"id": customer_id, "name": customer_id, "inn": None}
    return {"id": customer.id, "name": customer.name, "inn": customer.inn}


def _issue_range(database: Any, day: date, issued_on: date, after: str | None,
                 upto: str | None) -> list[Invoice]:
    """One transaction: the documents of the customers in `(after, upto]`."""
    with database.uow() as uow:
        last = uow.lock_invoice_counter()
        lines = uow.uninvoiced_lines(day, after, upto)
        if not lines:
            return []
        settings = InvoiceSettings.from_json(uow.get_setting(SETTINGS_KEY))
        known = uow.customers_by_id(sorted({ln.customer for ln in lines}))
        issued = draft(lines, first_sequence=last + 1, prefix=settings.prefix,
                       service_date=day, issued_on=issued_on, new_id=new_id,
                       parties=lambda cid: {"seller": settings.seller,
                                            "customer": _customer_block(known.get(cid), cid)})
        uow.add_invoices(issued, [_issued_event(inv) for inv in issued])
        uow.set_invoice_counter(last + len(issued))
        uow.commit()
        return issued


def _issued_event(inv: Invoice) -> Event:
    return Event("invoice_issued", customer=inv.customer, created_on=inv.issued_on, data={
        "invoice": inv.id, "number": inv.number, "kind": inv.kind.value,
        "total": format_amount(inv.total, inv.currency), "currency": inv.currency,
        "service_date": inv.service_date.isoformat()})


def issue_day(database: Any, day: date, issued_on: date, *,
              per_transaction: int = CUSTOMERS_PER_TRANSACTION) -> int:
    """B2: per customer one document for the lines created on `day` that are on none yet;
    answers how many were issued. Safe to repeat and to run concurrently. Customers are issued
    in ranges of ids, one transaction each, so memory and lock time stay bounded; the ranges
    cover every id, so a customer whose first line commits meanwhile is not skipped."""
    with database.uow(read_only=True) as uow:
        customers = uow.uninvoiced_customers(day)
    issued, after = 0, None
    for start in range(0, len(customers), per_transaction):
        end = start + per_transaction
        upto = customers[end - 1] if end < len(customers) else None  # the last is open-ended
        issued += _with_retries(database, day, issued_on, after, upto)
        after = upto
    return issued


def _with_retries(database: Any, day: date, issued_on: date, after: str | None,
                  upto: str | None) -> int:
    for attempt in range(RETRIES):
        try:
            return len(_issue_range(database, day, issued_on, after, upto))
        except DuplicateKey:
            # Another issuer took a line or number first (it cannot while both take the
            # counter, but a retry from fresh state is the safe answer anyway).
            if attempt == RETRIES - 1:
                raise
    return 0


def issue_for_run(database: Any, today: date) -> dict[str, int]:
    """The daily run's part (B5): yesterday's documents, then any late lines of the days
    before, each on a later document of its own day. A failure here is logged, not raised:
    it must not hold up the next days' renewals and expiries; the days it left undone are
    found again by the next runs (`LATE_DAYS`) or issued with `prorata invoices issue`."""
    yesterday = today - timedelta(days=1)
    try:
        issued = issue_day(database, yesterday, today)
        with database.uow(read_only=True) as uow:
            late = uow.unissued_days(yesterday - timedelta(days=LATE_DAYS),
                                     yesterday - timedelta(days=1))
        for day in late:
            issued += issue_day(database, day, today)
    except Exception:
        log.exception("issuing the invoices of %s failed; the next run tries again",
                      yesterday.isoformat())
        return {"invoice_failures": 1}
    return {"invoices": issued} if issued else {}


def check_catch_up_day(day: date, today: date) -> None:
    """A day is invoiced once it is over: the catch-up refuses today and later."""
    if day >= today:
        raise InvalidInput("day_not_over", f"{day.isoformat()} is not over yet (today is "
                                           f"{today.isoformat()})", "date")


# --- reading ---------------------------------------------------------------------------------

def invoice_to_dict(inv: Invoice, lines: list[Any], status: InvoiceStatus) -> dict[str, Any]:
    customer = inv.parties.get("customer") or {}
    return {
        "id": inv.id, "object": "invoice", "number": inv.number, "sequence": inv.sequence,
        "kind": inv.kind.value, "customer": inv.customer, "issued_on": inv.issued_on.isoformat(),
        "service_date": inv.service_date.isoformat(), "currency": inv.currency,
        "lines": [line_to_dict(ln) for ln in lines],
        "total": format_amount(inv.total, inv.currency), "status": status.value,
        "seller": inv.parties.get("seller"), "bill_to": customer,
    }


def _in_scope(uow: UnitOfWork, scope: Scope, invoice_id: str) -> Invoice:
    inv = uow.get_invoice(invoice_id)
    if inv is None or uow.get_customer(scope, inv.customer) is None:
        raise missing("invoice", invoice_id, "id")  # P2: out of scope looks like unknown
    return inv


def get_invoice(uow: UnitOfWork, scope: Scope, invoice_id: str) -> dict[str, Any]:
    inv = _in_scope(uow, scope, invoice_id)
    [status] = statuses([(inv.kind, inv.total)], uow.owed_before(inv.customer, inv.sequence),
                        uow.credit_pool(inv.customer))
    return invoice_to_dict(inv, uow.invoice_lines(inv.id), status)


def list_invoices(uow: UnitOfWork, scope: Scope, customer_id: str, limit: int,
                  starting_after: str | None) -> Page:
    """Oldest first; each with its status, from one pool and one running sum (B5)."""
    if uow.get_customer(scope, customer_id) is None:
        raise missing("customer", customer_id, "id")
    page = uow.list_invoices(customer_id, limit, starting_after)
    if not page.items:
        return page
    found = statuses([(inv.kind, inv.total) for inv in page.items],
                     uow.owed_before(customer_id, page.items[0].sequence),
                     uow.credit_pool(customer_id))
    return Page([invoice_to_dict(inv, uow.invoice_lines(inv.id), status)
                 for inv, status in zip(page.items, found, strict=True)], page.has_more)


# --- the operator's settings -----------------------------------------------------------------

def get_settings(uow: UnitOfWork, scope: Scope) -> dict[str, Any]:
    require_operator(scope)
    return {"object": "invoice_settings",
            **InvoiceSettings.from_json(uow.get_setting(SETTINGS_KEY)).to_json()}


def put_settings(uow: UnitOfWork, scope: Scope, body: Any) -> dict[str, Any]:
    """Applies to documents issued from now on: an issued one keeps what it was issued with."""
    require_operator(scope)
    body = require_object(body)
    settings = InvoiceSettings.from_json(uow.get_setting(SETTINGS_KEY)).updated(body)
    uow.put_setting(SETTINGS_KEY, settings.to_json())
    return {"object": "invoice_settings", **settings.to_json()}
