"""Charging consumption in arrears (SPEC B4): on a customer's billing day every record dated
before it that is not charged yet — the past billing month's, and late ones of months already
billed — becomes `usage` lines, one per billing month, meter and category, rated on the
aggregate and rounded once (T5), in the customer's currency at the day's rate (T6), at the
price the subscription keeps (C8).

Exactly once, from the database: a subscription's records are claimed by a conditional
UPDATE (`charged_on` set where it is still empty) in the transaction that writes the lines,
and every line has a row in `usage_charges` whose unique key (subscription, billing day,
month, meter, category) refuses a second charge for the same day by a concurrent run. A
subscription whose lines cannot be made (no exchange rate) keeps its records uncharged: they
are charged on a later billing day, never lost."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date
from typing import Any

from prorata.domain.catalog import Plan
from prorata.domain.engine.context import RateTable
from prorata.domain.engine.pricing import Pricer
from prorata.domain.errors import DomainError
from prorata.domain.usage import by_billing_month, usage_line
from prorata.ids import new_id
from prorata.services.ports import OPERATOR, DuplicateKey

log = logging.getLogger(__name__)


def _rates(uow: Any, plan: Plan, currency: str) -> RateTable:
    if plan.currency == currency:
        return RateTable()
    return RateTable({(plan.currency, currency): uow.rates(plan.currency, currency)})


def rate_subscription(uow: Any, sub_id: str, day: date) -> int:
    """The lines of one subscription for billing day `day`, in the caller's unit of work;
    answers how many lines were written."""
    if not uow.lock_usage_pending(sub_id):
        return 0  # a concurrent run charged it
    sub = uow.get_subscription(OPERATOR, sub_id)
    plan = None if sub is None else uow.get_plan(sub.plan)
    customer = None if sub is None else uow.get_customer(OPERATOR, sub.customer)
    if sub is None or plan is None or customer is None or uow.claim_usage(sub_id, day) == 0:
        return 0
    buckets = by_billing_month(uow.usage_daily_sums(sub_id, charged_on=day),
                               customer.billing_day)
    pricer = Pricer(customer.currency, customer.billing_day,
                    _rates(uow, plan, customer.currency), day)
    lines, charges = [], []
    for bucket in buckets:
        line = usage_line(pricer, sub, plan, bucket)
        line_id = None
        if line.amount != 0:
            line_id = new_id("ln")
            lines.append(replace(line, id=line_id, customer=sub.customer, subscription=sub.id,
                                 created_on=day))
        charges.append({
            "id": new_id("uc"), "subscription_id": sub.id, "customer_id": sub.customer,
            "charged_on": day, "month": bucket.month, "meter": bucket.meter,
            "category": bucket.category, "quantity": bucket.quantity, "cost": bucket.cost,
            "records": bucket.records, "amount": line.amount, "currency": line.currency,
            "line_id": line_id})
    uow.add_usage_charges(charges)
    uow.add_lines(lines)
    return len(lines)


def rate_day(database: Any, day: date) -> dict[str, int]:
    """Every subscription whose customer has its billing day on `day`, one transaction each so
    that one subscription's failure holds up no other."""
    with database.uow(read_only=True) as uow:
        due = uow.usage_due(day)
    written = 0
    for sub_id in due:
        try:
            with database.uow() as uow:
                count = rate_subscription(uow, sub_id, day)
                uow.commit()
            written += count
        except DuplicateKey:
            log.info("usage of %s for %s was charged by a concurrent run", sub_id, day)
        except DomainError as exc:
            log.warning("usage of %s not charged on %s: %s", sub_id, day, exc)
    return {"usage_lines": written} if written else {}
