"""Rows <-> domain dataclasses. Amounts inside JSON are decimal strings (T5): JSON numbers
are floats to most readers, and a float never touches money."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from prorata.adapters.db.types import to_units
from prorata.domain.catalog import (
    BillingType,
    Plan,
    PlanSettings,
    RenewalMode,
    Resource,
    SwitchTarget,
)
from prorata.domain.model import (
    ChargeLine,
    Customer,
    Event,
    LineKind,
    Operation,
    OpStatus,
    PendingOrder,
    Status,
    Subscription,
    UnitPrice,
)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_dumps(value: Any) -> str:
    """The engine's JSON serializer: Decimals become strings, dates ISO strings."""
    return json.dumps(value, default=_default, separators=(",", ":"), ensure_ascii=False)


def json_loads(text: str) -> Any:
    return json.loads(text)


def jsonable(value: Any) -> Any:
    """What a value looks like after a trip through a JSON column (used by the fake too)."""
    return json_loads(json_dumps(value))


def _money(value: Decimal) -> Decimal:
    """Refuse, before any SQL runs, an amount a Money4 column would refuse (clearer error)."""
    to_units(value)
    return value


def _dec(value: Decimal) -> str:
    return format(value, "f")


def _opt_date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _opt_iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


# --- plans -----------------------------------------------------------------------------------

def plan_to_json(plan: Plan) -> dict[str, Any]:
    """Everything, unresolved (`refund_on_stop` stays None if unset), so a round trip is exact."""
    resources = []
    for r in plan.resources:
        price: Any = ({k: _dec(v) for k, v in r.price.items()} if isinstance(r.price, dict)
                      else _dec(r.price))
        resources.append({
            "id": r.id, "name": r.name, "unit": r.unit, "primary": r.primary,
            "priority": r.priority, "included": r.included, "min": r.min, "max": r.max,
            "price": price, "setup_price": _dec(r.setup_price),
            "erp_price": None if r.erp_price is None else _dec(r.erp_price),
        })
    settings: dict[str, Any] = {}
    for f in fields(PlanSettings):
        value = getattr(plan.settings, f.name)
        if isinstance(value, Decimal):
            value = _dec(value)
        elif isinstance(value, Enum):
            value = value.value
        settings[f.name] = value
    return {
        "id": plan.id, "product": plan.product, "name": plan.name,
        "billing_type": plan.billing_type.value, "currency": plan.currency,
        "periods": list(plan.periods), "resources": resources,
        "switch_to": [{"plan": t.plan, "kind": t.kind} for t in plan.switch_to],
        "settings": settings,
    }


def _settings_from_json(raw: dict[str, Any]) -> PlanSettings:
    """Unknown keys are ignored and missing ones take their defaults, so rows written by an
    older or newer release still load."""
    defaults = PlanSettings()
    values: dict[str, Any] = {}
    for f in fields(PlanSettings):
        if f.name not in raw:
            continue
        value, default = raw[f.name], getattr(defaults, f.name)
        if isinstance(default, Decimal):
            value = Decimal(value)
        elif isinstance(default, RenewalMode):
            value = RenewalMode(value)
        values[f.name] = value
    return PlanSettings(**values)


def plan_from_json(data: dict[str, Any]) -> Plan:
    resources = tuple(
        Resource(
            id=r["id"], name=r["name"], unit=r["unit"], primary=r["primary"],
            priority=r["priority"], included=r["included"], min=r["min"], max=r["max"],
            price=({k: Decimal(v) for k, v in r["price"].items()} if isinstance(r["price"], dict)
                   else Decimal(r["price"])),
            setup_price=Decimal(r["setup_price"]),
            erp_price=None if r.get("erp_price") is None else Decimal(r["erp_price"]),
        )
        for r in data["resources"]
    )
    return Plan(
        id=data["id"], product=data["product"], name=data["name"],
        billing_type=BillingType(data["billing_type"]), currency=data["currency"],
        periods=tuple(data["periods"]), resources=resources,
        switch_to=tuple(SwitchTarget(t["plan"], t["kind"]) for t in data["switch_to"]),
        settings=_settings_from_json(data.get("settings", {})),
    )


def plan_values(plan: Plan) -> dict[str, Any]:
    return {"product_id": plan.product, "name": plan.name,
            "billing_type": plan.billing_type.value, "currency": plan.currency,
            "data": plan_to_json(plan)}


# --- parties ---------------------------------------------------------------------------------

def customer_values(c: Customer) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "reseller_id": c.reseller, "billing_day": c.billing_day,
            "currency": c.currency, "inn": c.inn, "customer_group": c.group,
            "credit_limit": None if c.credit_limit is None else _money(c.credit_limit),
            "email": c.email}


def row_to_customer(row: Any) -> Customer:
    return Customer(id=row.id, name=row.name, reseller=row.reseller_id,
                    billing_day=row.billing_day, currency=row.currency, inn=row.inn,
                    group=row.customer_group, credit_limit=row.credit_limit, email=row.email)


# --- subscriptions ---------------------------------------------------------------------------

def prices_to_json(prices: dict[str, UnitPrice]) -> dict[str, Any]:
    return {k: {"price": _dec(p.price), "setup_price": _dec(p.setup_price)}
            for k, p in prices.items()}


def prices_from_json(data: dict[str, Any]) -> dict[str, UnitPrice]:
    return {k: UnitPrice(Decimal(p["price"]), Decimal(p["setup_price"]))
            for k, p in data.items()}


