"""Use cases for products and plans (SPEC C1-C8). The operator owns the catalog; everyone
authenticated may read plans, since resellers and customers order from them.

Functions take an open unit of work and do not commit."""

from __future__ import annotations

from typing import Any

from prorata.domain.catalog import Plan, plan_to_dict
from prorata.domain.errors import InvalidInput
from prorata.domain.plans import build_plan, patch_plan
from prorata.services.inputs import (
    ID_PATTERN,
    ResourceExists,
    choose_id,
    missing,
    reference,
    require_object,
    require_operator,
    text,
)
from prorata.services.ports import Scope, UnitOfWork
from prorata.vendors import registry

AUDIENCES = ("customer", "manager", "both")
DEFAULT_CURRENCY = "USD"
DEFAULT_VENDOR = "instant"  # V3: the built-in connector that completes at once


def plan_json(plan: Plan) -> dict[str, Any]:
    return {"object": "plan", **plan_to_dict(plan)}


def product_json(product: dict[str, Any]) -> dict[str, Any]:
    return {"id": product["id"], "object": "product", "name": product["name"],
            "vendor": product.get("vendor"),
            "vendor_settings": product.get("vendor_settings") or {},
            "attributes": list(product.get("attributes") or [])}


def _attribute(raw: Any, index: int) -> dict[str, Any]:
    """P7: an order attribute asked of customers, managers or both."""
    param = f"attributes[{index}]"
    if not isinstance(raw, dict):
        raise InvalidInput("invalid_field", f"{param} must be an object", param)
    attr_id = raw.get("id")
    if not isinstance(attr_id, str) or not ID_PATTERN.match(attr_id):
        raise InvalidInput("invalid_field", f"{param}.id must be an identifier", f"{param}.id")
    try:
        name = text(raw, "name", required=False) or attr_id
    except InvalidInput as exc:
        exc.param = f"{param}.name"
        raise
    audience = raw.get("audience", "both")
    if audience not in AUDIENCES:
        raise InvalidInput("invalid_field", f"{param}.audience must be one of "
                           f"{', '.join(AUDIENCES)}", f"{param}.audience")
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise InvalidInput("invalid_field", f"{param}.required must be true or false",
                           f"{param}.required")
    return {"id": attr_id, "name": name, "audience": audience, "required": required}


def _vendor(raw: Any) -> tuple[str, dict[str, Any]]:
    """V1: `{"connector", "settings"}` or a bare connector name; the connector must be
    installed and accept the settings."""
    if raw is None:
        raw = DEFAULT_VENDOR
    if isinstance(raw, dict):
        name, settings = raw.get("connector"), raw.get("settings") or {}
    else:
        name, settings = raw, {}
    if not isinstance(name, str) or not ID_PATTERN.match(name):
        raise InvalidInput("invalid_field", "vendor must be a connector name", "vendor")
    return name, registry.check(name, settings)


def create_product(uow: UnitOfWork, scope: Scope, body: Any) -> dict[str, Any]:
    """POST /v1/products (C1): a product names its vendor connector (V1) and order attributes."""
    require_operator(scope)
    body = require_object(body)
    product_id = choose_id(body, "prod")
    name = text(body, "name")
    vendor, vendor_settings = _vendor(body.get("vendor"))
    attributes_raw = body.get("attributes") or []
    if not isinstance(attributes_raw, list):
        raise InvalidInput("invalid_field", "attributes must be a list", "attributes")
    attributes = [_attribute(raw, i) for i, raw in enumerate(attributes_raw)]
    if len({a["id"] for a in attributes}) != len(attributes):
        raise InvalidInput("duplicate_attribute", "attribute ids must be unique", "attributes")
    if uow.get_product(product_id) is not None:
        raise ResourceExists("product", product_id)
    product = {"id": product_id, "name": name, "vendor": vendor,
               "vendor_settings": vendor_settings, "attributes": attributes}
    uow.add_product(product)
    return product_json(product)


def get_product(uow: UnitOfWork, scope: Scope, product_id: str) -> dict[str, Any]:
    product = uow.get_product(product_id)
    if product is None:
        raise missing("product", product_id, "id")
    return product_json(product)


def create_plan(uow: UnitOfWork, scope: Scope, body: Any) -> dict[str, Any]:
    """POST /v1/plans. Switch targets are not looked up here: ladders are defined plan by plan
    (Bronze names Silver before Silver exists), so a target is checked when a switch asks for it."""
    require_operator(scope)
    body = require_object(body)
    plan_id = choose_id(body, "plan")
    product = reference(body, "product", "product")
    if product is None:
        raise InvalidInput("missing_field", "product is required", "product")
    if uow.get_product(product) is None:
        raise missing("product", product, "product")
    # Currency defaults like a customer's does, so a USD-only installation never names it.
    plan = build_plan({**body, "currency": body.get("currency") or DEFAULT_CURRENCY}, product,
                      plan_id)
    if uow.get_plan(plan_id) is not None:
        raise ResourceExists("plan", plan_id)
    uow.add_plan(plan)
    return plan_json(plan)


def _plan(uow: UnitOfWork, plan_id: str) -> Plan:
    plan = uow.get_plan(plan_id)
    if plan is None:
        raise missing("plan", plan_id, "id")
    return plan


def get_plan(uow: UnitOfWork, scope: Scope, plan_id: str) -> dict[str, Any]:
    """GET /v1/plans/{id}: every setting resolved to its value (C7 defaults filled in)."""
    return plan_json(_plan(uow, plan_id))


def update_plan(uow: UnitOfWork, scope: Scope, plan_id: str, body: Any) -> dict[str, Any]:
    """PATCH /v1/plans/{id}. Subscriptions keep the prices they captured (C8), so changing the
    plan never rewrites what a subscription pays before its next renewal or charging period."""
    require_operator(scope)
    updated = patch_plan(_plan(uow, plan_id), body)
    uow.update_plan(updated)
    return plan_json(updated)
