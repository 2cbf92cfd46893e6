"""SPEC S2: the one function that says which operations a subscription may take today and,
for each that it may not, why: a stable code, a message a person can act on (with the date
where one exists) and the dates the window opens or closed. The API, the control panel and
the scheduler all ask it, and `decide` refuses with the same reasons, so what a screen
explains before the click is exactly what the click would answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from prorata.domain import errors as E
from prorata.domain.catalog import MONTHLY_TYPES, NEVER_RENEWS, BillingType
from prorata.domain.engine.context import Context
from prorata.domain.model import TRANSITIONAL, Status

OPERATIONS = ("change_resources", "renew", "prolong", "switch_plan", "stop", "activate",
              "delete", "change_renewal_options", "cancel_switch", "approve", "reject")
RESTRICTED_OPERATIONS = frozenset({"change_resources", "renew", "switch_plan"})  # P6
MANAGER_OPERATIONS = frozenset({"approve", "reject"})  # S9: a manager's decision on a stop


def operations_for(is_manager: bool) -> tuple[str, ...]:
    """The operations a party of this kind could ever be offered, in OPERATIONS order: a
    customer never approves or rejects its own stop (S9), so a screen that explains what is
    unavailable leaves those out for customers instead of explaining them every day."""
    return tuple(op for op in OPERATIONS if is_manager or op not in MANAGER_OPERATIONS)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an operation is not available today. `opens_on`: the first day it will be (a
    window not yet open); `closes_on`: the day its window closed (no longer available)."""

    code: str
    message: str
    opens_on: date | None = None
    closes_on: date | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message,
                "opens_on": None if self.opens_on is None else self.opens_on.isoformat(),
                "closes_on": None if self.closes_on is None else self.closes_on.isoformat()}


def availability(ctx: Context) -> dict[str, str | None]:
    """Every operation mapped to None (available) or the refusal code."""
    return {op: None if (r := refusal(ctx, op)) is None else r.code for op in OPERATIONS}


def available_operations(ctx: Context) -> list[str]:
    return operations_both_ways(ctx)[0]


def operations_both_ways(ctx: Context) -> tuple[list[str], dict[str, Refusal]]:
    """S2 both ways, each operation decided once: the available ones, and the refusal of
    every other (what a subscription's view shows; deciding twice was ~5% of a GET)."""
    refused = unavailable_operations(ctx)
    return [op for op in OPERATIONS if op not in refused], refused


def unavailable_operations(ctx: Context) -> dict[str, Refusal]:
    """The reasons before the click: every operation not available today, with its refusal."""
    out = {}
    for op in OPERATIONS:
        reason = refusal(ctx, op)
        if reason is not None:
            out[op] = reason
    return out


def refusal(ctx: Context, op: str) -> Refusal | None:
    sub = ctx.subscription
    if sub.status is Status.DELETED:
        return Refusal(E.SUBSCRIPTION_DELETED, "the subscription is deleted")
    if sub.status in TRANSITIONAL:  # S1
        return Refusal(E.SUBSCRIPTION_BUSY,
                       "the vendor is still working on the previous operation")
    if op == "change_renewal_options":
        return None if sub.renewal_order is not None else Refusal(
            E.NO_RENEWAL_ORDER, "there is no renewal order to change")
    if sub.locked:  # S5.4: a waiting renewal order locks everything else
        order = sub.renewal_order
        on = order.effective_on if order is not None else None
        when = f" (it takes effect on {on.isoformat()})" if on is not None else ""
        return Refusal(E.SUBSCRIPTION_LOCKED,
                       f"a renewal order is waiting{when}; change the renewal options first",
                       opens_on=on)
    reason = _CHECKS[op](ctx)
    if reason is None and op in RESTRICTED_OPERATIONS and ctx.restricted:
        return Refusal(E.RESTRICTED_PARTY, f"{op} is not allowed for this customer by a "
                                           "restriction list")
    return reason


def _not_active(sub_status: Status) -> Refusal:
    return Refusal(E.SUBSCRIPTION_NOT_ACTIVE, f"the subscription is {sub_status.value}, "
                                              "not active")


def _switch_waiting(ctx: Context) -> Refusal:
    order = ctx.subscription.scheduled_switch
    on = order.effective_on if order is not None else None
    when = f" for {on.isoformat()}" if on is not None else ""
    return Refusal(E.SWITCH_ALREADY_SCHEDULED,
                   f"a plan switch is scheduled{when}; cancel it first", opens_on=on)


def _billing_type(ctx: Context, op: str) -> Refusal:
    return Refusal(E.NOT_SUPPORTED, f"{op} is not supported for billing type "
                                    f"{ctx.subscription.billing_type.value}")


def _change_resources(ctx: Context) -> Refusal | None:
    sub = ctx.subscription
    if sub.billing_type in (BillingType.PAYG, BillingType.TRIAL):
        return _billing_type(ctx, "change_resources")
    if sub.status is not Status.ACTIVE:
        return _not_active(sub.status)
    if sub.scheduled_switch is not None:
        return _switch_waiting(ctx)
    return None