def order_to_json(order: PendingOrder | None) -> dict[str, Any] | None:
    if order is None:
        return None
    return {"operation_id": order.operation_id, "kind": order.kind, "plan": order.plan,
            "period": order.period, "resources": dict(order.resources),
            "effective_on": order.effective_on.isoformat(),
            "charged_until": _opt_iso(order.charged_until),
            "period_end": _opt_iso(order.period_end), "prices": prices_to_json(order.prices)}


def order_from_json(data: dict[str, Any] | None) -> PendingOrder | None:
    if data is None:
        return None
    return PendingOrder(
        operation_id=data["operation_id"], kind=data["kind"], plan=data["plan"],
        period=data["period"], resources=dict(data["resources"]),
        effective_on=date.fromisoformat(data["effective_on"]),
        charged_until=_opt_date(data.get("charged_until")),
        period_end=_opt_date(data.get("period_end")),
        prices=prices_from_json(data.get("prices", {})))


def subscription_values(sub: Subscription) -> dict[str, Any]:
    """The columns an update may change (not id, customer, reseller_path, version)."""
    return {
        "plan_id": sub.plan, "period": sub.period, "billing_type": sub.billing_type.value,
        "status": sub.status.value, "start_date": sub.start_date,
        "period_start": sub.period_start, "period_end": sub.period_end,
        "anchor_day": sub.anchor_day, "charged_until": sub.charged_until,
        "auto_renew": sub.auto_renew, "resources": dict(sub.resources),
        "prices": prices_to_json(sub.prices),
        "high_water": dict(sub.high_water),
        "renewal_order": order_to_json(sub.renewal_order),
        "scheduled_switch": order_to_json(sub.scheduled_switch),
        "next_resources": None if sub.next_resources is None else dict(sub.next_resources),
        "prolong_operation": sub.prolong_operation, "stop_request": sub.stop_request,
        "stopped_on": sub.stopped_on, "expired_on": sub.expired_on,
        "unpaid_since": sub.unpaid_since, "attributes": jsonable(sub.attributes),
        "due_on": sub.due_on, "expiry_noticed": sub.expiry_noticed, "shifted": sub.shifted,
    }


def row_to_subscription(row: Any) -> Subscription:
    return Subscription(
        id=row.id, customer=row.customer_id, plan=row.plan_id, period=row.period,
        billing_type=BillingType(row.billing_type), status=Status(row.status),
        start_date=row.start_date, period_start=row.period_start, period_end=row.period_end,
        anchor_day=row.anchor_day, charged_until=row.charged_until, auto_renew=row.auto_renew,
        resources=dict(row.resources),
        prices=prices_from_json(row.prices),
        high_water=dict(row.high_water),
        renewal_order=order_from_json(row.renewal_order),
        scheduled_switch=order_from_json(row.scheduled_switch),
        next_resources=None if row.next_resources is None else dict(row.next_resources),
        prolong_operation=row.prolong_operation, stop_request=row.stop_request,
        stopped_on=row.stopped_on, expired_on=row.expired_on, unpaid_since=row.unpaid_since,
        attributes=dict(row.attributes), version=row.version, due_on=row.due_on,
        expiry_noticed=row.expiry_noticed, shifted=bool(row.shifted),
    )


# --- operations and lines --------------------------------------------------------------------

def operation_values(op: Operation) -> dict[str, Any]:
    """The columns an update may change."""
    return {"status": op.status.value, "params": jsonable(op.params),
            "effective_on": op.effective_on, "amount": _money(op.amount), "currency": op.currency,
            "error_code": op.error_code, "error_message": op.error_message}


def row_to_operation(row: Any) -> Operation:
    return Operation(
        id=row.id, subscription=row.subscription_id, type=row.type, status=OpStatus(row.status),
        actor=row.actor, params=dict(row.params), effective_on=row.effective_on,
        created_on=row.created_on, amount=row.amount, currency=row.currency,
        error_code=row.error_code, error_message=row.error_message, dedup_key=row.dedup_key)


def line_values(line: ChargeLine) -> dict[str, Any]:
    return {
        "id": line.id, "customer_id": line.customer, "subscription_id": line.subscription,
        "operation_id": line.operation, "kind": LineKind(line.kind).value,
        "resource": line.resource, "description": line.description,
        "period_start": line.period_start, "period_end": line.period_end,
        "quantity": line.quantity, "unit_price": _money(line.unit_price),
        "amount": _money(line.amount),
        "currency": line.currency, "created_on": line.created_on,
    }


def row_to_line(row: Any) -> ChargeLine:
    return ChargeLine(
        kind=LineKind(row.kind), description=row.description, period_start=row.period_start,
        period_end=row.period_end, quantity=row.quantity, unit_price=row.unit_price,
        amount=row.amount, currency=row.currency, resource=row.resource, id=row.id,
        customer=row.customer_id, subscription=row.subscription_id,
        operation=row.operation_id, created_on=row.created_on)


def event_values(event: Event) -> dict[str, Any]:
    return {"id": event.id, "type": event.type, "customer_id": event.customer,
            "subscription_id": event.subscription, "data": jsonable(event.data),
            "created_on": event.created_on, "dedup_key": event.dedup_key}


def row_to_event(row: Any) -> Event:
    return Event(type=row.type, data=dict(row.data or {}), customer=row.customer_id,
                 subscription=row.subscription_id, dedup_key=row.dedup_key, id=row.id,
                 created_on=row.created_on)
