"""The daily run's rules for one subscription and one day, in the order of `STEPS`: orders
taking effect, scheduled switches, deletion, grace end, prolongation, expiry, auto-renewal.
When each is due is asked of engine.schedule, the same functions `due_on` uses.

Each step returns a Decision or None. Steps that create history carry a dedup key, unique in
the database, so a step happens once per subscription and date however often it runs (S12)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from prorata.domain import errors as E
from prorata.domain.engine.common import copy_sub, operation, pricer, raised_high_water
from prorata.domain.engine.context import Context, Decision, OpUpdate
from prorata.domain.engine.grace import grace_end, mark_unpaid
from prorata.domain.engine.notices import expiry_notice, transition_events
from prorata.domain.engine.pricing import Config, capture_prices
from prorata.domain.engine.renewal import apply_renewal_order, renewal_order
from prorata.domain.engine.schedule import (
    auto_renewal_day,
    deletion_day,
    due_on,
    expiry_day,
    prolongation_day,
)
from prorata.domain.engine.switching import switch_charge
from prorata.domain.errors import DomainError
from prorata.domain.model import LineKind, OpStatus, Status


def renewal_effect(ctx: Context) -> Decision | None:
    order = ctx.subscription.renewal_order
    if order is None or order.effective_on > ctx.today:
        return None
    return apply_renewal_order(ctx, ctx.plans.get(order.plan, ctx.plan))


def switch_effect(ctx: Context) -> Decision | None:
    sub = ctx.subscription
    order = sub.scheduled_switch
    if order is None or order.effective_on > ctx.today:
        return None
    new_plan = ctx.plans.get(order.plan)
    if sub.status is not Status.ACTIVE or new_plan is None:
        update = OpUpdate(order.operation_id, OpStatus.CANCELLED, E.SUBSCRIPTION_NOT_ACTIVE,
                          "the subscription was not active on the switch day")
        return Decision(copy_sub(sub, scheduled_switch=None), None, op_updates=[update])
    new, lines = switch_charge(ctx, sub, new_plan, ctx.today)
    op = operation(ctx, "switch_plan", OpStatus.COMPLETED, {"plan": new_plan.id,
                   "scheduled": order.operation_id}, ctx.today, lines,
                   dedup_key=f"switch:{sub.id}:{order.effective_on}")
    return Decision(new, op, lines, op_updates=[OpUpdate(order.operation_id, OpStatus.COMPLETED)])


def prolong_dedup_key(subscription: str, start: date | None) -> str:
    """S12: one prolongation per subscription and start (plain.py makes the same key)."""
    return f"prolong:{subscription}:{start}"


def prolongation(ctx: Context) -> Decision | None:
    """S7: on the billing day, the next billing month with the current (or prolonged) amounts;
    without price lock at today's prices (C8)."""
    sub, plan, day = ctx.subscription, ctx.plan, ctx.today
    start = prolongation_day(sub)
    if start is None or start > day:
        return None
    amounts = sub.next_resources or sub.resources
    prices = sub.prices if plan.settings.price_lock else capture_prices(plan, sub.period)
    p = pricer(ctx)
    end = p.span_end(plan, start, sub.period_end, sub.shifted)
    assert end is not None
    cfg = Config(plan, sub.period, amounts, prices)
    lines = p.setup(cfg, sub.high_water, start, end)
    lines += p.recurring(cfg, start, end, kind=LineKind.CHARGE, ref=None, one_line=sub.shifted)
    op = operation(ctx, "prolong", OpStatus.COMPLETED, {"resources": amounts}, start, lines,
                   dedup_key=prolong_dedup_key(sub.id, start))
    new = copy_sub(sub, charged_until=end, next_resources=None, prolong_operation=None)
    new.resources, new.prices = dict(amounts), prices
    new.high_water = raised_high_water(sub.high_water, amounts)
    updates = [OpUpdate(sub.prolong_operation, OpStatus.COMPLETED)] if sub.prolong_operation \
        else []
    return mark_unpaid(ctx, Decision(new, op, lines, op_updates=updates))


