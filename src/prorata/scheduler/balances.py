"""Balances for the grace period (S7), loaded only for customers with a credit limit: the
others are invoiced and never unpaid, so the run does not pay for summing their ledgers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from prorata.adapters.db.schema import charge_lines, payments
from prorata.domain.model import Customer


def load_balances(conn: Any, customers: dict[str, Customer]) -> dict[str, Decimal]:
    """payments − charge lines, for the customers that have a credit limit."""
    limited = [c.id for c in customers.values() if c.credit_limit is not None]
    if not limited:
        return {}
    out = {cid: Decimal(0) for cid in limited}
    for cid, paid in conn.execute(select(payments.c.customer_id, func.sum(payments.c.amount))
                                  .where(payments.c.customer_id.in_(limited))
                                  .group_by(payments.c.customer_id)):
        out[cid] += Decimal(paid or 0)
    for cid, charged in conn.execute(
            select(charge_lines.c.customer_id, func.sum(charge_lines.c.amount))
            .where(charge_lines.c.customer_id.in_(limited))
            .group_by(charge_lines.c.customer_id)):
        out[cid] -= Decimal(charged or 0)
    return out
