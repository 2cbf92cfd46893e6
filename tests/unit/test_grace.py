"""SPEC S7 grace period: an unpaid prolongation keeps the service for grace_period_days."""

from dataclasses import replace
from datetime import date
from decimal import Decimal
from itertools import count

from prorata.domain.engine import SYSTEM, Context, RateTable, purchase, run_day
from prorata.domain.model import Customer, Status
from tests.unit.builders import make_plan

BOUGHT = date(2024, 8, 20)
_n = count()


def _new_id(prefix: str) -> str:
    return f"{prefix}_{next(_n)}"


def _bought(grace: int, limit: str | None):
    plan = make_plan("monthly", periods=["P1Y"], settings={"grace_period_days": grace})
    cust = Customer("c1", "Acme", credit_limit=None if limit is None else Decimal(limit))
    sub = purchase(cust, plan, {"resources": {"seats": 10}}, BOUGHT, SYSTEM, RateTable(),
                   _new_id, "s1").subscription
    return plan, cust, sub


def _day(plan, cust, sub, day, balance):
    ctx = Context(day, sub, plan, cust, SYSTEM, _new_id, plans={plan.id: plan},
                  balance=None if balance is None else Decimal(balance))
    return run_day(ctx)


def test_without_a_credit_limit_a_prolongation_is_never_unpaid():
    # SPEC S7 / DESIGN: customers without a credit limit are invoiced.
    plan, cust, sub = _bought(0, None)
    [d] = _day(plan, cust, sub, date(2024, 9, 1), "-100000")
    assert d.subscription.status is Status.ACTIVE and d.lines[0].amount == Decimal("60.00")


def test_no_grace_stops_at_once_without_charging():
    # SPEC S7: grace_period_days 0 → stopped for non-payment on the billing day.
    plan, cust, sub = _bought(0, "50")
    [d] = _day(plan, cust, sub, date(2024, 9, 1), "-23.23")  # −23.23 − 60 < −50
    assert d.subscription.status is Status.STOPPED and d.lines == []
    assert d.operation.params == {"reason": "non_payment"}


def test_grace_keeps_the_service_then_stops_with_a_refund():
    # SPEC S7: the service keeps running for the grace days, then stops for non-payment.
    plan, cust, sub = _bought(5, "50")
    [d] = _day(plan, cust, sub, date(2024, 9, 1), "-23.23")
    sub = d.subscription
    assert sub.status is Status.ACTIVE and sub.unpaid_since == date(2024, 9, 1)
    assert sub.due_on == date(2024, 9, 6)
    [stop] = _day(plan, cust, sub, date(2024, 9, 6), "-83.23")
    assert stop.subscription.status is Status.STOPPED
    assert stop.lines[0].amount == -(Decimal(60) * 25 / 30).quantize(Decimal("0.01"))


def test_paid_within_grace_keeps_running():
    # SPEC S7: paid before the grace ends → nothing happens.
    plan, cust, sub = _bought(5, "50")
    [d] = _day(plan, cust, sub, date(2024, 9, 1), "-23.23")
    [cleared] = _day(plan, cust, replace(d.subscription), date(2024, 9, 6), "0")
    assert cleared.subscription.status is Status.ACTIVE
    assert cleared.subscription.unpaid_since is None
