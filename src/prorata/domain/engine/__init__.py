"""The lifecycle engine: given a subscription, its plan, the customer, the caller and today,
decide what an operation does and costs. Pure: services load and store around it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prorata.domain.engine import changes, lifecycle, switching
from prorata.domain.engine.availability import (
    MANAGER_OPERATIONS,
    OPERATIONS,
    Refusal,
    availability,
    available_operations,
    operations_both_ways,
    operations_for,
    refusal,
    unavailable_operations,
)
from prorata.domain.engine.context import (
    SYSTEM,
    Actor,
    Context,
    Decision,
    OpUpdate,
    RateTable,
    SystemActor,
)
from prorata.domain.engine.daily import run_day
from prorata.domain.engine.notices import transition_events
from prorata.domain.engine.purchase import purchase
from prorata.domain.engine.schedule import due_on
from prorata.domain.errors import InvalidInput, OperationRefused

_HANDLERS: dict[str, Callable[[Context, dict[str, Any]], Decision]] = {
    "change_resources": changes.change_resources,
    "renew": changes.renew,
    "prolong": changes.prolong,
    "switch_plan": switching.switch_plan,
    "stop": lifecycle.stop,
    "activate": lifecycle.activate,
    "delete": lifecycle.delete,
    "approve": lifecycle.approve,
    "reject": lifecycle.reject,
    "change_renewal_options": lifecycle.change_renewal_options,
    "cancel_switch": lifecycle.cancel_switch,
}

def decide(ctx: Context, body: dict[str, Any]) -> Decision:
    """Refuse with the S2 code when the operation is not available; otherwise decide it."""
    op_type = body.get("type")
    if not isinstance(op_type, str) or op_type not in _HANDLERS:
        raise InvalidInput("unknown_operation",
                           f"type must be one of {', '.join(OPERATIONS)}", "type")
    reason = refusal(ctx, op_type)
    if reason is not None:
        raise OperationRefused(reason.code, reason.message, "type")
    decision = _HANDLERS[op_type](ctx, body)
    decision.events += transition_events(ctx.subscription, decision, ctx.plan)  # R2
    sub = decision.subscription
    sub.due_on = due_on(sub, ctx.plans.get(sub.plan, ctx.plan))
    return decision


__all__ = [
    "MANAGER_OPERATIONS", "OPERATIONS", "SYSTEM", "Actor", "Context", "Decision", "OpUpdate",
    "RateTable",
    "Refusal", "SystemActor", "availability", "available_operations", "decide", "due_on",
    "operations_both_ways", "operations_for", "purchase", "refusal", "run_day",
    "unavailable_operations",
]
