"""SPEC S2: the one function that says which operations a subscription may take today and,
for each that it may not, the code that says why. The API, the control panel and the scheduler
all ask it; `decide` refuses with the same codes."""

from __future__ import annotations

from datetime import timedelta

from prorata.domain import errors as E
from prorata.domain.catalog import MONTHLY_TYPES, NEVER_RENEWS, BillingType
from prorata.domain.engine.context import Context
from prorata.domain.model import TRANSITIONAL, Status

OPERATIONS = ("change_resources", "renew", "prolong", "switch_plan", "stop", "activate",
              "delete", "change_renewal_options", "cancel_switch", "approve", "reject")
RESTRICTED_OPERATIONS = frozenset({"change_resources", "renew", "switch_plan"})  # P6


def availability(ctx: Context) -> dict[str, str | None]:
    """Every operation mapped to None (available) or the refusal code."""
    return {op: refusal(ctx, op) for op in OPERATIONS}


def available_operations(ctx: Context) -> list[str]:
    return [op for op, code in availability(ctx).items() if code is None]


def refusal(ctx: Context, op: str) -> str | None:
    sub = ctx.subscription
    if sub.status is Status.DELETED:
        return E.SUBSCRIPTION_DELETED
    if sub.status in TRANSITIONAL:
        return E.SUBSCRIPTION_BUSY  # S1
    if op == "change_renewal_options":
        return None if sub.renewal_order is not None else E.NO_RENEWAL_ORDER
    if sub.locked:
        return E.SUBSCRIPTION_LOCKED  # S5.4: a waiting renewal order locks everything else
    code = _CHECKS[op](ctx)
    if code is None and op in RESTRICTED_OPERATIONS and ctx.restricted:
        return E.RESTRICTED_PARTY
    return code


def _change_resources(ctx: Context) -> str | None:
    sub = ctx.subscription
    if sub.billing_type in (BillingType.PAYG, BillingType.TRIAL):
        return E.NOT_SUPPORTED
    if sub.status is not Status.ACTIVE:
        return E.SUBSCRIPTION_NOT_ACTIVE
    if sub.scheduled_switch is not None:
        return E.SWITCH_ALREADY_SCHEDULED
    return None


def _renew(ctx: Context) -> str | None:
    sub, settings = ctx.subscription, ctx.plan.settings
    if sub.billing_type is BillingType.TRIAL:
        return E.TRIAL_ONLY_SWITCH
    if sub.billing_type in NEVER_RENEWS:
        return E.NOT_RENEWABLE
    if sub.period_end is None or sub.expires_on is None:
        return E.ENDLESS
    if sub.status is Status.EXPIRED:
        closes = sub.period_end + timedelta(days=settings.expired_renewal_days)
        return None if ctx.today < closes else E.RENEWAL_WINDOW_CLOSED  # S6
    if sub.status is not Status.ACTIVE:
        return E.SUBSCRIPTION_NOT_ACTIVE
    if sub.scheduled_switch is not None:
        return E.SWITCH_ALREADY_SCHEDULED
    opens = sub.expires_on - timedelta(days=settings.manual_renewal_point)
    return None if ctx.today >= opens else E.NOT_IN_RENEWAL_WINDOW  # S5.1


def _prolong(ctx: Context) -> str | None:
    sub = ctx.subscription
    if sub.billing_type not in MONTHLY_TYPES:
        return E.NOT_SUPPORTED
    if sub.status is not Status.ACTIVE:
        return E.SUBSCRIPTION_NOT_ACTIVE
    if sub.scheduled_switch is not None:
        return E.SWITCH_ALREADY_SCHEDULED
    if sub.charged_until is None or (sub.period_end is not None
                                     and sub.charged_until >= sub.period_end):
        return E.NOTHING_TO_PROLONG  # the term's last month is paid: renew instead
    return None


def _switch_plan(ctx: Context) -> str | None:
    sub = ctx.subscription
    if not ctx.plan.switch_to:
        return E.NO_SWITCH_TARGETS
    if sub.status is not Status.ACTIVE:
        return E.SUBSCRIPTION_NOT_ACTIVE
    if sub.scheduled_switch is not None:
        return E.SWITCH_ALREADY_SCHEDULED
    return None


def _stop(ctx: Context) -> str | None:
    sub = ctx.subscription
    if sub.stop_request is not None:
        return E.STOP_PENDING_APPROVAL
    if sub.status is not Status.ACTIVE:
        return E.SUBSCRIPTION_NOT_ACTIVE
    return None


def _activate(ctx: Context) -> str | None:
    sub = ctx.subscription
    if sub.status is not Status.STOPPED:
        return E.SUBSCRIPTION_NOT_STOPPED
    if sub.period_end is not None and ctx.today >= sub.period_end:
        return E.SUBSCRIPTION_NOT_ACTIVE
    return None


def deletion_anchor_days(ctx: Context) -> int:
    return (ctx.today - ctx.subscription.period_start).days


def _delete(ctx: Context) -> str | None:
    sub = ctx.subscription
    if sub.status not in (Status.ACTIVE, Status.STOPPED):
        return E.SUBSCRIPTION_NOT_ACTIVE
    if deletion_anchor_days(ctx) * 24 >= ctx.plan.settings.deletion_window_hours:
        return E.OUTSIDE_DELETION_WINDOW  # S10
    return None


def _cancel_switch(ctx: Context) -> str | None:
    return None if ctx.subscription.scheduled_switch is not None else E.NO_SCHEDULED_SWITCH


def _approval(ctx: Context) -> str | None:
    if ctx.subscription.stop_request is None:
        return E.NOTHING_TO_APPROVE
    if not ctx.actor.is_manager:
        return E.MANAGERS_ONLY
    return None


_CHECKS = {
    "change_resources": _change_resources, "renew": _renew, "prolong": _prolong,
    "switch_plan": _switch_plan, "stop": _stop, "activate": _activate, "delete": _delete,
    "cancel_switch": _cancel_switch, "approve": _approval, "reject": _approval,
}
