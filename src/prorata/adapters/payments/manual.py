"""The `manual` gateway (SPEC B3): money that moves outside Prorata — a bank transfer, cash —
recorded by a manager (`POST /v1/customers/{id}/payments`). It has no payment page and sends
no callbacks; a refund is money the manager gives back by hand and records here."""

from __future__ import annotations

from decimal import Decimal

from prorata.adapters.payments import Gateway, Payment


class ManualGateway(Gateway):
    title = "Recorded by a manager"

    def refund(self, payment: Payment, amount: Decimal, refund_id: str) -> str | None:
        return None  # nothing to call: the manager returned the money and records that here
