"""change_resources (S4), renew (S5.1, S6) and prolong (S7) requested by a person."""

from __future__ import annotations

from typing import Any

from prorata.domain import errors as E
from prorata.domain.catalog import MONTHLY_TYPES, NO_DECREASE_TYPES
from prorata.domain.engine.common import (
    check_no_decrease,
    config_of,
    copy_sub,
    operation,
    pricer,
    raised_high_water,
    reference,
    resolve_amounts,
)
from prorata.domain.engine.context import Context, Decision, OpUpdate
from prorata.domain.engine.pricing import Config, cap_refunds, capture_prices
from prorata.domain.engine.renewal import renew_expired, renewal_order
from prorata.domain.errors import InvalidInput
from prorata.domain.model import LineKind, OpStatus, Status


def change_resources(ctx: Context, body: dict[str, Any]) -> Decision:
    """S4: increases charged for the rest of the charging period (plus setup for new units),
    decreases refunded where C5 allows."""
    sub, plan, today = ctx.subscription, ctx.plan, ctx.today
    if not body.get("resources"):
        raise InvalidInput(E.RESOURCES_REQUIRED, "give the new amounts in resources", "resources")
    new = resolve_amounts(plan, body["resources"], sub.resources)
    if new == sub.resources:
        raise InvalidInput(E.NO_CHANGE, "the amounts are the ones the subscription has",
                           "resources")
    check_no_decrease(plan, sub.resources, new)
    increase, decrease = {}, {}
    for res in plan.resources:
        delta = res.chargeable(new[res.id]) - res.chargeable(sub.resources.get(res.id, 0))
        if delta > 0:
            increase[res.id] = delta
        elif delta < 0:
            decrease[res.id] = -delta
    p = pricer(ctx)
    cfg = config_of(sub, plan)
    lines = p.setup(Config(plan, sub.period, new, sub.prices), sub.high_water, today,
                    sub.charged_until)
    end = sub.charged_until
    if end is not None and end > today:
        ref = reference(plan, sub.period_start, sub.period_end)
        lines += p.recurring(cfg, today, end, kind=LineKind.CHARGE, ref=ref,
                             quantities=increase, label="Increase: ")
        lines += p.recurring(cfg, today, end, kind=LineKind.REFUND, ref=ref, sign=-1,
                             quantities=decrease, label="Decrease: ")
    lines = cap_refunds(lines, ctx.refundable)
    # The later intent wins over amounts recorded by a manual prolong for the next month.
    updated = copy_sub(sub, next_resources=None, prolong_operation=None)
    updated.resources = new
    updated.high_water = raised_high_water(sub.high_water, new)
    op = operation(ctx, "change_resources", OpStatus.COMPLETED, {"resources": new}, today, lines)
    updates = []
    if sub.prolong_operation:
        updates.append(OpUpdate(sub.prolong_operation, OpStatus.CANCELLED, "superseded",
                                "replaced by a later change of resources"))
    return Decision(subscription=updated, operation=op, lines=lines, op_updates=updates)


def renew(ctx: Context, body: dict[str, Any]) -> Decision:
    """S5.1: a renewal order for a chosen period and amounts; S6 for an expired one."""
    sub, plan = ctx.subscription, ctx.plan
    period = plan.check_period(body.get("period") or sub.period)
    amounts = resolve_amounts(plan, body.get("resources"), sub.resources)
    params = {"period": period, "resources": amounts}
    assert period is not None
    if sub.status is Status.EXPIRED:
        return renew_expired(ctx, period, amounts, params)
    return renewal_order(ctx, plan, period, amounts, op_type="renew", params=params)


def prolong(ctx: Context, body: dict[str, Any]) -> Decision:
    """S7: records amounts that apply from the next billing day; that day's run charges them.
    The answer shows the charge it will make."""
    sub, plan = ctx.subscription, ctx.plan
    new = resolve_amounts(plan, body.get("resources"), sub.next_resources or sub.resources)
    check_no_decrease(plan, sub.resources, new)
    assert sub.charged_until is not None and plan.billing_type in MONTHLY_TYPES
    start = sub.charged_until
    p = pricer(ctx)
    end = p.span_end(plan, start, sub.period_end)
    assert end is not None
    prices = sub.prices if plan.settings.price_lock else capture_prices(plan, sub.period)
    cfg = Config(plan, sub.period, new, prices)
    quote = p.setup(cfg, sub.high_water, start, end)
    quote += p.recurring(cfg, start, end, kind=LineKind.CHARGE, ref=None)
    op = operation(ctx, "prolong", OpStatus.SCHEDULED, {"resources": new}, start, quote)
    updated = copy_sub(sub, next_resources=new, prolong_operation=op.id)
    updates = []
    if sub.prolong_operation:
        updates.append(OpUpdate(sub.prolong_operation, OpStatus.CANCELLED, "superseded",
                                "replaced by a later prolong"))
    return Decision(subscription=updated, operation=op, lines=[], quote=quote,
                    op_updates=updates)


__all__ = ["change_resources", "renew", "prolong", "NO_DECREASE_TYPES"]
