"""SPEC S7 grace period: an unpaid prolongation keeps the service running for
`grace_period_days`, then the subscription is stopped for non-payment.

"Unpaid" needs a limit to be unpaid against: a customer with a `credit_limit` whose balance
after the charge is below −credit_limit. Customers without a limit are invoiced and never
unpaid (docs/DESIGN.md)."""

from __future__ import annotations

from decimal import Decimal

from prorata.domain.engine.common import copy_sub, operation
from prorata.domain.engine.context import Context, Decision
from prorata.domain.engine.lifecycle import stopped_state
from prorata.domain.engine.pricing import total
from prorata.domain.engine.schedule import grace_end_day
from prorata.domain.model import ChargeLine, OpStatus, Status

NON_PAYMENT = "non_payment"


def short_of_credit(ctx: Context, lines: list[ChargeLine] | None = None) -> bool:
    limit = ctx.customer.credit_limit
    if limit is None or ctx.balance is None:
        return False
    after = ctx.balance - (total(lines) if lines else Decimal(0))
    return after < -limit


def mark_unpaid(ctx: Context, decision: Decision) -> Decision:
    """After a prolongation: remember the day it went unpaid, or stop at once (grace 0)."""
    if not short_of_credit(ctx, decision.lines):
        return decision
    if ctx.plan.settings.grace_period_days > 0:
        decision.subscription.unpaid_since = ctx.today
        return decision
    # No grace: the month is not charged and the service stops today.
    sub = ctx.subscription
    stopped = copy_sub(sub, status=Status.STOPPED, stopped_on=ctx.today, next_resources=None,
                       prolong_operation=None, stop_request=None)
    op = operation(ctx, "stop", OpStatus.COMPLETED, {"reason": NON_PAYMENT}, ctx.today, [],
                   dedup_key=f"unpaid:{sub.id}:{ctx.today}")
    op.error_code, op.error_message = NON_PAYMENT, "the prolongation exceeds the credit limit"
    return Decision(stopped, op, op_updates=decision.op_updates)


def grace_end(ctx: Context) -> Decision | None:
    """At the end of the grace period: still short → stop for non-payment, refunding the
    unused days per C5; paid meanwhile → nothing more to watch. The key carries the day: a
    stop the vendor refused (V2) leaves it unpaid, and the next day's run tries again."""
    sub = ctx.subscription
    due = grace_end_day(sub, ctx.plan)
    if due is None or due > ctx.today:
        return None
    if not short_of_credit(ctx):
        return Decision(copy_sub(sub, unpaid_since=None), None)
    stopped, lines = stopped_state(ctx)
    stopped.unpaid_since = None
    op = operation(ctx, "stop", OpStatus.COMPLETED, {"reason": NON_PAYMENT}, ctx.today, lines,
                   dedup_key=f"unpaid:{sub.id}:{sub.unpaid_since}:{ctx.today}")
    op.error_code, op.error_message = NON_PAYMENT, "unpaid at the end of the grace period"
    return Decision(stopped, op, lines)
