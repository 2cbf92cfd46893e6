"""The invoice half of the money port (SPEC B2, B5); see services/money_port.py for the
contract. Split from uow.py only to keep files short.

What the issuer reads of the lines (a day's lines no document holds yet) is in
line_reads.py, with every other read of them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update

from prorata.adapters.db import line_reads
from prorata.adapters.db.bulk import Codec, json_text, units
from prorata.adapters.db.bulk_write import BulkWriter
from prorata.adapters.db.schema import (
    customers,
    invoice_counter,
    invoice_lines,
    invoices,
    payments,
)
from prorata.adapters.db.session import Session, chunks, utcnow
from prorata.domain.errors import unknown_cursor
from prorata.domain.invoicing import Invoice, InvoiceKind, LineRef
from prorata.domain.model import ChargeLine, Customer, Event
from prorata.ids import new_id
from prorata.services.ports import DuplicateKey, Page

COUNTER = "invoices"
INVOICE_COLUMNS = ("id", "sequence", "number", "kind", "customer_id", "issued_on",
                   "service_date", "currency", "total", "line_count", "parties", "created_at")


def _row_to_invoice(row: Any) -> Invoice:
    return Invoice(id=row.id, sequence=row.sequence, number=row.number,
                   kind=InvoiceKind(row.kind), customer=row.customer_id,
                   issued_on=row.issued_on, service_date=row.service_date,
                   currency=row.currency, total=row.total, parties=dict(row.parties or {}))


class InvoiceStore(Session):
    def lock_invoice_counter(self) -> int:
        """PostgreSQL: the row lock of FOR UPDATE; SQLite ignores FOR UPDATE but every writing
        transaction already holds the database's one write lock (BEGIN IMMEDIATE)."""
        conn = self.connection
        conn.execute(self._upsert_insert(invoice_counter)
                     .values(name=COUNTER, last_sequence=0)
                     .on_conflict_do_nothing(index_elements=[invoice_counter.c.name]))
        return int(conn.execute(
            select(invoice_counter.c.last_sequence).where(invoice_counter.c.name == COUNTER)
            .with_for_update()).scalar_one())

    def set_invoice_counter(self, last_sequence: int) -> None:
        self.connection.execute(update(invoice_counter).where(invoice_counter.c.name == COUNTER)
                                .values(last_sequence=last_sequence))

    def uninvoiced_customers(self, day: date) -> list[str]:
        return line_reads.uninvoiced_customers(self.connection, day)

    def uninvoiced_lines(self, day: date, after: str | None, upto: str | None) -> list[LineRef]:
        return line_reads.uninvoiced(self.connection, day, after, upto)

    def unissued_days(self, since: date, until: date) -> list[date]:
        written = line_reads.written_per_day(self.connection, since, until)
        issued: dict[date, Any] = dict(self.connection.execute(
            select(invoices.c.service_date, func.sum(invoices.c.line_count))
            .where(invoices.c.service_date.between(since, until))
            .group_by(invoices.c.service_date)).all())
        return sorted(day for day, count in written.items() if int(issued.get(day) or 0) < count)

    def add_invoices(self, new: list[Invoice], events: list[Event]) -> None:
        """Driver-level bulk statements (bulk_write.py): the daily run issues one document per
        customer, and SQLAlchemy's per-row processing would cost more than the SQL."""
        if not new:
            return
        codec = Codec(self.connection.dialect)
        stamp = codec.timestamp(utcnow())
        rows = [(inv.id, inv.sequence, inv.number, inv.kind.value, inv.customer,
                 codec.day(inv.issued_on), codec.day(inv.service_date), inv.currency,
                 units(inv.total), len(inv.line_ids), json_text(inv.parties), stamp)
                for inv in new]
        links = [(line, inv.id) for inv in new for line in inv.line_ids]
        writer = BulkWriter(self.connection)
        with self._unique("invoice (sequence or line)"):
            writer.insert_rows(invoices, INVOICE_COLUMNS, rows)
            writer.insert_rows(invoice_lines, ("line_id", "invoice_id"), links)
        for event in events:
            event.id = event.id or new_id("evt")
        written = writer.insert_events([
            (e.id, e.type, e.customer, e.subscription, json_text(e.data), codec.day(e.created_on),
             stamp, e.dedup_key) for e in events])
        if written != len(events):
            raise DuplicateKey("an invoice's event was emitted before")

    def customers_by_id(self, ids: list[str]) -> dict[str, Customer]:
        """Name, registration number and currency: what a document's customer block needs."""
        c = customers.c
        found: dict[str, Customer] = {}
        for part in chunks(sorted(set(ids))):
            for row in self.connection.execute(
                    select(c.id, c.name, c.inn, c.currency, c.reseller_id).where(c.id.in_(part))):
                found[row.id] = Customer(row.id, row.name, reseller=row.reseller_id,
                                         currency=row.currency, inn=row.inn)
        return found

    def get_invoice(self, invoice_id: str) -> Invoice | None:
        row = self.connection.execute(
            select(invoices).where(invoices.c.id == invoice_id)).first()
        return None if row is None else _row_to_invoice(row)

    def list_invoices(self, customer_id: str, limit: int, starting_after: str | None) -> Page:
        """Keyset on the number: an unknown cursor, or another customer's, is refused."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        owner = invoices.c.customer_id == customer_id
        query = select(invoices).where(owner)
        if starting_after is not None:
            cursor = self.connection.execute(select(invoices.c.sequence).where(
                invoices.c.id == starting_after, owner)).scalar()
            if cursor is None:
                raise unknown_cursor(starting_after)
            query = query.where(invoices.c.sequence > cursor)
        rows = self.connection.execute(
            query.order_by(invoices.c.sequence).limit(limit + 1)).all()
        return Page([_row_to_invoice(r) for r in rows[:limit]], len(rows) > limit)

    def invoice_lines(self, invoice_id: str) -> list[ChargeLine]:
        return line_reads.of_invoice(self.connection, invoice_id)

    def owed_before(self, customer_id: str, sequence: int) -> Decimal:
        owed = self.connection.execute(
            select(func.coalesce(func.sum(invoices.c.total), 0))
            .where(invoices.c.customer_id == customer_id, invoices.c.sequence < sequence,
                   invoices.c.kind == InvoiceKind.INVOICE.value, invoices.c.total > 0)).scalar()
        return Decimal(owed or 0)

    def credit_pool(self, customer_id: str) -> Decimal:
        paid = select(func.coalesce(func.sum(payments.c.amount), 0)).where(
            payments.c.customer_id == customer_id).scalar_subquery()
        credited = select(func.coalesce(func.sum(invoices.c.total), 0)).where(
            invoices.c.customer_id == customer_id,
            invoices.c.kind == InvoiceKind.CREDIT_NOTE.value).scalar_subquery()
        row = self.connection.execute(select(paid, credited)).one()
        return Decimal(row[0]) - Decimal(row[1])  # credit notes are negative
