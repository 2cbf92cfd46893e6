"""Small pieces every decision uses: resolving requested amounts, pricing the subscription's
own configuration, making history entries."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from operator import attrgetter
from typing import Any

from prorata.domain import errors as E
from prorata.domain.catalog import MONTHLY_TYPES, NO_DECREASE_TYPES, Plan
from prorata.domain.engine.context import Actor, Context
from prorata.domain.engine.pricing import Config, Pricer, total
from prorata.domain.errors import InvalidInput, OperationRefused
from prorata.domain.model import ChargeLine, Operation, OpStatus, Subscription

MAX_AMOUNT = 10**9


def parse_amounts(raw: Any, param: str = "resources") -> dict[str, int]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidInput("invalid_resources", "resources must be an object {id: amount}", param)
    out = {}
    for key, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_AMOUNT:
            raise InvalidInput("invalid_amount", f"the amount of {key} must be a whole number "
                               f"from 0 to {MAX_AMOUNT}", f"{param}[{key}]")
        out[str(key)] = value
    return out


def resolve_amounts(plan: Plan, given_raw: Any, current: dict[str, int] | None, *,
                    carry_over: bool = False) -> dict[str, int]:
    """Amounts for every resource of `plan`: the request's, else the current ones, else `min`.

    With `carry_over` (a plan switch, S8.5) a current amount that does not fit the new plan's
    range must be given by the request instead."""
    given = parse_amounts(given_raw)
    for key in given:
        if plan.resource(key) is None:
            raise InvalidInput(E.UNKNOWN_RESOURCE, f"plan {plan.id} has no resource {key}",
                               f"resources[{key}]")
    amounts = {}
    for res in plan.resources:
        if res.id in given:
            amount = given[res.id]
        elif current is not None and res.id in current:
            amount = current[res.id]
            if carry_over and not res.fits(amount):
                raise InvalidInput(E.RESOURCES_REQUIRED,
                                   f"{res.name} ({res.id}): the current amount {amount} does not"
                                   f" fit {res.range_text}; give a new amount",
                                   f"resources[{res.id}]")
        else:
            amount = res.min
        res.check_amount(amount)
        amounts[res.id] = amount
    return amounts


def check_no_decrease(plan: Plan, old: dict[str, int], new: dict[str, int]) -> None:
    """C5: committed billing types cannot give back resources mid-term."""
    if plan.billing_type not in NO_DECREASE_TYPES:
        return
    for key, amount in new.items():
        if amount < old.get(key, 0):
            raise OperationRefused(E.COMMITMENT,
                                   f"{plan.billing_type.value} subscriptions cannot decrease "
                                   f"{key} before the end of the term", f"resources[{key}]")


def config_of(sub: Subscription, plan: Plan) -> Config:
    return Config(plan, sub.period, sub.resources, sub.prices)


def pricer(ctx: Context, day: date | None = None) -> Pricer:
    return Pricer(ctx.customer.currency, ctx.customer.billing_day, ctx.rates, day or ctx.today)


def reference(plan: Plan, start: date, end: date | None) -> tuple[date, date] | None:
    """T4: monthly types prorate over the billing month (None), others over the period."""
    if plan.billing_type in MONTHLY_TYPES or end is None:
        return None
    return (start, end)


def actor_name(actor: Actor) -> str:
    return f"{actor.kind}:{actor.party}"


def operation(ctx: Context, op_type: str, status: OpStatus, params: dict[str, Any],
              effective_on: date | None, shown: list[ChargeLine],
              dedup_key: str | None = None) -> Operation:
    return Operation(
        id=ctx.new_id("op"), subscription=ctx.subscription.id, type=op_type, status=status,
        actor=actor_name(ctx.actor), params=params, effective_on=effective_on,
        created_on=ctx.today, amount=total(shown), currency=ctx.customer.currency,
        dedup_key=dedup_key,
    )


_SUB_FIELDS = attrgetter(*(f.name for f in fields(Subscription)))


def copy_sub(sub: Subscription, **changes: Any) -> Subscription:
    """A new version of `sub` with its own dicts. Positional construction from every field
    rather than `dataclasses.replace`, which introspects the fields on each call: the daily
    run copies every subscription it touches, often more than once."""
    new = Subscription(*_SUB_FIELDS(sub))
    new.resources, new.prices = dict(sub.resources), dict(sub.prices)
    new.high_water, new.attributes = dict(sub.high_water), dict(sub.attributes)
    for name, value in changes.items():
        setattr(new, name, value)
    return new


def raised_high_water(high_water: dict[str, int], amounts: dict[str, int]) -> dict[str, int]:
    out = dict(high_water)
    for key, amount in amounts.items():
        out[key] = max(out.get(key, 0), amount)
    return out
