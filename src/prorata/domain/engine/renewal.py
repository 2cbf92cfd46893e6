"""Renewal orders (S5) and renewal of an expired subscription (S6)."""

from __future__ import annotations

from typing import Any

from prorata.domain.calendar import add_duration, parse_duration
from prorata.domain.catalog import Plan, RenewalMode
from prorata.domain.engine.common import copy_sub, operation, pricer, raised_high_water
from prorata.domain.engine.context import Context, Decision, OpUpdate
from prorata.domain.engine.pricing import Config, capture_prices
from prorata.domain.engine.purchase import first_charge
from prorata.domain.model import OpStatus, PendingOrder, Status


def renewal_order(ctx: Context, plan: Plan, period: str | None, amounts: dict[str, int], *,
                  op_type: str, params: dict[str, Any], auto_renew: bool | None = None,
                  dedup_key: str | None = None) -> Decision:
    """S5.3: charged now, waiting until the day after `expires_on`, when the new period
    starts. Until then the subscription is locked (S5.4)."""
    sub = ctx.subscription
    assert sub.period_end is not None and period is not None
    start = sub.period_end
    new_end = add_duration(start, parse_duration(period), sub.anchor_day)
    prices = capture_prices(plan, period)
    # C2: the mark is the subscription's, carried across a switch on renewal (same ids)
    lines = first_charge(ctx, plan, Config(plan, period, amounts, prices), start, new_end,
                         sub.high_water, label="Renewal: ")
    charged_until = pricer(ctx).span_end(plan, start, new_end)
    op = operation(ctx, op_type, OpStatus.WAITING_FOR_PROVISIONING, params, start, lines,
                   dedup_key)
    order = PendingOrder(operation_id=op.id, kind="renewal", plan=plan.id, period=period,
                         resources=dict(amounts), effective_on=start,
                         charged_until=charged_until, period_end=new_end, prices=prices)
    new = copy_sub(sub, renewal_order=order)
    if auto_renew is not None:
        new.auto_renew = auto_renew
    return Decision(subscription=new, operation=op, lines=lines)


def renew_expired(ctx: Context, period: str, amounts: dict[str, int],
                  params: dict[str, Any]) -> Decision:
    """S6: takes effect at once. `constant` keeps the period's calendar place and charges only
    from today; `shifted` starts a full period today (seed 003)."""
    sub, plan, today = ctx.subscription, ctx.plan, ctx.today
    assert sub.period_end is not None
    dur = parse_duration(period)
    if plan.settings.expired_renewal_mode is RenewalMode.SHIFTED:
        start, anchor = today, today.day
        new_end = add_duration(start, dur, anchor)
    else:
        start, anchor = sub.period_end, sub.anchor_day
        new_end = add_duration(start, dur, anchor)
        while new_end <= today:  # a period shorter than the time spent expired
            start, new_end = new_end, add_duration(new_end, dur, anchor)
    prices = capture_prices(plan, period)
    cfg = Config(plan, period, amounts, prices)
    lines = first_charge(ctx, plan, cfg, today, new_end, sub.high_water, period_start=start,
                         label="Renewal: ")
    charged_until = pricer(ctx).span_end(plan, today, new_end)
    shifted = plan.settings.expired_renewal_mode is RenewalMode.SHIFTED
    new = copy_sub(sub, status=Status.ACTIVE, period=period, period_start=start,
                   period_end=new_end, anchor_day=anchor, charged_until=charged_until,
                   expired_on=None, stopped_on=None, shifted=shifted)
    new.resources, new.prices = dict(amounts), prices
    new.high_water = raised_high_water(sub.high_water, amounts)
    op = operation(ctx, "renew", OpStatus.COMPLETED, params, today, lines)
    return Decision(subscription=new, operation=op, lines=lines)


def apply_renewal_order(ctx: Context, order_plan: Plan) -> Decision:
    """The day after `expires_on`: the waiting order becomes the new period (S5.3)."""
    sub = ctx.subscription
    order = sub.renewal_order
    assert order is not None
    new = copy_sub(sub, plan=order.plan, billing_type=order_plan.billing_type,
                   period=order.period, period_start=order.effective_on,
                   period_end=order.period_end, charged_until=order.charged_until,
                   renewal_order=None, next_resources=None, prolong_operation=None,
                   shifted=False)
    new.resources, new.prices = dict(order.resources), dict(order.prices)
    new.high_water = raised_high_water(sub.high_water, order.resources)
    updates = [OpUpdate(order.operation_id, OpStatus.COMPLETED)]
    if sub.prolong_operation:
        updates.append(OpUpdate(sub.prolong_operation, OpStatus.CANCELLED, "superseded",
                                "the renewal started a new period"))
    return Decision(subscription=new, operation=None, op_updates=updates)

