"""The daily run's common case, cheaply: a plain prolongation (issue 13).

On a billing day most subscriptions only move their `charged_until` on by a billing month: the
prolongation step (daily.py) is the one step due, it writes the same lines for every
subscription with the same plan, amounts, prices and dates, and the only columns it changes
are `charged_until` and `due_on`. Running all of `STEPS` for each of them, and encoding the same
lines again, was most of a billing day's Python.

There is no second rule book here. `plain_key` only *recognises* the case, asking the same
schedule functions `due_on` asks (every other step idle today, before and after), and names
everything the prolongation reads; the first subscription of a key is decided by the full
engine (`daily.run_day`) and its decision becomes the key's `Plain` — or, when it turns out
to be anything but one completed `prolong` operation that changes only `charged_until` and
`due_on`, the key is remembered as not plain and every subscription of it goes to the full
engine. The other subscriptions of the key get that decision with their own ids
(`decisions`); tests/unit/test_plain_prolongation.py compares the two line by line over
generated plans, subscriptions, customers and days."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from prorata.domain.engine.common import copy_sub
from prorata.domain.engine.context import Context, Decision
from prorata.domain.engine.daily import prolong_dedup_key, run_day
from prorata.domain.engine.schedule import (
    auto_renewal_day,
    deletion_day,
    expiry_day,
    expiry_notice_day,
    grace_end_day,
    prolongation_day,
)
from prorata.domain.model import ChargeLine, Operation, OpStatus

MAX_KEYS = 5_000  # ~3 KB each (measured); past this it starts again: memory bounded in N
_CHANGED = frozenset({"charged_until", "due_on"})


@dataclass(slots=True)
class Plain:
    """What the full engine decided for the first subscription of a key: the same for every
    subscription of the key but for its ids and `due_on`. `encoded` is for the storage
    adapter to keep its encoding of these rows in (the scheduler does)."""

    op: Operation  # its id, subscription and dedup key are the first subscription's
    lines: tuple[ChargeLine, ...]
    end: date  # the new charged_until
    next_prolongation: date | None  # prolongation_day of the new state
    plan: Any  # keeps the plan (whose id is in the key) alive while the key is cached
    encoded: Any = None


@dataclass(slots=True)
class Hit:
    """One subscription found plain today: its key's `Plain` and its own next `due_on`."""

    plain: Plain
    due_on: date | None


def _earliest(days: list[date | None]) -> date | None:
    present = [d for d in days if d is not None]
    return min(present) if present else None


def plain_key(ctx: Context) -> tuple[tuple[Any, ...], date | None] | None:
    """(key, the earliest day of the steps other than prolongation) when today's only work
    for the subscription is a prolongation that no grace rule can touch; else None.

    The steps before the prolongation see `ctx.plan`; those after it, and `due_on`, see the
    plan `run_day` moves to (`ctx.plans[sub.plan]`), so each is asked with its own."""
    sub, plan, today = ctx.subscription, ctx.plan, ctx.today
    if (sub.renewal_order is not None or sub.scheduled_switch is not None
            or sub.next_resources is not None or sub.prolong_operation is not None
            or sub.unpaid_since is not None):
        return None
    if ctx.balance is not None and ctx.customer.credit_limit is not None:
        return None  # S7: the charge may go unpaid (mark_unpaid)
    start = prolongation_day(sub)
    if start is None or start > today:
        return None
    after = ctx.plans.get(sub.plan, plan)
    if after is not plan and not (_idle(deletion_day(sub, plan), today)
                                  and _idle(grace_end_day(sub, plan), today)):
        return None  # (the same plan: asked below)
    others = [auto_renewal_day(sub, after), expiry_day(sub), deletion_day(sub, after),
              grace_end_day(sub, after), expiry_notice_day(sub, after)]
    for day in others:
        if not _idle(day, today):
            return None
    customer = ctx.customer
    key = (id(plan), today, sub.status, sub.billing_type, sub.period, start, sub.period_end,
           sub.shifted, tuple(sub.resources.items()), tuple(sub.prices.items()),
           tuple(sub.high_water.items()), customer.currency, customer.billing_day,
           ctx.actor.kind, ctx.actor.party, id(ctx.rates))
    return key, _earliest(others)


def _idle(day: date | None, today: date) -> bool:
    return day is None or day > today


@dataclass
class PlainProlongations:
    """The keys met so far (one cache per day and run: rates and plans are the day's)."""

    known: dict[tuple[Any, ...], Plain | None] = field(default_factory=dict)

    def find(self, ctx: Context) -> Hit | list[Decision]:
        """A `Hit` for a plain prolongation of a known key; otherwise the full engine's
        decisions (`daily.run_day`), learning the key's `Plain` from them when it has one."""
        found = plain_key(ctx)
        if found is None:
            return run_day(ctx)
        key, others = found
        plain = self.known.get(key, _MISSING)
        if plain is _MISSING:
            before = ctx.subscription
            decisions = run_day(ctx)
            if len(self.known) >= MAX_KEYS:
                self.known.clear()
            self.known[key] = _learn(before, ctx, decisions)
            return decisions
        if plain is None:
            return run_day(ctx)
        assert isinstance(plain, Plain)
        return Hit(plain, _earliest([plain.next_prolongation, others]))


_MISSING: Any = object()


def _learn(before: Any, ctx: Context, decisions: list[Decision]) -> Plain | None:
    """The key's `Plain` if the engine's decision is one: one completed prolongation with
    no updates, events or vendor call, changing `charged_until` and `due_on` only."""
    if len(decisions) != 1:
        return None
    d = decisions[0]
    op, after = d.operation, d.subscription
    if (op is None or op.type != "prolong" or op.status is not OpStatus.COMPLETED
            or d.op_updates or d.events or d.routed is not None or d.quote is not None
            or after.charged_until is None):
        return None
    for name in before.__slots__:  # repr: Decimal("6.0") == Decimal("6.00"), 1 == True,
        if name not in _CHANGED and repr(getattr(before, name)) != repr(getattr(after, name)):
            return None  # but they are stored differently; the run must write what it wrote
    return Plain(op=replace(op), lines=tuple(d.lines), end=after.charged_until,
                 next_prolongation=prolongation_day(after), plan=ctx.plan)


def decisions(ctx: Context, hit: Hit) -> list[Decision]:
    """The decisions `run_day` makes for a subscription found plain: the key's, with this
    subscription's ids. The scheduler writes a `Hit` without making these objects."""
    sub, plain = ctx.subscription, hit.plain
    op = replace(plain.op, id=ctx.new_id("op"), subscription=sub.id,
                 params={"resources": sub.resources},
                 dedup_key=prolong_dedup_key(sub.id, plain.op.effective_on))
    new = copy_sub(sub, charged_until=plain.end, due_on=hit.due_on)
    return [Decision(new, op, list(plain.lines))]


def charged(hit: Hit) -> Decimal:
    """What the prolongation charges (the customer's running balance goes down by it)."""
    return hit.plain.op.amount
