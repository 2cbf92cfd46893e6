"""SPEC S3: a new subscription and the charges of its first charging period."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from prorata.domain.calendar import add_duration, parse_duration
from prorata.domain.catalog import NEVER_RENEWS, BillingType, Plan
from prorata.domain.engine.common import operation, pricer, reference, resolve_amounts
from prorata.domain.engine.context import Actor, Context, Decision, RateTable
from prorata.domain.engine.pricing import Config, capture_prices
from prorata.domain.errors import InvalidInput
from prorata.domain.model import Customer, LineKind, OpStatus, Status, Subscription


def start_period(plan: Plan, period: str | None, start: date) -> date | None:
    return None if period is None else add_duration(start, parse_duration(period), start.day)


def purchase(customer: Customer, plan: Plan, body: dict[str, Any], today: date, actor: Actor,
             rates: RateTable, new_id: Callable[[str], str], sub_id: str) -> Decision:
    period = plan.check_period(body.get("period"))
    amounts = resolve_amounts(plan, body.get("resources"), None)
    auto_renew = body.get("auto_renew", True)
    if not isinstance(auto_renew, bool):
        raise InvalidInput("invalid_field", "auto_renew must be true or false", "auto_renew")
    attributes = body.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise InvalidInput("invalid_field", "attributes must be an object", "attributes")
    period_end = start_period(plan, period, today)
    prices = capture_prices(plan, period)
    sub = Subscription(
        id=sub_id, customer=customer.id, plan=plan.id, period=period,
        billing_type=plan.billing_type, status=Status.ACTIVE, start_date=today,
        period_start=today, period_end=period_end, anchor_day=today.day, charged_until=None,
        auto_renew=auto_renew and plan.billing_type not in NEVER_RENEWS, resources=amounts,
        prices=prices, high_water=dict(amounts), attributes=dict(attributes),
    )
    ctx = Context(today=today, subscription=sub, plan=plan, customer=customer, actor=actor,
                  new_id=new_id, rates=rates)
    lines = first_charge(ctx, plan, Config(plan, period, amounts, prices), today, period_end, {})
    sub.charged_until = charged_until_after_first(ctx, plan, today, period_end)
    params = {"plan": plan.id, "period": period, "resources": amounts}
    op = operation(ctx, "purchase", OpStatus.COMPLETED, params, today, lines)
    return Decision(subscription=sub, operation=op, lines=lines)


def charged_until_after_first(ctx: Context, plan: Plan, start: date,
                              period_end: date | None) -> date | None:
    if plan.billing_type is BillingType.PAYG:
        return None
    return pricer(ctx, start).span_end(plan, start, period_end)


def first_charge(ctx: Context, plan: Plan, cfg: Config, start: date, period_end: date | None,
                 high_water: dict[str, int], *, period_start: date | None = None,
                 label: str = "") -> list:
    """S3: setup fees plus the first charging period from `start`: to the next billing day for
    monthly types, the (rest of the) period for whole-period types; trials and payg are free
    up front. `period_start` differs from `start` when a constant-mode renewal of an expired
    subscription pays only from the renewal date (S6)."""
    if plan.billing_type in (BillingType.TRIAL, BillingType.PAYG):
        return []
    p = pricer(ctx, ctx.today)
    end = p.span_end(plan, start, period_end)
    if end is None:
        return p.setup(cfg, high_water, start, None)
    ref = reference(plan, period_start or start, period_end)
    lines = p.setup(cfg, high_water, start, end)
    lines += p.recurring(cfg, start, end, kind=LineKind.CHARGE, ref=ref, label=label)
    return lines