def _renew(ctx: Context) -> Refusal | None:
    sub, settings = ctx.subscription, ctx.plan.settings
    if sub.billing_type is BillingType.TRIAL:
        return Refusal(E.TRIAL_ONLY_SWITCH, "a trial is not renewed: switch to a paid plan")
    if sub.billing_type in NEVER_RENEWS:
        return Refusal(E.NOT_RENEWABLE, f"billing type {sub.billing_type.value} never renews")
    if sub.period_end is None or sub.expires_on is None:
        return Refusal(E.ENDLESS, "the subscription is endless: there is nothing to renew")
    if sub.status is Status.EXPIRED:
        closes = sub.period_end + timedelta(days=settings.expired_renewal_days)
        if ctx.today < closes:
            return None
        return Refusal(E.RENEWAL_WINDOW_CLOSED,  # S6
                       f"the renewal window after expiry closed on {closes.isoformat()}",
                       closes_on=closes)
    if sub.status is not Status.ACTIVE:
        return _not_active(sub.status)
    if sub.scheduled_switch is not None:
        return _switch_waiting(ctx)
    opens = sub.expires_on - timedelta(days=settings.manual_renewal_point)
    if ctx.today >= opens:
        return None
    return Refusal(E.NOT_IN_RENEWAL_WINDOW,  # S5.1
                   f"renewal opens on {opens.isoformat()}, {settings.manual_renewal_point} "
                   f"days before expiry on {sub.expires_on.isoformat()}", opens_on=opens)


def _prolong(ctx: Context) -> Refusal | None:
    sub = ctx.subscription
    if sub.billing_type not in MONTHLY_TYPES:
        return _billing_type(ctx, "prolong")
    if sub.status is not Status.ACTIVE:
        return _not_active(sub.status)
    if sub.scheduled_switch is not None:
        return _switch_waiting(ctx)
    if sub.charged_until is None or (sub.period_end is not None
                                     and sub.charged_until >= sub.period_end):
        # the term's last month is paid: renew instead
        return Refusal(E.NOTHING_TO_PROLONG, "the term is paid to its end; renew instead")
    return None


def _switch_plan(ctx: Context) -> Refusal | None:
    sub = ctx.subscription
    if not ctx.plan.switch_to:
        return Refusal(E.NO_SWITCH_TARGETS, f"plan {ctx.plan.id} has no switch targets")
    if sub.status is not Status.ACTIVE:
        return _not_active(sub.status)
    if sub.scheduled_switch is not None:
        return _switch_waiting(ctx)
    return None


def _stop(ctx: Context) -> Refusal | None:
    sub = ctx.subscription
    if sub.stop_request is not None:
        return Refusal(E.STOP_PENDING_APPROVAL, "a stop is waiting for a manager's approval")
    if sub.status is not Status.ACTIVE:
        return _not_active(sub.status)
    return None


def _activate(ctx: Context) -> Refusal | None:
    sub = ctx.subscription
    if sub.status is not Status.STOPPED:
        return Refusal(E.SUBSCRIPTION_NOT_STOPPED,
                       f"the subscription is {sub.status.value}, not stopped")
    if sub.period_end is not None and ctx.today >= sub.period_end:
        return Refusal(E.SUBSCRIPTION_NOT_ACTIVE,
                       f"the period ended on {sub.period_end.isoformat()}",
                       closes_on=sub.period_end)
    return None


def deletion_anchor_days(ctx: Context) -> int:
    return (ctx.today - ctx.subscription.period_start).days


def deletion_window_closes(ctx: Context) -> date:
    """S10 on dates: the first day with (day − anchor) × 24 h ≥ the window."""
    hours = ctx.plan.settings.deletion_window_hours
    return ctx.subscription.period_start + timedelta(days=-(-hours // 24))


def _delete(ctx: Context) -> Refusal | None:
    sub = ctx.subscription
    if sub.status not in (Status.ACTIVE, Status.STOPPED):
        return _not_active(sub.status)
    if deletion_anchor_days(ctx) * 24 >= ctx.plan.settings.deletion_window_hours:
        closes = deletion_window_closes(ctx)
        return Refusal(E.OUTSIDE_DELETION_WINDOW,  # S10
                       f"the deletion window closed on {closes.isoformat()}: stop the "
                       "subscription instead", closes_on=closes)
    return None


def _cancel_switch(ctx: Context) -> Refusal | None:
    if ctx.subscription.scheduled_switch is not None:
        return None
    return Refusal(E.NO_SCHEDULED_SWITCH, "there is no scheduled switch to cancel")


def _approval(ctx: Context) -> Refusal | None:
    if ctx.subscription.stop_request is None:
        return Refusal(E.NOTHING_TO_APPROVE, "no stop is waiting for approval")
    if not ctx.actor.is_manager:
        return Refusal(E.MANAGERS_ONLY, "only a manager may approve or reject a stop")
    return None


_CHECKS = {
    "change_resources": _change_resources, "renew": _renew, "prolong": _prolong,
    "switch_plan": _switch_plan, "stop": _stop, "activate": _activate, "delete": _delete,
    "cancel_switch": _cancel_switch, "approve": _approval, "reject": _approval,
}
