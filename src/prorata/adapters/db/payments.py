"""The payment half of the money port (SPEC B3, B6): payments, payment sessions and refunds;
see services/money_port.py for the contract. Exactly once comes from the database: a session
moves out of `pending` by one conditional UPDATE, its payment row is unique per session, and a
refund is settled by one conditional UPDATE too."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update

from prorata.adapters.db.schema import payment_sessions, payments, refunds
from prorata.adapters.db.session import Session, utcnow
from prorata.adapters.db.types import to_units
from prorata.domain.payments import (
    PaymentRecord,
    Refund,
    RefundStatus,
    SessionStatus,
)
from prorata.domain.payments import Session as PaymentSession
from prorata.ids import new_id
from prorata.services.ports import Page

# Refunds that hold part of a payment: done, or under way.
_HOLDING = (RefundStatus.PENDING.value, RefundStatus.SUCCEEDED.value)


def _payment(row: Any, refunded: Decimal) -> PaymentRecord:
    return PaymentRecord(id=row.id, customer=row.customer_id, amount=row.amount,
                         currency=row.currency, method=row.method, created_on=row.created_on,
                         reference=row.reference, session=row.session_id, refunded=refunded)


def _session(row: Any) -> PaymentSession:
    return PaymentSession(id=row.id, customer=row.customer_id, gateway=row.gateway,
                          amount=row.amount, currency=row.currency,
                          status=SessionStatus(row.status), created_on=row.created_on,
                          redirect_url=row.redirect_url, payment=row.payment_id,
                          error_message=row.error_message)


def _refund(row: Any) -> Refund:
    return Refund(id=row.id, payment=row.payment_id, customer=row.customer_id,
                  gateway=row.gateway, amount=row.amount, currency=row.currency,
                  status=RefundStatus(row.status), created_on=row.created_on,
                  reference=row.reference, error_message=row.error_message,
                  created_at=_utc(row.created_at))


def _utc(stamp: datetime | None) -> datetime | None:
    """SQLite hands timestamps back naive; they were written in UTC."""
    return stamp.replace(tzinfo=UTC) if stamp is not None and stamp.tzinfo is None else stamp


class PaymentStore(Session):
    # --- payments --------------------------------------------------------------------------

    def add_payment(self, customer_id: str, amount: Decimal, currency: str, created_on: date,
                    method: str = "manual", reference: str | None = None,
                    payment_id: str | None = None, *, session: str | None = None,
                    refund_of: str | None = None) -> str:
        to_units(amount)
        pid = payment_id or new_id("pay")
        row = {"id": pid, "customer_id": customer_id, "amount": amount, "currency": currency,
               "created_on": created_on, "method": method, "reference": reference,
               "session_id": session, "refund_of": refund_of}
        self._insert_unique(payments, [row], f"payment {pid!r} (or of session {session!r})")
        return pid

    def _refunded(self, payment_ids: Iterable[str]) -> dict[str, Decimal]:
        ids = list(payment_ids)
        if not ids:
            return {}
        rows = self.connection.execute(
            select(refunds.c.payment_id, func.sum(refunds.c.amount))
            .where(refunds.c.payment_id.in_(ids), refunds.c.status.in_(_HOLDING))
            .group_by(refunds.c.payment_id)).all()
        return {pid: Decimal(total or 0) for pid, total in rows}

    def get_payment(self, payment_id: str, *, for_update: bool = False) -> PaymentRecord | None:
        query = select(payments).where(payments.c.id == payment_id,
                                       payments.c.refund_of.is_(None))
        if for_update:
            query = query.with_for_update()
        row = self.connection.execute(query).first()
        if row is None:
            return None
        return _payment(row, self._refunded([row.id]).get(row.id, Decimal(0)))

    def list_payments(self, customer_id: str, limit: int, starting_after: str | None) -> Page:
        owner = (payments.c.customer_id == customer_id) & payments.c.refund_of.is_(None)
        page = self._page(select(payments).where(owner), payments, owner, starting_after, limit,
                          newest_first=False, convert=lambda row: row)
        refunded = self._refunded(row.id for row in page.items)
        return Page([_payment(row, refunded.get(row.id, Decimal(0))) for row in page.items],
                    page.has_more)

    # --- payment sessions ------------------------------------------------------------------

    def add_payment_session(self, session: PaymentSession) -> None:
        stamp = utcnow()
        row = {"id": session.id, "customer_id": session.customer, "gateway": session.gateway,
               "amount": session.amount, "currency": session.currency,
               "status": session.status.value, "redirect_url": session.redirect_url,
               "payment_id": session.payment, "error_message": session.error_message,
               "created_on": session.created_on, "created_at": stamp, "updated_at": stamp}
        self._insert_unique(payment_sessions, [row], f"payment session {session.id!r}")

    def get_payment_session(self, session_id: str) -> PaymentSession | None:
        row = self.connection.execute(
            select(payment_sessions).where(payment_sessions.c.id == session_id)).first()
        return None if row is None else _session(row)

    def settle_payment_session(self, session_id: str, allowed: tuple[SessionStatus, ...],
                       status: SessionStatus, payment: str | None,
                       message: str | None) -> bool:
        """On PostgreSQL a concurrent callback's UPDATE waits for this one's transaction and
        then re-checks the status: at most one of them moves the session."""
        result = self.connection.execute(
            update(payment_sessions)
            .where(payment_sessions.c.id == session_id,
                   payment_sessions.c.status.in_([s.value for s in allowed]))
            .values(status=status.value, payment_id=payment, error_message=message,
                    updated_at=utcnow()))
        return bool(result.rowcount == 1)

    # --- refunds ---------------------------------------------------------------------------

    def add_refund(self, refund: Refund) -> None:
        stamp = utcnow()
        row = {"id": refund.id, "payment_id": refund.payment, "customer_id": refund.customer,
               "gateway": refund.gateway, "amount": refund.amount, "currency": refund.currency,
               "status": refund.status.value, "reference": refund.reference,
               "error_message": refund.error_message, "created_on": refund.created_on,
               "created_at": refund.created_at or stamp, "updated_at": stamp}
        self._insert_unique(refunds, [row], f"refund {refund.id!r}")

    def get_refund(self, refund_id: str) -> Refund | None:
        row = self.connection.execute(select(refunds).where(refunds.c.id == refund_id)).first()
        return None if row is None else _refund(row)

    def settle_refund(self, refund_id: str, status: RefundStatus, reference: str | None,
                      message: str | None) -> bool:
        result = self.connection.execute(
            update(refunds)
            .where(refunds.c.id == refund_id, refunds.c.status == RefundStatus.PENDING.value)
            .values(status=status.value, reference=reference, error_message=message,
                    updated_at=utcnow()))
        return bool(result.rowcount == 1)

    def refunds_of(self, payment_id: str) -> list[Refund]:
        rows = self.connection.execute(
            select(refunds).where(refunds.c.payment_id == payment_id)
            .order_by(refunds.c.created_at, refunds.c.id)).all()
        return [_refund(r) for r in rows]

    def pending_refunds(self, limit: int) -> list[Refund]:
        rows = self.connection.execute(
            select(refunds).where(refunds.c.status == RefundStatus.PENDING.value)
            .order_by(refunds.c.created_at, refunds.c.id).limit(limit)).all()
        return [_refund(r) for r in rows]
