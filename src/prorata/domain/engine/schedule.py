"""When a subscription next needs the daily run. Stored on the subscription as `due_on` so the
scheduler selects its work with one indexed range query instead of one query per rule."""

from __future__ import annotations

from datetime import date, timedelta

from prorata.domain.catalog import MONTHLY_TYPES, NEVER_RENEWS, BillingType, Plan
from prorata.domain.model import Status, Subscription


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
            or sub.billing_type in NEVER_RENEWS):
        return None
    return sub.expires_on - timedelta(days=plan.settings.auto_renewal_point)


def deletion_day(sub: Subscription, plan: Plan) -> date | None:
    """S6, S9: expired past `expired_renewal_days`, or stopped past `stopped_retention_days`."""
    if sub.status is Status.EXPIRED and sub.period_end is not None:
        return sub.period_end + timedelta(days=plan.settings.expired_renewal_days)
    if sub.status is Status.STOPPED and sub.stopped_on is not None:
        return sub.stopped_on + timedelta(days=plan.settings.stopped_retention_days)
    return None


def grace_end_day(sub: Subscription, plan: Plan) -> date | None:
    """S7: the day an unpaid prolongation's grace period ends."""
    if sub.status is not Status.ACTIVE or sub.unpaid_since is None:
        return None
    return sub.unpaid_since + timedelta(days=plan.settings.grace_period_days)


def expiry_day(sub: Subscription) -> date | None:
    """S6: the day after `expires_on`, for a subscription that could expire."""
    if sub.status not in (Status.ACTIVE, Status.STOPPED):
        return None
    return sub.period_end


def expiry_notice_day(sub: Subscription, plan: Plan) -> date | None:
    """R4: `expiry_notice_days` before `expires_on`, once per period (`expiry_noticed` holds
    the period end already announced). A period shorter than the notice is announced on its
    first day. Only a subscription that can still expire (active or stopped) is announced."""
    if sub.status not in (Status.ACTIVE, Status.STOPPED) or sub.period_end is None \
            or sub.expiry_noticed == sub.period_end:
        return None
    day = sub.period_end - timedelta(days=1 + plan.settings.expiry_notice_days)
    return max(day, sub.period_start)


def due_on(sub: Subscription, plan: Plan) -> date | None:
    """The earliest day any daily step has work: each step asks the same functions, so the
    two can never disagree."""
    if sub.status is Status.DELETED:
        return None
    days = [sub.renewal_order.effective_on if sub.renewal_order else None,
            sub.scheduled_switch.effective_on if sub.scheduled_switch else None,
            prolongation_day(sub), auto_renewal_day(sub, plan), expiry_day(sub),
            deletion_day(sub, plan), grace_end_day(sub, plan), expiry_notice_day(sub, plan)]
    present = [d for d in days if d is not None]
    return min(present) if present else None
