"""My subscriptions and the subscription page of seed 004: every control is one of the
service's `available_operations`; every write goes through `services.subscriptions` in one
transaction, keyed by the form's token so a double submit changes nothing twice."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from prorata.api.deps import check_id
from prorata.domain.errors import DomainError, InvalidInput, NotFound
from prorata.services import lists, subscriptions, usage
from prorata.services.ports import Scope, UnitOfWork
from prorata.web import consumption, listing, subview
from prorata.web.guard import guard, guard_form, see_other, today
from prorata.web.render import new_form_key, page, perform, read
from prorata.web.session import Form

router = APIRouter(prefix="/panel", include_in_schema=False)
FILTERS = ("status", "customer", "plan")


def _plan(uow: UnitOfWork, plan_id: str) -> Any:
    plan = uow.get_plan(plan_id)
    if plan is None:
        raise NotFound("plan", plan_id)
    return plan


@router.get("/subscriptions")
def subscription_list(request: Request) -> Response:
    """One page of the API's list; each row's quick actions come from its own S2 map
    (`get_subscription`), so a page of 50 rows is 50 views, never the whole list."""
    def show(scope: Scope) -> Response:
        params = listing.params_of(request, FILTERS)
        day = today(request)

        def load(uow: UnitOfWork) -> dict[str, Any]:
            found = listing.fetch(uow, scope, "subscriptions", params, "/panel/subscriptions")
            plans: dict[str, Any] = {}
            items = []
            for row in found.items:
                sub = subscriptions.get_subscription(uow, scope, row["id"], day)
                if sub["plan"] not in plans:
                    plans[sub["plan"]] = _plan(uow, sub["plan"])
                plan = plans[sub["plan"]]
                tbl = subview.table(plan, sub["period"], sub["resources"], sub["prices"])
                items.append({"sub": sub, "plan": plan, "primary": tbl.primary})
            offered = (listing.fetch(uow, scope, "plans", {}, "", size=lists.MAX_LIMIT).items
                       if scope.is_manager else [])
            return {"items": items, "found": found, "plans": offered}

        return page(request, "subscriptions.html", scope=scope, **read(request, load),
                    filters={k: params.get(k, "") for k in FILTERS},
                    statuses=["active", "stopped", "expired", "deleted"], labels=subview.LABELS,
                    key=new_form_key())
    return guard(request, show)


def _details(request: Request, scope: Scope, sub_id: str) -> dict[str, Any]:
    check_id(sub_id, "subscription")
    day = today(request)

    def load(uow: UnitOfWork) -> dict[str, Any]:
        sub = subscriptions.get_subscription(uow, scope, sub_id, day)
        plan = _plan(uow, sub["plan"])
        history = subscriptions.list_operations(uow, scope, sub_id, 50, None).items
        rows = (usage.subscription_consumption(uow, scope, sub_id)["data"]
                if sub["billing_type"] == "payg" else [])
        product = uow.get_product(plan.product) or {}
        names = {a["id"]: a.get("name") or a["id"] for a in product.get("attributes") or []}
        return {"sub": sub, "plan": plan, "history": history, "usage": consumption.chart(rows),
                "attribute_names": names,
                "table": subview.table(plan, sub["period"], sub["resources"], sub["prices"]),
                "unavailable": subview.explanations(sub, scope.is_manager)}
    return read(request, load)  # type: ignore[no-any-return]


@router.get("/subscriptions/{sub_id}")
def subscription_page(request: Request, sub_id: str) -> Response:
    def show(scope: Scope) -> Response:
        data = _details(request, scope, sub_id)
        done = request.query_params.get("op", "")
        result = next((op for op in data["history"] if op["id"] == done), None)
        return page(request, "subscription.html", scope=scope, labels=subview.LABELS,
                    busy=subview.transitional(data["sub"]), result=result,
                    key=new_form_key(), **data)
    return guard(request, show)


@router.get("/subscriptions/{sub_id}/do/{op}")
def operation_page(request: Request, sub_id: str, op: str) -> Response:
    """The steps of seed 004: choose a period (renew) or a plan and period (switch), then the
    configuration; the other operations show their quote and ask for confirmation."""
    def show(scope: Scope) -> Response:
        data = _details(request, scope, sub_id)
        sub = data["sub"]
        if op not in sub["available_operations"]:
            message = next((m for o, _, m, _ in data["unavailable"] if o == op),
                           f"{subview.LABELS.get(op, op)} is not available now")
            raise InvalidInput("operation_not_available", message, "type")
        params = {k: request.query_params.get(k, "")[:64] for k in ("period", "plan", "timing")}
        target, step = data["plan"], "config"
        if op == "switch_plan":
            targets = read(request, lambda uow: [p for p in (uow.get_plan(t.plan) for t in
                                                             data["plan"].switch_to) if p])
            chosen = next((p for p in targets if p.id == params["plan"]), None)
            if chosen is None or (chosen.periods and params["period"] not in chosen.periods):
                return page(request, "choose.html", scope=scope, op=op, targets=targets,
                            params=params, labels=subview.LABELS, **data)
            target = chosen
        elif op == "renew" and target.periods and params["period"] not in target.periods:
            return page(request, "choose.html", scope=scope, op=op, targets=[target],
                        params={**params, "plan": target.id}, labels=subview.LABELS, **data)
        elif op in subview.CONFIRM_ONLY:
            step = "confirm"
        period = params["period"] or sub["period"]
        amounts = (subview.carried_over(target, sub["resources"]) if target.id != sub["plan"]
                   else dict(sub.get("next_resources") or sub["resources"]))
        captured = sub["prices"] if target.id == sub["plan"] and op == "prolong" else {}
        quote = _quote(request, scope, sub_id, _body(op, params, amounts if step == "config"
                                                     else None))
        return page(request, "operation.html", scope=scope, op=op, step=step, params=params,
                    target=target, table=subview.table(target, period, amounts, captured),
                    quote=quote, labels=subview.LABELS, key=new_form_key(),
                    sub=sub, plan=data["plan"])
    return guard(request, show)


def _body(op: str, params: dict[str, str], amounts: dict[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": op}
    for name in ("period", "plan", "timing"):
        if params.get(name):
            body[name] = params[name]
    if amounts is not None:
        body["resources"] = amounts
    return body


def _form_body(form: Form) -> dict[str, Any]:
    op = form.get("type")
    amounts = subview.amounts_from(form.with_prefix("res_"))
    params = {k: form.get(k) for k in ("period", "plan", "timing")}
    return _body(op, params, amounts if amounts else None)


def _quote(request: Request, scope: Scope, sub_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """The service's preview: the very quote the operation would commit (stores nothing)."""
    day = today(request)
    try:
        return {"ok": read(request, lambda uow: subscriptions.run_operation(
            uow, scope, sub_id, {**body, "preview": True}, day))}
    except DomainError as exc:
        return {"error": exc.message, "code": exc.code}


