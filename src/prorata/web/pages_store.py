"""The store (issue 14): the catalog and the order wizard of seeds 003 and 004.

Choose plan and period (and, for a manager, the customer) → resource amounts with the live
quote → order attributes (P7: the manager's only when a manager orders; a customer with
nothing to answer never sees the step) → confirm with the quote → the subscription page.
Every quote is `create_subscription` with `preview` (stores nothing), and the order is the
same call without it, in one transaction keyed by the form (`perform`), so the charge is the
preview the person confirmed. Refusals (P5, P6, P7, C3) come from that service and are
shown on the step they belong to; nothing is ordered."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from prorata.domain.catalog import Plan
from prorata.domain.errors import DomainError, NotFound
from prorata.services import lists, subscriptions
from prorata.services.ports import Scope, UnitOfWork
from prorata.web import listing, subview
from prorata.web.guard import guard, guard_form, see_other, today
from prorata.web.render import new_form_key, page, perform, read
from prorata.web.session import Form
from prorata.web.storeview import (
    STEPS,
    Order,
    asked,
    catalog_rows,
    order_from,
    start_amounts,
    steps_for,
)

router = APIRouter(prefix="/panel/store", include_in_schema=False)


@router.get("")
def catalog(request: Request) -> Response:
    """Products and their plans as the caller's list services show them (P2)."""
    def show(scope: Scope) -> Response:
        def load(uow: UnitOfWork) -> dict[str, Any]:
            products = listing.fetch(uow, scope, "products", {}, "", size=lists.MAX_LIMIT)
            found = listing.fetch(uow, scope, "plans", {}, "", size=lists.MAX_LIMIT)
            plans = [p for p in (uow.get_plan(item["id"]) for item in found.items) if p]
            return {"products": [(prod, [(p, catalog_rows(p)) for p in plans
                                         if p.product == prod["id"]])
                                 for prod in products.items],
                    "more": products.next_url or found.next_url}
        customer = request.query_params.get("customer", "")[:64]
        return page(request, "store.html", scope=scope, customer=customer,
                    **read(request, load))
    return guard(request, show)


def _plan(uow: UnitOfWork, plan_id: str) -> Plan:
    plan = uow.get_plan(plan_id) if plan_id else None
    if plan is None:
        raise NotFound("plan", plan_id or "-")
    return plan


def _preview(request: Request, scope: Scope, order: Order, *,
             with_attributes: bool) -> dict[str, Any]:
    """The service's own quote for this order (stores nothing), or its refusal."""
    body = {**order.body(with_attributes=with_attributes), "preview": True}
    day = today(request)
    try:
        return {"ok": read(request, lambda uow: subscriptions.create_subscription(
            uow, scope, body, day, attributes_later=not with_attributes))}
    except NotFound:
        raise  # a customer out of scope is the 404 page, as anywhere else (P2)
    except DomainError as exc:
        return {"error": exc.message, "code": exc.code, "param": exc.param or ""}


def _is_attribute(quote: dict[str, Any]) -> bool:
    return str(quote.get("param", "")).startswith("attributes")


def _customers(request: Request, scope: Scope) -> list[dict[str, Any]]:
    if not scope.is_manager:
        return []
    return read(request, lambda uow: listing.fetch(  # type: ignore[no-any-return]
        uow, scope, "customers", {}, "", size=lists.MAX_LIMIT).items)


def _wizard(request: Request, scope: Scope, order: Order, step: str,
            status: int = 200, refusal: dict[str, Any] | None = None) -> Response:
    """Render `step`, or the earliest step whose answers are missing or refused."""
    def load(uow: UnitOfWork) -> tuple[Plan, dict[str, Any] | None]:
        plan = _plan(uow, order.plan)
        return plan, uow.get_product(plan.product)
    plan, product = read(request, load)
    attrs = asked(product, scope.is_manager)
    steps = steps_for(attrs)
    step = step if step in steps else "choose"
    order.amounts = start_amounts(plan, order.amounts)
    quote: dict[str, Any] = {}
    needs_choice = (not order.customer) or (plan.periods and order.period not in plan.periods)
    if needs_choice:
        step = "choose"
    if step in ("attributes", "confirm"):
        quote = _preview(request, scope, order, with_attributes=False)
        if quote.get("error"):
            step, status = "resources", 400
        elif step == "confirm":
            quote = _preview(request, scope, order, with_attributes=True)
            if quote.get("error"):
                step, status = ("attributes" if _is_attribute(quote) and attrs
                                else "resources"), 400
    if step == "resources" and not quote:
        quote = _preview(request, scope, order, with_attributes=False)
    if refusal is not None:
        quote = refusal
    period = order.period or None
    after = steps[steps.index(step) + 1] if step != "confirm" else ""
    return page(request, "store_order.html", status=status, scope=scope, plan=plan,
                product=product or {}, order=order, step=step, steps=steps, names=STEPS,
                next_step=after, attrs=attrs, quote=quote, key=new_form_key(),
                table=subview.table(plan, period, {k: v for k, v in order.amounts.items()
                                                   if isinstance(v, int)}),
                customers=_customers(request, scope) if step == "choose" else [],
                back=order.query(steps[max(steps.index(step) - 1, 0)]))


@router.get("/order")
def order_page(request: Request) -> Response:
    def show(scope: Scope) -> Response:
        values = {k: v for k, v in request.query_params.items()}
        order = order_from(values, None if scope.is_manager else scope.party)
        return _wizard(request, scope, order, values.get("step", "choose")[:16])
    return guard(request, show)


def _form_order(form: Form, scope: Scope) -> Order:
    values = {name: form.get(name) for name in form.names()}
    return order_from(values, None if scope.is_manager else scope.party)


@router.post("/quote")
async def live_quote(request: Request) -> Response:
    """The live quote of the resources step: the preview and the table's Total column."""
    def show(scope: Scope, form: Form) -> Response:
        order = _form_order(form, scope)
        plan = read(request, lambda uow: _plan(uow, order.plan))
        whole = all(isinstance(v, int) for v in order.amounts.values())
        table = subview.table(plan, order.period or None, order.amounts) if whole else None
        return page(request, "store_quote.html", quote=_preview(
            request, scope, order, with_attributes=False), table=table,
            show_erp=scope.is_manager)
    return await guard_form(request, show)


@router.post("/order")
async def place_order(request: Request) -> Response:
    """The order: the same body as the confirmed preview, in one transaction. A refusal
    re-renders the wizard on the step it belongs to, with the message; nothing is stored."""
    def run(scope: Scope, form: Form) -> Response:
        order = _form_order(form, scope)
        body, day = order.body(), today(request)
        try:
            result = perform(request, scope, form.get("key")[:64], body,
                             lambda uow: subscriptions.create_subscription(uow, scope, body, day))
        except NotFound:
            raise
        except DomainError as exc:
            refusal = {"error": exc.message, "code": exc.code, "param": exc.param or ""}
            step = "attributes" if _is_attribute(refusal) else "confirm"
            return _wizard(request, scope, order, step, status=exc.status
                           if 400 <= exc.status < 500 else 400, refusal=refusal)
        return see_other(f"/panel/subscriptions/{result['id']}")
    return await guard_form(request, run)
