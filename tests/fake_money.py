"""The money part of the fake unit of work (invoices, payments, sessions, refunds: SPEC B2,
B3, B5, B6), kept apart like adapters/db/invoices.py and payments.py are. It relies on the
table plumbing of `FakeUnitOfWork` (tests/fakes.py), which mixes it in."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from prorata.adapters.db import mapping as m
from prorata.adapters.db.types import to_units
from prorata.domain.errors import unknown_cursor
from prorata.domain.invoicing import Invoice, InvoiceKind, LineRef
from prorata.domain.model import ChargeLine, Customer, Event
from prorata.domain.payments import PaymentRecord, Refund, RefundStatus, Session, SessionStatus
from prorata.ids import new_id
from prorata.services.ports import DuplicateKey, Page

MONEY_TABLES = ("invoices", "invoice_lines", "invoice_counter", "payment_sessions", "refunds")
_HOLDING = (RefundStatus.PENDING, RefundStatus.SUCCEEDED)


class FakeMoney:
    """Mixed into FakeUnitOfWork; `_insert`, `_rows`, `_items`, `_get`, `_put`, `_db` come
    from it."""

    _insert: Any
    _rows: Any
    _items: Any
    _get: Any
    _put: Any
    _db: Any

    # --- invoices --------------------------------------------------------------------------

    def lock_invoice_counter(self) -> int:
        return int(self._get("invoice_counter", "invoices") or 0)

    def set_invoice_counter(self, last_sequence: int) -> None:
        self._put("invoice_counter", "invoices", last_sequence)

    def _uninvoiced(self, day: date) -> list[Any]:
        taken = set(self._items("invoice_lines"))
        rows = [r for r in self._rows("lines")
                if r["obj"].created_on == day and r["obj"].id not in taken]
        return sorted(rows, key=lambda r: (r["obj"].customer, r["seq"], r["obj"].id))

    def uninvoiced_customers(self, day: date) -> list[str]:
        return sorted({r["obj"].customer for r in self._uninvoiced(day)})

    def uninvoiced_lines(self, day: date, after: str | None, upto: str | None) -> list[LineRef]:
        return [LineRef(ln.id, ln.customer, ln.currency, ln.amount)
                for ln in (r["obj"] for r in self._uninvoiced(day))
                if (after is None or ln.customer > after) and (upto is None or ln.customer <= upto)]

    def unissued_days(self, since: date, until: date) -> list[date]:
        taken = set(self._items("invoice_lines"))
        return sorted({r["obj"].created_on for r in self._rows("lines")
                       if since <= r["obj"].created_on <= until and r["obj"].id not in taken})

    def add_invoices(self, new: list[Invoice], events: list[Event]) -> None:
        sequences = {inv.sequence for inv in self._rows("invoices")}
        taken = set(self._items("invoice_lines"))
        lines = {r["obj"].id for r in self._rows("lines")}
        for inv in new:
            to_units(inv.total)
            if inv.sequence in sequences or taken & set(inv.line_ids):
                raise DuplicateKey("invoice (sequence or line) already exists")
            if not set(inv.line_ids) <= lines or self._get("customers", inv.customer) is None:
                raise LookupError("invoice refers to a row that does not exist")
            sequences.add(inv.sequence)
            taken |= set(inv.line_ids)
        for inv in new:
            self._insert("invoices", inv.id, replace(inv, line_ids=list(inv.line_ids),
                                                     parties=m.jsonable(inv.parties)),
                         f"invoice {inv.id!r}")
            for line in inv.line_ids:
                self._put("invoice_lines", line, inv.id)
        self.add_events(events)  # type: ignore[attr-defined]

    def customers_by_id(self, ids: list[str]) -> dict[str, Customer]:
        found = (self._get("customers", cid) for cid in ids)
        return {c.id: c for c in found if c is not None}

    def get_invoice(self, invoice_id: str) -> Invoice | None:
        inv = self._get("invoices", invoice_id)
        return None if inv is None else replace(inv, line_ids=[])

    def list_invoices(self, customer_id: str, limit: int, starting_after: str | None) -> Page:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        mine = sorted((i for i in self._rows("invoices") if i.customer == customer_id),
                      key=lambda i: i.sequence)
        if starting_after is not None:
            index = next((n for n, i in enumerate(mine) if i.id == starting_after), None)
            if index is None:
                raise unknown_cursor(starting_after)
            mine = mine[index + 1:]
        return Page([replace(i, line_ids=[]) for i in mine[:limit]], len(mine) > limit)

    def invoice_lines(self, invoice_id: str) -> list[ChargeLine]:
        on = {line for line, inv in self._items("invoice_lines").items() if inv == invoice_id}
        rows = sorted((r for r in self._rows("lines") if r["obj"].id in on),
                      key=lambda r: (r["seq"], r["obj"].id))
        return [r["obj"] for r in rows]

    def owed_before(self, customer_id: str, sequence: int) -> Decimal:
        return sum((i.total for i in self._rows("invoices")
                    if i.customer == customer_id and i.sequence < sequence
                    and i.kind is InvoiceKind.INVOICE and i.total > 0), Decimal(0))

    def credit_pool(self, customer_id: str) -> Decimal:
        paid = sum((p["amount"] for p in self._rows("payments")
                    if p["customer"] == customer_id), Decimal(0))
        credited = sum((i.total for i in self._rows("invoices")
                        if i.customer == customer_id and i.kind is InvoiceKind.CREDIT_NOTE),
                       Decimal(0))
        return paid - credited

    # --- payments --------------------------------------------------------------------------

    def add_payment(self, customer_id: str, amount: Decimal, currency: str, created_on: date,
                    method: str = "manual", reference: str | None = None,
                    payment_id: str | None = None, *, session: str | None = None,
                    refund_of: str | None = None) -> str:
        to_units(amount)
        if self._get("customers", customer_id) is None:
            raise LookupError("payment refers to a row that does not exist")
        if session is not None and any(p["session"] == session for p in self._rows("payments")):
            raise DuplicateKey(f"payment of session {session!r} already exists")
        pid = payment_id or new_id("pay")
        row = {"id": pid, "customer": customer_id, "amount": amount, "currency": currency,
               "created_on": created_on, "method": method, "reference": reference,
               "session": session, "refund_of": refund_of, "seq": next(self._db.seq)}
        self._insert("payments", pid, row, f"payment {pid!r}")
        return pid

    def _record(self, row: dict[str, Any]) -> PaymentRecord:
        refunded = sum((r.amount for r in self._rows("refunds")
                        if r.payment == row["id"] and r.status in _HOLDING), Decimal(0))
        return PaymentRecord(row["id"], row["customer"], row["amount"], row["currency"],
                             row["method"], row["created_on"], row["reference"],
                             row["session"], refunded)

    def get_payment(self, payment_id: str, *, for_update: bool = False) -> PaymentRecord | None:
        row = self._get("payments", payment_id)
        return None if row is None or row["refund_of"] is not None else self._record(row)

    def list_payments(self, customer_id: str, limit: int, starting_after: str | None) -> Page:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        mine = sorted((p for p in self._rows("payments")
                       if p["customer"] == customer_id and p["refund_of"] is None),
                      key=lambda p: (p["seq"], p["id"]))
        if starting_after is not None:
            index = next((n for n, p in enumerate(mine) if p["id"] == starting_after), None)
            if index is None:
                raise unknown_cursor(starting_after)
            mine = mine[index + 1:]
        return Page([self._record(p) for p in mine[:limit]], len(mine) > limit)

    # --- sessions and refunds --------------------------------------------------------------

    def add_payment_session(self, session: Session) -> None:
        to_units(session.amount)
        self._insert("payment_sessions", session.id, session, f"session {session.id!r}")

    def get_payment_session(self, session_id: str) -> Session | None:
        return self._get("payment_sessions", session_id)  # type: ignore[no-any-return]

    def settle_payment_session(self, session_id: str, allowed: tuple[SessionStatus, ...],
                       status: SessionStatus, payment: str | None,
                       message: str | None) -> bool:
        session = self.get_payment_session(session_id)
        if session is None or session.status not in allowed:
            return False
        self._put("payment_sessions", session_id,
                  replace(session, status=status, payment=payment, error_message=message))
        return True

    def add_refund(self, refund: Refund) -> None:
        to_units(refund.amount)
        stored = replace(refund, created_at=refund.created_at or datetime.now(UTC))
        self._insert("refunds", refund.id, stored, f"refund {refund.id!r}")

    def get_refund(self, refund_id: str) -> Refund | None:
        return self._get("refunds", refund_id)  # type: ignore[no-any-return]

    def settle_refund(self, refund_id: str, status: RefundStatus, reference: str | None,
                      message: str | None) -> bool:
        refund = self.get_refund(refund_id)
        if refund is None or refund.status is not RefundStatus.PENDING:
            return False
        self._put("refunds", refund_id, replace(refund, status=status, reference=reference,
                                                error_message=message))
        return True

    def refunds_of(self, payment_id: str) -> list[Refund]:
        return sorted((r for r in self._rows("refunds") if r.payment == payment_id),
                      key=lambda r: (r.created_at, r.id))

    def pending_refunds(self, limit: int) -> list[Refund]:
        pending = [r for r in self._rows("refunds") if r.status is RefundStatus.PENDING]
        return copy.copy(sorted(pending, key=lambda r: (r.created_at, r.id))[:limit])
