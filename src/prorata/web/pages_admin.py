"""Billing (charges, invoices, payments), and the managers' pages: customers and resellers,
the stop-approval queue, plans and their settings, delegated settings. Reads and writes go
through the same services as the API, so the service decides who may do what (P2)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from prorata.api.deps import check_id
from prorata.domain.catalog import setting_choices, setting_kind
from prorata.services import (
    catalog,
    delegation,
    invoicing,
    lists,
    parties,
    payments,
    subscriptions,
    usage,
)
from prorata.services.ports import Scope, UnitOfWork
from prorata.web import consumption, listing, subview
from prorata.web.guard import guard, guard_form, see_other, today
from prorata.web.render import new_form_key, page, perform, read
from prorata.web.session import Form

router = APIRouter(prefix="/panel", include_in_schema=False)
EDITABLE = ("manual_renewal_point", "auto_renewal_point", "delayed_switch_point",
            "deletion_window_hours", "expired_renewal_days", "stopped_retention_days",
            "grace_period_days", "upgrade_fee", "downgrade_fee", "plan_change_timing",
            "unused_funds", "price_lock", "stop_requires_approval")


@router.get("/billing")
def billing(request: Request) -> Response:
    def show(scope: Scope) -> Response:
        customer = request.query_params.get("customer", "")[:64] or (
            scope.party if scope.kind == "customer" else "")
        if not customer:
            return see_other("/panel/customers")
        check_id(customer, "customer")

        def load(uow: UnitOfWork) -> dict[str, Any]:
            return {"customer": parties.get_customer(uow, scope, customer),
                    "charges": parties.list_charges(uow, scope, customer, 100, None).items,
                    "invoices": invoicing.list_invoices(uow, scope, customer, 100, None).items,
                    "payments": payments.list_payments(uow, scope, customer, 100, None).items,
                    "usage": consumption.chart(
                        usage.customer_consumption(uow, scope, customer)["data"])}
        return page(request, "billing.html", scope=scope, **read(request, load))
    return guard(request, show)


@router.get("/customers")
def customers(request: Request) -> Response:
    def show(scope: Scope) -> Response:
        if not scope.is_manager:
            return see_other("/panel/billing")
        params = listing.params_of(request, ())

        def load(uow: UnitOfWork) -> dict[str, Any]:
            found = listing.fetch(uow, scope, "customers", params, "/panel/customers")
            # A reseller's own row is not a sub-reseller; customers only have no resellers.
            below = [r for r in listing.fetch(uow, scope, "resellers", {}, "",
                                              size=lists.MAX_LIMIT).items
                     if r["id"] != scope.party] if scope.kind != "customer" else []
            return {"customers": found.items, "found": found, "resellers": below}
        return page(request, "customers.html", scope=scope, **read(request, load))
    return guard(request, show)


@router.get("/approvals")
def approvals(request: Request) -> Response:
    def show(scope: Scope) -> Response:
        day = today(request)

        params = listing.params_of(request, ())

        def load(uow: UnitOfWork) -> dict[str, Any]:
            # Each waiting stop needs its approve/reject offer (S2): one page, not the lot.
            found = listing.fetch(uow, scope, "subscriptions", params, "/panel/approvals",
                                  {"stop_requested": "true"})
            return {"found": found, "items": [
                subscriptions.get_subscription(uow, scope, sub["id"], day)
                for sub in found.items]}
        return page(request, "approvals.html", scope=scope, **read(request, load),
                    labels=subview.LABELS, key=new_form_key())
    return guard(request, show)


@router.get("/plans")
def plans(request: Request) -> Response:
    def show(scope: Scope) -> Response:
        params = listing.params_of(request, ())
        found = read(request, lambda uow: listing.fetch(uow, scope, "plans", params,
                                                        "/panel/plans"))
        return page(request, "plans.html", scope=scope, plans=found.items, found=found)
    return guard(request, show)


@router.get("/plans/{plan_id}")
def plan_page(request: Request, plan_id: str) -> Response:
    def show(scope: Scope) -> Response:
        check_id(plan_id, "plan")
        plan = read(request, lambda uow: catalog.get_plan(uow, scope, plan_id))
        return page(request, "plan.html", scope=scope, plan=plan, editable=EDITABLE,
                    kinds={n: setting_kind(n) for n in EDITABLE},
                    choices={n: setting_choices(n) for n in EDITABLE}, key=new_form_key(),
                    saved=request.query_params.get("saved") == "1")
    return guard(request, show)


def _setting(name: str, raw: str) -> Any:
    """Form text → the JSON value the plan patch expects, by the domain's `setting_kind`;
    anything odd is passed on as text so the catalog refuses it with its own message."""
    text, kind = raw.strip(), setting_kind(name)
    if kind == "flag":
        return text == "on"
    if kind == "optional_whole" and text == "":
        return None
    if kind in ("whole", "optional_whole"):
        return int(text) if text.isdigit() and len(text) < 10 else text
    return text


def plan_patch(form: Form, plan: dict[str, Any]) -> dict[str, Any]:
    settings = {name: _setting(name, form.get(f"set_{name}")) for name in EDITABLE
                if setting_kind(name) == "flag" or f"set_{name}" in form.names()}
    resources = []
    for res in plan["resources"]:
        change: dict[str, Any] = {"id": res["id"]}
        for field in ("price", "setup_price", "erp_price"):
            name = f"res_{res['id']}_{field}"
            if name in form.names():
                value = form.get(name).strip()
                change[field] = None if field == "erp_price" and value == "" else value
        resources.append(change)
    return {"name": form.get("name"), "resources": resources, "settings": settings}


@router.post("/plans/{plan_id}")
async def save_plan(request: Request, plan_id: str) -> Response:
    def run(scope: Scope, form: Form) -> Response:
        check_id(plan_id, "plan")
        plan = read(request, lambda uow: catalog.get_plan(uow, scope, plan_id))
        body = plan_patch(form, plan)
        perform(request, scope, form.get("key")[:64], body,
                lambda uow: catalog.update_plan(uow, scope, plan_id, body))
        return see_other(f"/panel/plans/{plan_id}?saved=1")
    return await guard_form(request, run)


@router.get("/resellers/{reseller_id}/settings")
def reseller_settings(request: Request, reseller_id: str) -> Response:
    """Delegated settings (P3): each with its effective value and where it comes from, and a
    form for the reseller's own; one an ancestor set has no input here (read-only)."""
    def show(scope: Scope) -> Response:
        check_id(reseller_id, "reseller")

        def load(uow: UnitOfWork) -> dict[str, Any]:
            data = delegation.get_settings(uow, scope, reseller_id)
            listed = listing.fetch(uow, scope, "plans", {}, "", size=lists.MAX_LIMIT).items
            return {"data": data, "plans": priority_rows(data, listed)}
        return page(request, "reseller_settings.html", scope=scope, key=new_form_key(),
                    saved=request.query_params.get("saved") == "1", **read(request, load))
    return guard(request, show)


