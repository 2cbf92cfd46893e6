"""Pay-as-you-go consumption (SPEC B4): importing usage records and the consumption
analytics. The rating is in usage_rating.py (the daily run's part).

One import is one unit of work: records are checked as they stream in and written in chunks
inside its transaction, so a bad record anywhere refuses the whole import and nothing of it
stays (the caller does not commit); memory holds one chunk, whatever the file's size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

from prorata.domain.catalog import BillingType
from prorata.domain.errors import InvalidInput
from prorata.domain.model import Event, Subscription
from prorata.domain.money import format_amount, format_price
from prorata.domain.usage import (
    RecordChecker,
    RecordRules,
    by_billing_month,
    format_scaled,
    unscaled,
)
from prorata.ids import new_id
from prorata.services.inputs import OutOfScope, missing
from prorata.services.ports import Scope

CHUNK = 20_000  # records per bulk write: ~5 MB of tuples


def _payg_subscription(uow: Any, scope: Scope, sub_id: str) -> tuple[Subscription, Any]:
    sub = uow.get_subscription(scope, sub_id)
    if sub is None:
        raise missing("subscription", sub_id, "id")
    plan = uow.get_plan(sub.plan)
    if plan is None or plan.billing_type is not BillingType.PAYG:
        raise InvalidInput("not_payg",
                           f"subscription {sub_id} is not pay-as-you-go: it takes no usage", None)
    return sub, plan


def record_rules(sub: Subscription, meters: Iterable[str], today: date) -> RecordRules:
    """Records are dated from the purchase to today, and before the period end if any."""
    last = today if sub.period_end is None else min(today, sub.period_end - timedelta(days=1))
    return RecordRules(sub.id, sub.customer, frozenset(meters), sub.start_date, last)


def import_usage(uow: Any, scope: Scope, sub_id: str, records: Iterable[tuple[Any, ...]],
                 today: date, *, fields: bool = True) -> dict[str, Any]:
    """Managers import (the vendor's data, not the customer's say). Answers how many records
    were new and how many were already imported (same id on this subscription)."""
    if not scope.is_manager:
        raise OutOfScope()
    sub, plan = _payg_subscription(uow, scope, sub_id)
    checker = RecordChecker(record_rules(sub, (r.id for r in plan.resources), today))
    writer = uow.usage_writer()
    total = 0
    first: str | None = None
    last: str | None = None
    stream = iter(records)
    while chunk := checker.check_many(islice(stream, CHUNK), fields):
        total += len(chunk)
        first, last = _span(chunk, first, last)
        writer.add(chunk)
    accepted = writer.finish()
    if accepted and first is not None:
        uow.mark_usage_pending(sub.id, sub.customer, date.fromisoformat(first))
    import_id = new_id("ui")
    result = {"object": "usage_import", "id": import_id, "subscription": sub.id,
              "records": total, "accepted": accepted, "duplicates": total - accepted}
    uow.add_events([Event(
        "consumption_processed", customer=sub.customer, subscription=sub.id, created_on=today,
        dedup_key=f"consumption_processed:{import_id}", data={
            "import": import_id, "records": total, "accepted": accepted,
            "duplicates": total - accepted,
            "first_date": first, "last_date": last})])
    return result


def _span(rows: list[Any], first: str | None, last: str | None) -> tuple[str, str]:
    """The first and last record dates (ISO text sorts like the dates)."""
    days = [r[3] for r in rows]
    low, high = min(days), max(days)
    return (low if first is None else min(first, low)), (high if last is None else max(last, high))


# --- analytics ---------------------------------------------------------------------------------

def _rows(uow: Any, sub: Subscription, billing_day: int, currency: str,
          with_subscription: bool) -> list[dict[str, Any]]:
    buckets = by_billing_month(uow.usage_daily_sums(sub.id), billing_day)
    charged: defaultdict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
    for month, meter, category, amount in uow.usage_charged(sub.id):
        charged[(month, meter, category)] += amount
    out = []
    for b in buckets:
        row = {"month": b.month.isoformat(), "meter": b.meter, "category": b.category,
               "quantity": format_scaled(b.quantity), "cost": format_price(unscaled(b.cost)),
               "amount": format_amount(charged[(b.month, b.meter, b.category)], currency),
               "currency": currency, "records": b.records}
        if with_subscription:
            row = {"subscription": sub.id} | row
        out.append(row)
    return out


def subscription_consumption(uow: Any, scope: Scope, sub_id: str) -> dict[str, Any]:
    """By billing month (of the customer's billing day), meter and category: `quantity` and
    `cost` of every record imported, `amount` what usage lines charged so far (a month not yet
    billed shows "0.00")."""
    sub = uow.get_subscription(scope, sub_id)
    if sub is None:
        raise missing("subscription", sub_id, "id")
    customer = uow.get_customer(scope, sub.customer)
    if customer is None:  # pragma: no cover - a visible subscription has a visible customer
        raise missing("subscription", sub_id, "id")
    data = _rows(uow, sub, customer.billing_day, customer.currency, False)
    return {"object": "list", "data": data, "has_more": False}


def customer_consumption(uow: Any, scope: Scope, customer_id: str) -> dict[str, Any]:
    """Every subscription of the customer, each row naming its subscription (two plans may
    have meters of the same name that measure different things)."""
    customer = uow.get_customer(scope, customer_id)
    if customer is None:
        raise missing("customer", customer_id, "id")
    data: list[dict[str, Any]] = []
    with_usage = uow.usage_subscriptions(uow.subscriptions_of(customer.id))
    for sub_id in sorted(with_usage):
        sub = uow.get_subscription(scope, sub_id)
        if sub is not None:
            data += _rows(uow, sub, customer.billing_day, customer.currency, True)
    data.sort(key=lambda r: (r["month"], r["subscription"], r["meter"], r["category"]))
    return {"object": "list", "data": data, "has_more": False}
