"""switch_plan (S8): from a trial, mid-term now, at the end of the cycle, or on renewal."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from prorata.domain import errors as E
from prorata.domain.catalog import MONTHLY_TYPES, NO_DECREASE_TYPES, BillingType, Plan
from prorata.domain.engine.common import (
    config_of,
    copy_sub,
    operation,
    pricer,
    raised_high_water,
    reference,
    resolve_amounts,
)
from prorata.domain.engine.context import Context, Decision, OpUpdate
from prorata.domain.engine.pricing import Config, cap_refunds, capture_prices, total
from prorata.domain.engine.purchase import first_charge, start_period
from prorata.domain.engine.renewal import renewal_order
from prorata.domain.errors import InvalidInput, OperationRefused
from prorata.domain.model import ChargeLine, LineKind, OpStatus, PendingOrder

TIMINGS = ("now", "end_of_cycle", "renewal")


def switch_plan(ctx: Context, body: dict[str, Any]) -> Decision:
    sub, plan = ctx.subscription, ctx.plan
    target_id = body.get("plan")
    if not isinstance(target_id, str):
        raise InvalidInput("invalid_field", "plan must name the plan to switch to", "plan")
    target = plan.switch_target(target_id)
    new_plan = ctx.plans.get(target_id)
    if target is None or new_plan is None:
        raise OperationRefused(E.NOT_A_SWITCH_TARGET,
                               f"plan {plan.id} cannot be switched to {target_id}", "plan")
    period = _period(new_plan, body.get("period"), sub.period)
    amounts = resolve_amounts(new_plan, body.get("resources"), sub.resources, carry_over=True)
    params = {"plan": new_plan.id, "kind": target.kind, "period": period, "resources": amounts}
    if sub.billing_type is BillingType.TRIAL:
        if new_plan.billing_type is BillingType.TRIAL:
            raise OperationRefused(E.NOT_A_SWITCH_TARGET, "a trial switches to a paid plan", "plan")
        return _from_trial(ctx, new_plan, period, amounts, {**params, "timing": "now"})
    default = "now" if plan.settings.plan_change_timing == "immediate" else "end_of_cycle"
    timing = body.get("timing") or default
    if timing not in TIMINGS:
        raise InvalidInput("invalid_timing", "timing is now, end_of_cycle or renewal", "timing")
    params["timing"] = timing
    if target.kind == "downgrade" and timing != "renewal" \
            and sub.billing_type in NO_DECREASE_TYPES:
        raise OperationRefused(E.COMMITMENT, f"a {sub.billing_type.value} subscription cannot "
                               "be downgraded before its renewal", "plan")
    if timing == "now":
        if plan.settings.plan_change_timing == "end_of_cycle":
            raise OperationRefused(E.SWITCH_TIMING_NOT_ALLOWED,
                                   "this plan changes at the end of the billing cycle", "timing")
        return _now(ctx, new_plan, target.kind, period, amounts, params)
    if timing == "end_of_cycle":
        return _end_of_cycle(ctx, new_plan, period, amounts, params)
    return _on_renewal(ctx, new_plan, period, amounts, params)


def _period(new_plan: Plan, requested: Any, current: str | None) -> str | None:
    if requested is None and (new_plan.endless or current in new_plan.periods):
        return None if new_plan.endless else current
    return new_plan.check_period(requested)


def _from_trial(ctx: Context, new_plan: Plan, period: str | None, amounts: dict[str, int],
                params: dict[str, Any]) -> Decision:
    """S8.1: the paid subscription starts today (`start_date`, the deletion window, the
    anchor day) and is charged as a new purchase (S3)."""
    today = ctx.today
    period_end = start_period(new_plan, period, today)
    prices = capture_prices(new_plan, period)
    lines = first_charge(ctx, new_plan, Config(new_plan, period, amounts, prices), today,
                         period_end, {})
    new = copy_sub(ctx.subscription, plan=new_plan.id, billing_type=new_plan.billing_type,
                   period=period, start_date=today, period_start=today,
                   period_end=period_end, anchor_day=today.day, auto_renew=True, shifted=False,
                   charged_until=pricer(ctx).span_end(new_plan, today, period_end))
    new.resources, new.prices, new.high_water = dict(amounts), prices, dict(amounts)
    op = operation(ctx, "switch_plan", OpStatus.COMPLETED, params, today, lines)
    return Decision(subscription=new, operation=op, lines=lines)


def switch_fee(p: Any, new_plan: Plan, kind: str) -> list[ChargeLine]:
    fee = new_plan.settings.upgrade_fee if kind == "upgrade" else new_plan.settings.downgrade_fee
    return [p.fee(f"{kind.capitalize()} fee", fee, new_plan.currency)] if fee else []


def _now(ctx: Context, new_plan: Plan, kind: str, period: str | None,
         amounts: dict[str, int], params: dict[str, Any]) -> Decision:
    """S8.2: credit the old plan's unused days, charge the new plan for the same stretch, add
    the fee; the expiration date stays. A negative net is credited or forfeited."""
    sub, plan, today = ctx.subscription, ctx.plan, ctx.today
    p = pricer(ctx)
    lines: list[ChargeLine] = []
    if sub.charged_until is not None and sub.charged_until > today:
        lines = p.recurring(config_of(sub, plan), today, sub.charged_until, kind=LineKind.CREDIT,
                            ref=reference(plan, sub.period_start, sub.period_end), sign=-1,
                            label=f"Unused {plan.name}: ")
        lines = cap_refunds(lines, ctx.refundable)
    period_start, period_end = sub.period_start, sub.period_end
    if period_end is None and not new_plan.endless and new_plan.billing_type not in MONTHLY_TYPES:
        period_start, period_end = today, start_period(new_plan, period, today)
    prices = capture_prices(new_plan, period)
    cfg = Config(new_plan, period, amounts, prices)
    end = p.span_end(new_plan, today, period_end)
    lines += p.setup(cfg, sub.high_water, today, end)  # C2: the mark survives the switch
    if end is not None and new_plan.billing_type not in (BillingType.PAYG, BillingType.TRIAL):
        lines += p.recurring(cfg, today, end, kind=LineKind.CHARGE,
                             ref=reference(new_plan, period_start, period_end),
                             label=f"{new_plan.name}: ")
    lines += switch_fee(p, new_plan, kind)
    net = total(lines)
    if net < 0 and plan.settings.unused_funds == "forfeit":
        lines.append(ChargeLine(kind=LineKind.FEE, description="Unused funds forfeited",
                                period_start=today, period_end=None, quantity=1,
                                unit_price=-net, amount=-net, currency=ctx.customer.currency))
    new = copy_sub(sub, plan=new_plan.id, billing_type=new_plan.billing_type, period=period,
                   period_start=period_start, period_end=period_end, charged_until=end,
                   next_resources=None, prolong_operation=None)
    new.resources, new.prices = dict(amounts), prices
    new.high_water = raised_high_water(sub.high_water, amounts)
    op = operation(ctx, "switch_plan", OpStatus.COMPLETED, params, today, lines)
    updates = []
    if sub.prolong_operation:
        updates.append(OpUpdate(sub.prolong_operation, OpStatus.CANCELLED, "superseded",
                                "the plan was switched"))
    return Decision(subscription=new, operation=op, lines=lines, op_updates=updates)


def cycle_end(ctx: Context) -> date:
    """S8.3: the next billing day for monthly types, the renewal for whole-period types."""
    sub = ctx.subscription
    if sub.billing_type in MONTHLY_TYPES and sub.charged_until is not None:
        return sub.charged_until
    if sub.period_end is not None:
        return sub.period_end
    return pricer(ctx).span_end(ctx.plan, ctx.today, None) or ctx.today + timedelta(days=1)


def _end_of_cycle(ctx: Context, new_plan: Plan, period: str | None, amounts: dict[str, int],
                  params: dict[str, Any]) -> Decision:
    sub = ctx.subscription
    effective = cycle_end(ctx)
    op = operation(ctx, "switch_plan", OpStatus.SCHEDULED, params, effective, [])
    order = PendingOrder(operation_id=op.id, kind="switch", plan=new_plan.id, period=period,
                         resources=dict(amounts), effective_on=effective)
    new = copy_sub(sub, scheduled_switch=order)
    quote = switch_charge(ctx, new, new_plan, effective)[1]
    op.amount = total(quote)
    return Decision(subscription=new, operation=op, lines=[], quote=quote)


def _on_renewal(ctx: Context, new_plan: Plan, period: str | None, amounts: dict[str, int],
                params: dict[str, Any]) -> Decision:
    """S5.5: a renewal order on the new plan, available from the delayed switch point."""
    sub, plan = ctx.subscription, ctx.plan
    if sub.expires_on is None:
        raise OperationRefused(E.ENDLESS, "an endless subscription has no renewal", "timing")
    point = plan.settings.delayed_switch_point
    if point is None:
        raise OperationRefused(E.SWITCH_ON_RENEWAL_DISABLED,
                               "this plan does not switch on renewal", "timing")
    if ctx.today < sub.expires_on - timedelta(days=point):
        opens = sub.expires_on - timedelta(days=point)
        raise OperationRefused(E.NOT_IN_SWITCH_WINDOW,
                               f"a switch on renewal is available from {opens}", "timing")
    if period is None:
        raise InvalidInput(E.PERIOD_NOT_OFFERED, "give the period of the new plan", "period")
    return renewal_order(ctx, new_plan, period, amounts, op_type="switch_plan", params=params,
                         auto_renew=False)


def switch_charge(ctx: Context, sub: Any, new_plan: Plan, day: date) -> tuple[Any, list]:
    """S8.3: what a scheduled switch does on its day: the new plan's next charging period (a
    new period when the day is the renewal), plus the fee."""
    order = sub.scheduled_switch
    assert order is not None
    p = pricer(ctx, day)
    if sub.period_end is not None and day >= sub.period_end:
        period_start = sub.period_end
        period_end = start_period(new_plan, order.period, period_start) if order.period else None
    else:
        period_start, period_end = sub.period_start, sub.period_end
    start = max(day, period_start)
    prices = capture_prices(new_plan, order.period)
    cfg = Config(new_plan, order.period, order.resources, prices)
    end = p.span_end(new_plan, start, period_end)
    lines = p.setup(cfg, sub.high_water, start, end)  # C2: the mark survives the switch
    if end is not None and new_plan.billing_type not in (BillingType.PAYG, BillingType.TRIAL):
        lines += p.recurring(cfg, start, end, kind=LineKind.CHARGE,
                             ref=reference(new_plan, period_start, period_end),
                             label=f"{new_plan.name}: ")
    target = ctx.plan.switch_target(new_plan.id)
    lines += switch_fee(p, new_plan, target.kind if target else "upgrade")
    new = copy_sub(sub, plan=new_plan.id, billing_type=new_plan.billing_type,
                   period=order.period, period_start=period_start, period_end=period_end,
                   charged_until=end, scheduled_switch=None, next_resources=None,
                   prolong_operation=None,
                   shifted=sub.shifted and period_start == sub.period_start)
    new.resources, new.prices = dict(order.resources), prices
    new.high_water = raised_high_water(sub.high_water, order.resources)
    return new, lines
