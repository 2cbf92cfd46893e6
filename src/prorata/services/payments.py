"""Manual payments (the built-in `manual` gateway of SPEC B3): a manager records money
received, which raises the customer's balance — and so settles an unpaid prolongation before
its grace period ends (S7)."""

from __future__ import annotations

from datetime import date
from typing import Any

from prorata.domain.errors import InvalidInput
from prorata.domain.money import format_amount, minor_unit, parse_decimal
from prorata.services.inputs import OutOfScope, missing, require_object, text
from prorata.services.ports import Scope, UnitOfWork


def record_payment(uow: UnitOfWork, scope: Scope, customer_id: str, body: Any,
                   today: date) -> dict[str, Any]:
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
    amount = parse_decimal(body.get("amount"), "amount", places=minor_unit(currency))
    if amount <= 0:
        raise InvalidInput("invalid_amount", "a payment must be positive", "amount")
    reference = text(body, "reference", required=False)
    payment_id = uow.add_payment(customer.id, amount, currency, today, method="manual",
                                 reference=reference)
    return {"id": payment_id, "object": "payment", "customer": customer.id,
            "amount": format_amount(amount, currency), "currency": currency,
            "method": "manual", "reference": reference, "created_on": today.isoformat(),
            "balance": format_amount(uow.balance(customer.id), currency)}
