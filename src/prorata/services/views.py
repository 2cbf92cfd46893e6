"""The JSON shapes of API.md for subscriptions, operations and charge lines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from prorata.domain.model import ChargeLine, Operation, Subscription
from prorata.domain.money import format_amount, format_price


def _day(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def line_to_dict(line: ChargeLine) -> dict[str, Any]:
    return {
        "id": line.id, "object": "charge_line", "customer": line.customer,
        "subscription": line.subscription, "operation": line.operation,
        "kind": line.kind.value, "description": line.description, "resource": line.resource,
        "period_start": _day(line.period_start), "period_end": _day(line.period_end),
        "quantity": line.quantity, "unit_price": format_price(line.unit_price),
        "amount": format_amount(line.amount, line.currency), "currency": line.currency,
        "created_on": _day(line.created_on),
    }


def operation_to_dict(op: Operation, lines: list[ChargeLine], currency: str,
                      status: str | None = None) -> dict[str, Any]:
    """`amount` is the sum of `lines`, what the operation wrote (0 when it wrote none): a stop
    waiting for approval or a scheduled switch charges nothing yet. What it was quoted when
    asked for (the stored `op.amount`) stays visible as `quote`."""
    error = None if op.error_code is None else {"code": op.error_code,
                                                "message": op.error_message}
    cur = op.currency or currency
    return {
        "id": op.id, "object": "operation", "subscription": op.subscription, "type": op.type,
        "status": status or op.status.value, "actor": op.actor, "params": op.params,
        "effective_on": _day(op.effective_on), "created_on": _day(op.created_on),
        "amount": format_amount(sum((ln.amount for ln in lines), Decimal(0)), currency),
        "currency": cur, "lines": [line_to_dict(ln) for ln in lines],
        "quote": None if op.amount is None else format_amount(op.amount, cur),
        "error": error,
    }


def subscription_to_dict(sub: Subscription, available: list[str],
                         unavailable: dict[str, Any] | None = None) -> dict[str, Any]:
    pending = None
    if sub.renewal_order is not None:
        order = sub.renewal_order
        pending = {"operation": order.operation_id, "plan": order.plan, "period": order.period,
                   "resources": order.resources, "effective_on": _day(order.effective_on)}
    switch = None
    if sub.scheduled_switch is not None:
        order = sub.scheduled_switch
        switch = {"operation": order.operation_id, "plan": order.plan, "period": order.period,
                  "resources": order.resources, "effective_on": _day(order.effective_on)}
    return {
        "id": sub.id, "object": "subscription", "customer": sub.customer, "plan": sub.plan,
        "period": sub.period, "billing_type": sub.billing_type.value,
        "status": sub.status.value, "start_date": _day(sub.start_date),
        "period_start": _day(sub.period_start), "expires_on": _day(sub.expires_on),
        "charged_until": _day(sub.charged_until), "auto_renew": sub.auto_renew,
        "locked": sub.locked, "resources": dict(sub.resources),
        "prices": {k: format_price(v.price) for k, v in sub.prices.items()},
        "next_resources": sub.next_resources, "renewal_order": pending,
        "scheduled_switch": switch, "stop_request": sub.stop_request,
        "attributes": sub.attributes, "available_operations": available,
        "unavailable_operations": unavailable or {},
    }