def priority_rows(data: dict[str, Any], plans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """R1: one row per plan in scope, plus any plan a priority names that is not listed."""
    own = data["own"].get("recommendation_priorities") or {}
    effective = data["effective"]["recommendation_priorities"]["value"] or {}
    rows = [{"id": p["id"], "name": p["name"]} for p in plans]
    rows += [{"id": pid, "name": pid} for pid in sorted({*own, *effective})
             if pid not in {r["id"] for r in rows}]
    return [{**r, "own": own.get(r["id"]), "effective": effective.get(r["id"])} for r in rows]


def _whole(text: str) -> Any:
    """A whole number from form text, or the text itself for the service to refuse."""
    digits = text[1:] if text.startswith("-") else text
    return int(text) if digits.isdigit() and len(digits) < 10 else text


def settings_body(form: Form) -> dict[str, Any]:
    """The PUT body from the form. A setting with no field in the form (read-only: set above)
    is left out; an empty one is unset. Values go to the service as typed where they are not
    clean, so it refuses them with its own message; a field for a read-only setting (a
    tampered form) reaches the service too, which refuses it (`setting_delegated`)."""
    names, body = form.names(), dict[str, Any]()
    if "groups" in names:
        groups = [g.strip() for g in form.get("groups").split(",") if g.strip()]
        body["stop_requires_approval_groups"] = groups or None
    if "grace_period_days" in names:
        text = form.get("grace_period_days").strip()
        body["grace_period_days"] = _whole(text) if text else None
    if "priorities" in names:
        chosen = {k: _whole(v.strip()) for k, v in form.with_prefix("prio_").items()
                  if v.strip()}
        body["recommendation_priorities"] = chosen or None
    return body


@router.post("/resellers/{reseller_id}/settings")
async def save_reseller_settings(request: Request, reseller_id: str) -> Response:
    def run(scope: Scope, form: Form) -> Response:
        check_id(reseller_id, "reseller")
        body = settings_body(form)
        perform(request, scope, form.get("key")[:64], body,
                lambda uow: delegation.put_settings(uow, scope, reseller_id, body))
        return see_other(f"/panel/resellers/{reseller_id}/settings?saved=1")
    return await guard_form(request, run)
