"""Stop, approval, activation (S9), deletion (S10) and cancelling pending orders (S5.4, S8.3)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from prorata.domain.engine.availability import deletion_anchor_days
from prorata.domain.engine.common import config_of, copy_sub, operation, pricer, reference
from prorata.domain.engine.context import Context, Decision, OpUpdate
from prorata.domain.engine.pricing import cap_refunds
from prorata.domain.model import ChargeLine, LineKind, OpStatus, Status, Subscription


def _unused_refund(ctx: Context, kind: LineKind = LineKind.REFUND) -> list[ChargeLine]:
    """The charged days from today on, at the prices they were charged with (T4)."""
    sub, plan, today = ctx.subscription, ctx.plan, ctx.today
    if sub.charged_until is None or sub.charged_until <= today:
        return []
    ref = reference(plan, sub.period_start, sub.period_end)
    lines = pricer(ctx).recurring(config_of(sub, plan), today, sub.charged_until, kind=kind,
                                  ref=ref, sign=-1, label="Unused: ")
    return cap_refunds(lines, ctx.refundable)


def stopped_state(ctx: Context) -> tuple[Subscription, list[ChargeLine]]:
    """C5: monthly and long_term (with refund_on_stop) give back the unused days and stop
    charging; monthly_commitment keeps being charged to term end; the rest refund nothing."""
    sub, plan = ctx.subscription, ctx.plan
    lines: list[ChargeLine] = []
    charged_until = sub.charged_until
    if plan.refund_on_stop:
        lines = _unused_refund(ctx)
        if charged_until is not None and charged_until > ctx.today:
            charged_until = ctx.today
    new = copy_sub(sub, status=Status.STOPPED, stopped_on=ctx.today, stop_request=None,
                   charged_until=charged_until, next_resources=None, prolong_operation=None)
    return new, lines


def stop(ctx: Context, body: dict[str, Any]) -> Decision:
    sub = ctx.subscription
    if ctx.plan.settings.stop_requires_approval or ctx.stop_needs_approval:
        _, quote = stopped_state(ctx)
        op = operation(ctx, "stop", OpStatus.WAITING_FOR_APPROVAL, {}, None, quote)
        return Decision(subscription=copy_sub(sub, stop_request=op.id), operation=op, lines=[],
                        quote=quote)
    new, lines = stopped_state(ctx)
    op = operation(ctx, "stop", OpStatus.COMPLETED, {}, ctx.today, lines)
    return Decision(subscription=new, operation=op, lines=lines, op_updates=_drop_prolong(sub))


def approve(ctx: Context, body: dict[str, Any]) -> Decision:
    sub = ctx.subscription
    assert sub.stop_request is not None
    new, lines = stopped_state(ctx)
    op = operation(ctx, "approve", OpStatus.COMPLETED, {"stop": sub.stop_request}, ctx.today,
                   lines)
    updates = [OpUpdate(sub.stop_request, OpStatus.COMPLETED), *_drop_prolong(sub)]
    return Decision(subscription=new, operation=op, lines=lines, op_updates=updates)


def reject(ctx: Context, body: dict[str, Any]) -> Decision:
    sub = ctx.subscription
    assert sub.stop_request is not None
    reason = body.get("reason") if isinstance(body.get("reason"), str) else "rejected by a manager"
    op = operation(ctx, "reject", OpStatus.COMPLETED, {"stop": sub.stop_request}, ctx.today, [])
    update = OpUpdate(sub.stop_request, OpStatus.CANCELLED, "rejected", reason)
    return Decision(subscription=copy_sub(sub, stop_request=None), operation=op,
                    op_updates=[update])


def activate(ctx: Context, body: dict[str, Any]) -> Decision:
    """S9: charges the rest of the current charging period where the stop refunded it."""
    sub, plan, today = ctx.subscription, ctx.plan, ctx.today
    lines: list[ChargeLine] = []
    charged_until = sub.charged_until
    if plan.refund_on_stop and (charged_until is None or charged_until <= today):
        p = pricer(ctx)
        end = p.span_end(plan, today, sub.period_end)
        if end is not None and end > today:
            ref = reference(plan, sub.period_start, sub.period_end)
            lines = p.recurring(config_of(sub, plan), today, end, kind=LineKind.CHARGE, ref=ref)
            charged_until = end
    new = copy_sub(sub, status=Status.ACTIVE, stopped_on=None, charged_until=charged_until)
    op = operation(ctx, "activate", OpStatus.COMPLETED, {}, today, lines)
    return Decision(subscription=new, operation=op, lines=lines)


def delete(ctx: Context, body: dict[str, Any]) -> Decision:
    """S10: the first day refunds everything charged for the current period; later, only the
    unused days. Deletion is final."""
    sub = ctx.subscription
    if deletion_anchor_days(ctx) == 0:
        lines = _full_refund(ctx)
    else:
        lines = _unused_refund(ctx)
    new = copy_sub(sub, status=Status.DELETED, renewal_order=None, scheduled_switch=None,
                   next_resources=None, prolong_operation=None, stop_request=None)
    op = operation(ctx, "delete", OpStatus.COMPLETED, {}, ctx.today, lines)
    updates = _drop_prolong(sub)
    if sub.scheduled_switch is not None:
        updates.append(OpUpdate(sub.scheduled_switch.operation_id, OpStatus.CANCELLED,
                                "subscription_deleted", "the subscription was deleted"))
    return Decision(subscription=new, operation=op, lines=lines, op_updates=updates)


def _full_refund(ctx: Context) -> list[ChargeLine]:
    amount = ctx.refundable or Decimal(0)
    if amount <= 0:
        return []
    sub = ctx.subscription
    return [ChargeLine(kind=LineKind.REFUND, description="Full refund: deleted within 24 hours",
                       period_start=sub.period_start, period_end=sub.charged_until, quantity=1,
                       unit_price=-amount, amount=-amount, currency=ctx.customer.currency)]


def change_renewal_options(ctx: Context, body: dict[str, Any]) -> Decision:
    """S5.4: cancel the waiting renewal order, refund its charge, turn auto-renew off."""
    sub = ctx.subscription
    order = sub.renewal_order
    assert order is not None
    lines = [replace(ln, kind=LineKind.REFUND, amount=-ln.amount, id=None, operation=None,
                     description=f"Cancelled renewal order: {ln.description}")
             for ln in ctx.order_lines if ln.amount != 0]
    op = operation(ctx, "change_renewal_options", OpStatus.COMPLETED,
                   {"renewal_order": order.operation_id}, ctx.today, lines)
    update = OpUpdate(order.operation_id, OpStatus.CANCELLED, "renewal_options_changed",
                      "cancelled to renew with new options")
    new = copy_sub(sub, renewal_order=None, auto_renew=False)
    return Decision(subscription=new, operation=op, lines=lines, op_updates=[update])


def cancel_switch(ctx: Context, body: dict[str, Any]) -> Decision:
    """S8.3: possible until the switch's charge is issued on its day."""
    sub = ctx.subscription
    switch = sub.scheduled_switch
    assert switch is not None
    op = operation(ctx, "cancel_switch", OpStatus.COMPLETED, {"switch": switch.operation_id},
                   ctx.today, [])
    update = OpUpdate(switch.operation_id, OpStatus.CANCELLED, "cancelled", "switch cancelled")
    return Decision(subscription=copy_sub(sub, scheduled_switch=None), operation=op,
                    op_updates=[update])


def _drop_prolong(sub: Subscription) -> list[OpUpdate]:
    if not sub.prolong_operation:
        return []
    return [OpUpdate(sub.prolong_operation, OpStatus.CANCELLED, "subscription_stopped",
                     "the subscription stopped before the billing day")]
