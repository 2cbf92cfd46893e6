"""Payments (SPEC B3): recorded by a manager (the built-in `manual` gateway) or by a gateway's
callback (checkout.py), listed and read per customer; a payment raises the balance — and so
settles an unpaid prolongation before its grace period ends (S7)."""

from __future__ import annotations

from datetime import date
from typing import Any

from prorata.domain.errors import InvalidInput
from prorata.domain.model import Event
from prorata.domain.money import format_amount, minor_unit, parse_decimal
from prorata.domain.payments import PaymentRecord, Refund
from prorata.services.inputs import OutOfScope, missing, require_object, text
from prorata.services.ports import Page, Scope, UnitOfWork


def payment_to_dict(p: PaymentRecord) -> dict[str, Any]:
    return {"id": p.id, "object": "payment", "customer": p.customer,
            "amount": format_amount(p.amount, p.currency), "currency": p.currency,
            "method": p.method, "gateway": p.method, "reference": p.reference,
            "session": p.session, "created_on": p.created_on.isoformat(),
            "refunded": format_amount(p.refunded, p.currency)}


def refund_to_dict(r: Refund) -> dict[str, Any]:
    error = None if r.error_message is None else {"code": "gateway_error",
                                                  "message": r.error_message}
    return {"id": r.id, "object": "refund", "payment": r.payment, "customer": r.customer,
            "gateway": r.gateway, "amount": format_amount(r.amount, r.currency),
            "currency": r.currency, "status": r.status.value, "reference": r.reference,
            "created_on": r.created_on.isoformat(), "error": error}


def succeeded_event(p: PaymentRecord, today: date) -> Event:
    return Event("payment_succeeded", customer=p.customer, created_on=today,
                 dedup_key=f"payment_succeeded:{p.id}", data={
                     "payment": p.id, "amount": format_amount(p.amount, p.currency),
                     "currency": p.currency, "gateway": p.method, "session": p.session,
                     "reference": p.reference})


def positive_amount(raw: Any, currency: str, what: str = "a payment") -> Any:
    amount = parse_decimal(raw, "amount", places=minor_unit(currency))
    if amount <= 0:
        raise InvalidInput("invalid_amount", f"{what} must be positive", "amount")
    return amount


def record_payment(uow: UnitOfWork, scope: Scope, customer_id: str, body: Any,
                   today: date) -> dict[str, Any]:
    """POST /v1/customers/{id}/payments: a manager books money received by hand."""
    body = require_object(body)
    if not scope.is_manager:
        raise OutOfScope()  # a customer pays through a gateway, it does not book payments
    customer = uow.get_customer(scope, customer_id)
    if customer is None:
        raise missing("customer", customer_id, "id")
    currency = body.get("currency") or customer.currency
    if currency != customer.currency:
        raise InvalidInput("currency_mismatch",
                           f"{customer.id} is billed in {customer.currency}", "currency")
    amount = positive_amount(body.get("amount"), currency)
    reference = text(body, "reference", required=False)
    payment_id = uow.add_payment(customer.id, amount, currency, today, method="manual",
                                 reference=reference)
    payment = PaymentRecord(payment_id, customer.id, amount, currency, "manual", today,
                            reference)
    uow.add_events([succeeded_event(payment, today)])
    return payment_to_dict(payment) | {
        "balance": format_amount(uow.balance(customer.id), currency)}


def scoped_payment(uow: UnitOfWork, scope: Scope, payment_id: str, *,
                   for_update: bool = False) -> PaymentRecord:
    payment = uow.get_payment(payment_id, for_update=for_update)
    if payment is None or uow.get_customer(scope, payment.customer) is None:
        raise missing("payment", payment_id, "id")  # P2: out of scope looks like unknown
    return payment


def get_payment(uow: UnitOfWork, scope: Scope, payment_id: str) -> dict[str, Any]:
    payment = scoped_payment(uow, scope, payment_id)
    return payment_to_dict(payment) | {
        "refunds": [refund_to_dict(r) for r in uow.refunds_of(payment.id)]}


def list_payments(uow: UnitOfWork, scope: Scope, customer_id: str, limit: int,
                  starting_after: str | None) -> Page:
    """GET /v1/customers/{id}/payments: oldest first; refunds show on their payment."""
    if uow.get_customer(scope, customer_id) is None:
        raise missing("customer", customer_id, "id")
    page = uow.list_payments(customer_id, limit, starting_after)
    return Page([payment_to_dict(p) for p in page.items], page.has_more)
