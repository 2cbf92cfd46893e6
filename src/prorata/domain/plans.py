"""Building a plan from untrusted input (POST/PATCH /v1/plans): every field checked, with
an error naming the field, so a bad plan never reaches the engine."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from prorata.domain.calendar import parse_duration
from prorata.domain.catalog import (
    BillingType,
    Plan,
    Resource,
    SwitchTarget,
    build_settings,
)
from prorata.domain.errors import InvalidInput
from prorata.domain.money import check_currency, parse_decimal


def _text(raw: dict[str, Any], key: str, param: str, *, required: bool = True) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise InvalidInput("invalid_field", f"{param} must be a non-empty string", param)
    return value


def _int(raw: dict[str, Any], key: str, param: str, default: int | None) -> int | None:
    value = raw.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput("invalid_field", f"{param} must be a whole number >= 0", param)
    return value


def _price(value: Any, param: str, periods: tuple[str, ...]) -> Decimal | dict[str, Decimal]:
    if isinstance(value, dict):
        out = {}
        for period, amount in value.items():
            if period not in periods:
                raise InvalidInput("period_not_offered",
                                   f"{param}: the plan has no period {period}", param)
            out[period] = parse_decimal(amount, f"{param}.{period}")
        missing = [p for p in periods if p not in out]
        if missing:
            raise InvalidInput("invalid_field", f"{param} has no price for {missing[0]}", param)
        return out
    return parse_decimal(value if value is not None else "0", param)


def build_resource(raw: Any, index: int, periods: tuple[str, ...]) -> Resource:
    param = f"resources[{index}]"
    if not isinstance(raw, dict):
        raise InvalidInput("invalid_field", f"{param} must be an object", param)
    rid = _text(raw, "id", f"{param}.id")
    assert rid is not None
    name = _text(raw, "name", f"{param}.name", required=False) or rid
    minimum = _int(raw, "min", f"{param}.min", 0) or 0
    maximum = _int(raw, "max", f"{param}.max", None)
    if maximum is not None and maximum < minimum:
        raise InvalidInput("invalid_field", f"{param}: max is below min", f"{param}.max")
    erp = raw.get("erp_price")
    priority = raw.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise InvalidInput("invalid_field", f"{param}.priority must be a whole number",
                           f"{param}.priority")
    primary = raw.get("primary", False)
    if not isinstance(primary, bool):
        raise InvalidInput("invalid_field", f"{param}.primary must be true or false",
                           f"{param}.primary")
    return Resource(
        id=rid, name=name, unit=str(raw.get("unit") or "unit"), primary=primary,
        priority=priority, included=_int(raw, "included", f"{param}.included", 0) or 0,
        min=minimum, max=maximum, price=_price(raw.get("price"), f"{param}.price", periods),
        setup_price=parse_decimal(raw.get("setup_price", "0"), f"{param}.setup_price"),
        erp_price=None if erp is None else parse_decimal(erp, f"{param}.erp_price"),
    )


def _check_resources(resources: tuple[Resource, ...]) -> None:
    ids = [r.id for r in resources]
    if len(set(ids)) != len(ids):
        raise InvalidInput("duplicate_resource", "resource ids must be unique", "resources")
    if sum(r.primary for r in resources) > 1:
        raise InvalidInput("multiple_primary_resources",
                           "a plan has at most one primary resource", "resources")


def build_plan(raw: Any, product: str, plan_id: str) -> Plan:
    if not isinstance(raw, dict):
        raise InvalidInput("invalid_request", "the plan must be an object", None)
    try:
        billing_type = BillingType(str(raw.get("billing_type")))
    except ValueError as exc:
        raise InvalidInput("invalid_billing_type",
                           f"billing_type must be one of {', '.join(b.value for b in BillingType)}",
                           "billing_type") from exc
    periods_raw = raw.get("periods", [])
    if not isinstance(periods_raw, list):
        raise InvalidInput("invalid_period", "periods must be a list", "periods")
    periods = tuple(parse_duration(p, "periods").code for p in periods_raw)
    if len(set(periods)) != len(periods):
        raise InvalidInput("invalid_period", "periods must be unique", "periods")
    if not periods and billing_type not in (BillingType.MONTHLY, BillingType.PAYG):
        raise InvalidInput("invalid_period", f"a {billing_type.value} plan needs a period",
                           "periods")
    resources_raw = raw.get("resources", [])
    if not isinstance(resources_raw, list):
        raise InvalidInput("invalid_field", "resources must be a list", "resources")
    resources = tuple(build_resource(r, i, periods) for i, r in enumerate(resources_raw))
    _check_resources(resources)
    switch_raw = raw.get("switch_to", [])
    if not isinstance(switch_raw, list):
        raise InvalidInput("invalid_field", "switch_to must be a list", "switch_to")
    targets = []
    for i, t in enumerate(switch_raw):
        if not isinstance(t, dict) or not isinstance(t.get("plan"), str) or t.get("kind") not in (
                "upgrade", "downgrade"):
            raise InvalidInput("invalid_switch_target",
                               "switch_to items are {plan, kind: upgrade|downgrade}",
                               f"switch_to[{i}]")
        if t["plan"] == plan_id:
            raise InvalidInput("invalid_switch_target", "a plan cannot switch to itself",
                               f"switch_to[{i}]")
        targets.append(SwitchTarget(t["plan"], t["kind"]))
    name = _text(raw, "name", "name")
    assert name is not None
    return Plan(
        id=plan_id, product=product, name=name, billing_type=billing_type,
        currency=check_currency(raw.get("currency")), periods=periods, resources=resources,
        switch_to=tuple(targets), settings=build_settings(raw.get("settings")),
    )


def patch_plan(plan: Plan, raw: Any) -> Plan:
    """PATCH /v1/plans/{id}: name, prices and settings; prices apply per C8, never backwards."""
    if not isinstance(raw, dict):
        raise InvalidInput("invalid_request", "the patch must be an object", None)
    unknown = set(raw) - {"name", "resources", "settings"}
    if unknown:
        raise InvalidInput("unknown_field", f"cannot change {sorted(unknown)[0]}",
                           sorted(unknown)[0])
    name = _text(raw, "name", "name") if "name" in raw else plan.name
    resources = list(plan.resources)
    for i, change in enumerate(raw.get("resources") or []):
        param = f"resources[{i}]"
        if not isinstance(change, dict) or not isinstance(change.get("id"), str):
            raise InvalidInput("invalid_field", f"{param} needs an id", param)
        idx = next((k for k, r in enumerate(resources) if r.id == change["id"]), None)
        if idx is None:
            raise InvalidInput("unknown_resource", f"plan has no resource {change['id']}", param)
        res = resources[idx]
        updates: dict[str, Any] = {}
        if "price" in change:
            updates["price"] = _price(change["price"], f"{param}.price", plan.periods)
        if "setup_price" in change:
            updates["setup_price"] = parse_decimal(change["setup_price"], f"{param}.setup_price")
        if "erp_price" in change:
            erp = change["erp_price"]
            updates["erp_price"] = None if erp is None else parse_decimal(erp, f"{param}.erp_price")
        resources[idx] = replace(res, **updates)
    settings = build_settings(raw.get("settings"), plan.settings) if "settings" in raw \
        else plan.settings
    assert name is not None
    return replace(plan, name=name, resources=tuple(resources), settings=settings)
