"""Balances for the grace period (S7), loaded only for customers with a credit limit: the
others are invoiced and never unpaid, so the run does not pay for summing their ledgers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from prorata.adapters.db import line_reads
from prorata.adapters.db.schema import payments
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
    for cid, charged in line_reads.charged_by_customer(conn, limited).items():
        out[cid] -= charged
    return out


class RunBalances:
    """The run's own view of the balances above, carried from batch to batch.

    A customer's balance is read from the database the first time the run meets the customer;
    from then on the run subtracts its own charges in memory. So a batch sees the charges of
    the run's earlier batches even while the writer thread is still committing them (the
    database would not show them yet). A payment that arrives mid-run counts from the next
    run on, as one arriving just after the run would. `forget()` when a batch lost a race:
    every earlier batch is committed by then, and reading the balances again also picks up
    what the concurrent run charged."""

    def __init__(self) -> None:
        self.known: dict[str, Decimal] = {}

    def for_customers(self, conn: Any, customers: dict[str, Customer]) -> dict[str, Decimal]:
        """The running balances, now including every customer of `customers` with a credit
        limit. The caller subtracts each decision's charges from the dict it gets."""
        new = {cid: c for cid, c in customers.items() if cid not in self.known}
        if new:
            self.known.update(load_balances(conn, new))
        return self.known

    def forget(self) -> None:
        self.known.clear()