def _live_table(request: Request, scope: Scope, sub_id: str,
                body: dict[str, Any]) -> subview.Table | None:
    """The resource table for the amounts being typed, so Total and the subscription cost
    follow them (seed 004); None while an amount is not a whole number or the plan is odd."""
    amounts = body.get("resources") or {}
    if not all(isinstance(v, int) for v in amounts.values()):
        return None
    day = today(request)

    def load(uow: UnitOfWork) -> subview.Table | None:
        sub = subscriptions.get_subscription(uow, scope, sub_id, day)
        target = uow.get_plan(str(body.get("plan") or sub["plan"]))
        if target is None:
            return None
        keep = body["type"] in ("change_resources", "prolong") and target.id == sub["plan"]
        return subview.table(target, body.get("period") or sub["period"], amounts,
                             sub["prices"] if keep else {})
    return read(request, load)  # type: ignore[no-any-return]


@router.post("/subscriptions/{sub_id}/quote")
async def quote(request: Request, sub_id: str) -> Response:
    def show(scope: Scope, form: Form) -> Response:
        check_id(sub_id, "subscription")
        body = _form_body(form)
        return page(request, "quote.html", quote=_quote(request, scope, sub_id, body),
                    table=_live_table(request, scope, sub_id, body))
    return await guard_form(request, show)


@router.post("/subscriptions/{sub_id}/operations")
async def run_operation(request: Request, sub_id: str) -> Response:
    def run(scope: Scope, form: Form) -> Response:
        check_id(sub_id, "subscription")
        body, day = _form_body(form), today(request)
        result = perform(request, scope, form.get("key")[:64], body,
                         lambda uow: subscriptions.run_operation(uow, scope, sub_id, body, day))
        return see_other(f"/panel/subscriptions/{sub_id}?op={result['id']}")
    return await guard_form(request, run)


@router.post("/subscriptions/{sub_id}/auto-renew")
async def auto_renew(request: Request, sub_id: str) -> Response:
    def run(scope: Scope, form: Form) -> Response:
        check_id(sub_id, "subscription")
        body, day = {"auto_renew": form.get("auto_renew") == "on"}, today(request)
        perform(request, scope, form.get("key")[:64], body,
                lambda uow: subscriptions.patch_subscription(uow, scope, sub_id, body, day))
        return see_other(f"/panel/subscriptions/{sub_id}")
    return await guard_form(request, run)