def expiry(ctx: Context) -> Decision | None:
    """S6: not renewed by `expires_on` → expired the next day."""
    sub = ctx.subscription
    due = expiry_day(sub)
    if due is None or due > ctx.today or sub.renewal_order is not None:
        return None
    new = copy_sub(sub, status=Status.EXPIRED, expired_on=sub.period_end, stop_request=None,
                   next_resources=None, prolong_operation=None, scheduled_switch=None)
    op = operation(ctx, "expire", OpStatus.COMPLETED, {}, sub.period_end, [],
                   dedup_key=f"expire:{sub.id}:{sub.period_end}")
    updates = [OpUpdate(i, OpStatus.CANCELLED, "subscription_expired", "the subscription expired")
               for i in (sub.prolong_operation, sub.stop_request) if i]
    return Decision(new, op, op_updates=updates)


def deletion(ctx: Context) -> Decision | None:
    """S6, S9: expired past `expired_renewal_days`, or stopped past `stopped_retention_days`.
    The key carries the day: a deletion the vendor refused (V2) is tried again the next day."""
    sub, day = ctx.subscription, ctx.today
    due = deletion_day(sub, ctx.plan)
    if due is None or due > day:
        return None
    op = operation(ctx, "delete", OpStatus.COMPLETED, {"reason": sub.status.value}, day, [],
                   dedup_key=f"delete:{sub.id}:{day}")
    return Decision(copy_sub(sub, status=Status.DELETED, renewal_order=None), op)


def auto_renewal(ctx: Context) -> Decision | None:
    """S5.2 and P6: the renewal order at the automatic point, skipped for restricted parties."""
    sub, plan = ctx.subscription, ctx.plan
    day = auto_renewal_day(sub, plan)
    if day is None or day > ctx.today or sub.expires_on is None or ctx.today > sub.expires_on:
        return None
    key = f"auto_renew:{sub.id}:{sub.period_end}"
    params = {"period": sub.period, "resources": dict(sub.resources), "automatic": True}
    if ctx.restricted:
        op = operation(ctx, "renew", OpStatus.SKIPPED, params, sub.period_end, [], key)
        op.error_code, op.error_message = E.RESTRICTED_PARTY, "the party is on a restriction list"
        return Decision(copy_sub(sub, auto_renew=False), op)
    try:
        period = plan.check_period(sub.period)
        assert period is not None
        return renewal_order(ctx, plan, period, dict(sub.resources), op_type="renew",
                             params=params, dedup_key=key)
    except DomainError as exc:
        op = operation(ctx, "renew", OpStatus.FAILED, params, sub.period_end, [], key)
        op.error_code, op.error_message = exc.code, exc.message
        return Decision(copy_sub(sub, auto_renew=False), op)


# Deletion runs before prolongation (a stopped commitment deleted on its retention day is not
# charged for a month it will not have) and again after expiry (expired_renewal_days = 0).
# The expiry notice comes last, so that it tells of a renewal order placed the same day.
STEPS: tuple[Callable[[Context], Decision | None], ...] = (
    renewal_effect, switch_effect, deletion, grace_end, prolongation, expiry, deletion,
    auto_renewal, expiry_notice)


def run_day(ctx: Context) -> list[Decision]:
    """Every rule due for this subscription today, each seeing the state the previous left."""
    decisions = []
    for step in STEPS:
        decision = step(ctx)
        if decision is None:
            continue
        decision.events += transition_events(ctx.subscription, decision, ctx.plan)
        decisions.append(decision)
        ctx.subscription = decision.subscription
        ctx.plan = ctx.plans.get(decision.subscription.plan, ctx.plan)
    if decisions:
        last = decisions[-1].subscription
        last.due_on = due_on(last, ctx.plan)
    return decisions
