"""Payments, payment sessions and refunds (SPEC B3, B6): the records and their rules. A
payment raises the balance; a refund is stored as a negative payment, so it lowers it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from prorata.domain.errors import InvalidInput


class SessionStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    """A payment received. `refunded` counts refunds that succeeded or are still under way:
    money promised back is not refundable a second time."""

    id: str
    customer: str
    amount: Decimal
    currency: str
    method: str  # the gateway's name
    created_on: date
    reference: str | None = None
    session: str | None = None
    refunded: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    customer: str
    gateway: str
    amount: Decimal
    currency: str
    status: SessionStatus
    created_on: date
    redirect_url: str | None = None
    payment: str | None = None
    error_message: str | None = None


@dataclass(frozen=True, slots=True)
class Refund:
    id: str
    payment: str
    customer: str
    gateway: str
    amount: Decimal
    currency: str
    status: RefundStatus
    created_on: date
    reference: str | None = None
    error_message: str | None = None
    created_at: datetime | None = None  # when it was asked for (UTC)


# From which statuses a callback's outcome moves a session. A success after a failure is the
# customer's second try on the same payment page; nothing moves a success (B3: once).
SETTLES: dict[SessionStatus, tuple[SessionStatus, ...]] = {
    SessionStatus.SUCCEEDED: (SessionStatus.PENDING, SessionStatus.FAILED),
    SessionStatus.FAILED: (SessionStatus.PENDING,),
}


def refund_amount(payment: PaymentRecord, requested: Decimal | None) -> Decimal:
    """B3: a refund is positive and never more than what is left of the payment; none given
    means all that is left."""
    left = payment.amount - payment.refunded
    if left <= 0:
        raise InvalidInput("nothing_to_refund", f"payment {payment.id} is refunded in full",
                           "amount")
    if requested is None:
        return left
    if requested <= 0:
        raise InvalidInput("invalid_amount", "a refund must be positive", "amount")
    if requested > left:
        raise InvalidInput("refund_exceeds_payment",
                           f"at most {left} of payment {payment.id} is left to refund",
                           "amount")
    return requested
