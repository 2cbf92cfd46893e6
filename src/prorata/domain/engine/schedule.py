"""When a subscription next needs the daily run. Stored on the subscription as `due_on` so the
scheduler selects its work with one indexed range query instead of one query per rule."""

from __future__ import annotations

from datetime import date, timedelta

from prorata.domain.catalog import MONTHLY_TYPES, BillingType, Plan
from prorata.domain.model import Status, Subscription

NEVER_RENEW = frozenset({BillingType.NON_RECURRING, BillingType.TRIAL, BillingType.PAYG})


def is_prolonged(sub: Subscription) -> bool:
    """S7, S9: monthly types are prolonged while active; a stopped monthly_commitment keeps
    being charged to term end."""
    if sub.billing_type not in MONTHLY_TYPES:
        return False
    return sub.status is Status.ACTIVE or (
        sub.status is Status.STOPPED and sub.billing_type is BillingType.MONTHLY_COMMITMENT)


def prolongation_day(sub: Subscription) -> date | None:
    if not is_prolonged(sub) or sub.charged_until is None:
        return None
    if sub.period_end is not None and sub.charged_until >= sub.period_end:
        return None
    return sub.charged_until


def auto_renewal_day(sub: Subscription, plan: Plan) -> date | None:
    if (sub.status is not Status.ACTIVE or not sub.auto_renew or sub.expires_on is None
            or sub.renewal_order is not None or sub.scheduled_switch is not None
            or sub.billing_type in NEVER_RENEW):
        return None
    return sub.expires_on - timedelta(days=plan.settings.auto_renewal_point)


def due_on(sub: Subscription, plan: Plan) -> date | None:
    days: list[date] = []
    if sub.status is Status.DELETED:
        return None
    if sub.renewal_order is not None:
        days.append(sub.renewal_order.effective_on)
    if sub.scheduled_switch is not None:
        days.append(sub.scheduled_switch.effective_on)
    for day in (prolongation_day(sub), auto_renewal_day(sub, plan)):
        if day is not None:
            days.append(day)
    if sub.status in (Status.ACTIVE, Status.STOPPED) and sub.period_end is not None:
        days.append(sub.period_end)
    if sub.status is Status.EXPIRED and sub.period_end is not None:
        days.append(sub.period_end + timedelta(days=plan.settings.expired_renewal_days))
    if sub.status is Status.ACTIVE and sub.unpaid_since is not None:
        days.append(sub.unpaid_since + timedelta(days=plan.settings.grace_period_days))
    if sub.status is Status.STOPPED and sub.stopped_on is not None:
        days.append(sub.stopped_on + timedelta(days=plan.settings.stopped_retention_days))
    return min(days) if days else None
