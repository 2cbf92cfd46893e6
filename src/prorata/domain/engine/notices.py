"""The subscription events the engine emits (SPEC R2, R4), as part of its decisions.

Two sources, both pure:

- `transition_events` reads what a decision changed — a renewal order placed, a new period
  begun, the subscription expired, stopped or deleted — from the subscription before and
  after. Every decision goes through it, on the request path (`engine.decide`) and in the
  daily run (`daily.run_day`) alike, so a rule never has to remember to announce itself, and
  a later change of how a rule works (e.g. a vendor making it asynchronous) keeps its events
  as long as it changes the subscription the same way.
- `expiry_notice` is a daily step of its own: `subscription_expiring`, once per subscription
  and period, `expiry_notice_days` before `expires_on` (R4). The subscription remembers the
  period it announced (`expiry_noticed`), so `due_on` moves past the notice day.

Each event carries a dedup key naming what it is about (`<type>:<subscription>:<period or
operation>`): stored once however often the run repeats (S12)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from prorata.domain import events as T
from prorata.domain.calendar import expires_on
from prorata.domain.catalog import Plan
from prorata.domain.engine.common import copy_sub
from prorata.domain.engine.context import Context, Decision
from prorata.domain.engine.schedule import expiry_notice_day
from prorata.domain.model import Event, Status, Subscription
from prorata.domain.money import format_amount


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _event(kind: str, sub: Subscription, about: object, data: dict[str, Any]) -> Event:
    return Event(kind, data, customer=sub.customer, subscription=sub.id,
                 dedup_key=f"{kind}:{sub.id}:{about}")


def expiry_notice(ctx: Context) -> Decision | None:
    """R4: tells that the subscription expires soon, and whether it renews by itself."""
    sub = ctx.subscription
    day = expiry_notice_day(sub, ctx.plan)
    if day is None or day > ctx.today:
        return None
    assert sub.period_end is not None
    order = sub.renewal_order
    data = {"plan": sub.plan, "period": sub.period, "status": sub.status.value,
            "expires_on": _day(sub.expires_on),
            "days_left": (sub.period_end - timedelta(days=1) - ctx.today).days,
            "auto_renew": sub.auto_renew,
            "renewal_order": None if order is None else order.operation_id}
    event = _event(T.SUBSCRIPTION_EXPIRING, sub, sub.period_end, data)
    return Decision(copy_sub(sub, expiry_noticed=sub.period_end), None, events=[event])


def transition_events(before: Subscription, decision: Decision, plan: Plan) -> list[Event]:
    """The events of what `decision` changed, `before` being the subscription it started
    from and `plan` the plan it was decided with."""
    after, op = decision.subscription, decision.operation
    out: list[Event] = []
    order = after.renewal_order
    if order is not None and (before.renewal_order is None
                              or before.renewal_order.operation_id != order.operation_id):
        amount = None if op is None or op.currency is None else \
            format_amount(op.amount, op.currency)
        out.append(_event(T.RENEWAL_ORDER_CREATED, after, order.operation_id, {
            "operation": order.operation_id, "plan": order.plan, "period": order.period,
            "resources": dict(order.resources), "effective_on": _day(order.effective_on),
            "expires_on": _day(expires_on(order.period_end)),
            "automatic": bool(op is not None and op.params.get("automatic")),
            "amount": amount, "currency": None if op is None else op.currency}))
    if _renewed(before, after):
        out.append(_event(T.SUBSCRIPTION_RENEWED, after, after.period_start, {
            "plan": after.plan, "period": after.period,
            "period_start": _day(after.period_start), "expires_on": _day(after.expires_on),
            "previous_expires_on": _day(before.expires_on),
            "operation": None if op is None else op.id}))
    if after.status is not before.status:
        out.extend(_status_events(before, after, decision, plan))
    return out


def _renewed(before: Subscription, after: Subscription) -> bool:
    """A new period that follows the old one (a renewal order taking effect, S5.3) or starts
    after it (renewing an expired subscription, S6). A trial's switch to a paid plan starts
    a period too, but inside the old one (S8.1): that is not a renewal."""
    return (before.period_end is not None and after.period_end != before.period_end
            and after.period_start >= before.period_end)


def _status_events(before: Subscription, after: Subscription, decision: Decision,
                   plan: Plan) -> list[Event]:
    op = decision.operation
    op_id = None if op is None else op.id
    reason = (op.params.get("reason") if op is not None else None) or "requested"
    if after.status is Status.EXPIRED:
        assert before.period_end is not None
        until = before.period_end + timedelta(days=plan.settings.expired_renewal_days)
        return [_event(T.SUBSCRIPTION_EXPIRED, after, before.period_end, {
            "plan": after.plan, "expired_on": _day(before.expires_on),
            "renewable_until": _day(until - timedelta(days=1)),
            "auto_renew": after.auto_renew})]
    if after.status is Status.STOPPED:
        return [_event(T.SUBSCRIPTION_STOPPED, after, op_id or after.stopped_on, {
            "plan": after.plan, "stopped_on": _day(after.stopped_on), "reason": reason,
            "operation": op_id, "expires_on": _day(after.expires_on)})]
    if after.status is Status.DELETED:
        return [_event(T.SUBSCRIPTION_DELETED, after, "final", {
            "plan": after.plan, "reason": reason, "operation": op_id})]
    return []
