"""Subscription use cases. Each takes an open unit of work and does not commit: the API layer
owns the transaction, so the idempotency record is stored with the write (S12)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from prorata.domain.catalog import Plan
from prorata.domain.engine import (
    Context,
    Decision,
    RateTable,
    decide,
    due_on,
    operations_both_ways,
    purchase,
)
from prorata.domain.engine.context import Actor
from prorata.domain.engine.pricing import total
from prorata.domain.errors import (
    RESTRICTED_PARTY,
    SUBSCRIPTION_DELETED,
    InvalidInput,
    NotFound,
    OperationRefused,
)
from prorata.domain.model import Customer, Operation, OpStatus, Status, Subscription
from prorata.domain.money import format_amount
from prorata.domain.parties import (
    NameRules,
    check_company_name,
    check_order_attributes,
    customer_visible,
)
from prorata.ids import new_id
from prorata.services import vendors
from prorata.services.delegation import PartyRules, rules_for
from prorata.services.inputs import scoped_id
from prorata.services.ports import Page, Scope, UnitOfWork
from prorata.services.views import line_to_dict, operation_to_dict, subscription_to_dict

NAME_RULES = "company_names"  # services.parties.NAME_RULES (that module imports this one)

__all__ = ["create_subscription", "get_subscription", "patch_subscription", "run_operation",
           "list_operations", "recommendations", "line_to_dict", "new_id"]


def _plan(uow: UnitOfWork, plan_id: Any) -> Plan:
    if not isinstance(plan_id, str):
        raise InvalidInput("invalid_field", "plan must be a plan id", "plan")
    plan = uow.get_plan(plan_id)
    if plan is None:
        raise NotFound("plan", plan_id)
    return plan


def _customer(uow: UnitOfWork, scope: Scope, customer_id: Any) -> Customer:
    if not isinstance(customer_id, str):
        raise InvalidInput("invalid_field", "customer must be a customer id", "customer")
    customer = uow.get_customer(scope, customer_id)
    if customer is None:
        raise NotFound("customer", customer_id)
    return customer


def _rates(uow: UnitOfWork, plans: list[Plan], currency: str) -> RateTable:
    pairs = {(p.currency, currency) for p in plans if p.currency != currency}
    return RateTable({pair: uow.rates(*pair) for pair in pairs})


def _context(uow: UnitOfWork, scope: Scope, sub: Subscription, today: date) -> Context:
    return _context_and_rules(uow, scope, sub, today)[0]


def _context_and_rules(uow: UnitOfWork, scope: Scope, sub: Subscription,
                       today: date) -> tuple[Context, PartyRules]:
    """Everything the engine needs, including what the reseller tree and the restriction lists
    decide for this customer (P3, P6): the subtree's grace period replaces the plans', a
    listed group needs approval to stop, a listed INN is restricted. A caller who sees the
    subscription sees its customer (P2), so the customer is loaded in the caller's scope."""
    customer = _customer(uow, scope, sub.customer)
    stored = _plan(uow, sub.plan)
    rules = rules_for(uow, customer, stored.product)
    plan = rules.plan(stored)
    plans = {plan.id: plan}
    wanted = [t.plan for t in plan.switch_to]
    for order in (sub.renewal_order, sub.scheduled_switch):
        if order is not None:
            wanted.append(order.plan)
    for plan_id in wanted:
        other = uow.get_plan(plan_id)
        if other is not None:
            plans[other.id] = rules.plan(other)
    ctx = Context(today=today, subscription=sub, plan=plan, customer=customer, actor=scope,
                  new_id=new_id, plans=plans,
                  rates=_rates(uow, list(plans.values()), customer.currency),
                  restricted=rules.restricted,
                  stop_needs_approval=rules.stop_needs_approval(customer))
    return ctx, rules


context_and_rules = _context_and_rules  # for the upcoming-charges preview
customer_in_scope = _customer


def _load(uow: UnitOfWork, scope: Scope, sub_id: str) -> Subscription:
    sub = uow.get_subscription(scope, sub_id)
    if sub is None:
        raise NotFound("subscription", sub_id)
    return sub


def _view(ctx: Context, uow: UnitOfWork) -> dict[str, Any]:
    """S2 both ways: what may be done today, and for everything else why not (and when).
    A customer does not see the manager-only order attributes (P7, seed 003: non-public data
    such as a reseller's discount code)."""
    available, refused = operations_both_ways(ctx)
    unavailable = {op: r.as_dict() for op, r in refused.items()}
    view = subscription_to_dict(ctx.subscription, available, unavailable)
    return attributes_shown(uow, ctx.actor, view, ctx.plan.product)


def attributes_shown(uow: UnitOfWork, scope: Actor, view: dict[str, Any],
                     product_id: str) -> dict[str, Any]:
    if scope.is_manager or not view.get("attributes"):
        return view
    view["attributes"] = customer_attributes(uow, product_id, view["attributes"])
    return view


def customer_attributes(uow: UnitOfWork, product_id: str,
                        given: dict[str, Any]) -> dict[str, Any]:
    """The order attributes a customer may see (P7): also what its messages are rendered
    with (services.notice_context)."""
    product = uow.get_product(product_id) or {}
    return customer_visible(product.get("attributes") or [], given)


def create_subscription(uow: UnitOfWork, scope: Scope, body: dict[str, Any],
                        today: date, *, attributes_later: bool = False) -> dict[str, Any]:
    """S3: purchase. Validates the order attributes for the caller's audience (P7), the
    customer's company name against the operator's current rules (P5: rules made after the
    customer was created still stop an order the vendor would refuse) and the restriction
    lists (P6); the attributes are stored on the subscription for the vendor connector.

    `attributes_later` is for a preview only: the store's quote before the attributes step
    (attributes never change the price)."""
    preview = body.get("preview", False)
    if not isinstance(preview, bool):
        raise InvalidInput("invalid_field", "preview must be true or false", "preview")
    if attributes_later and not preview:
        raise ValueError("attributes may be left for later in a preview only")
    customer = _customer(uow, scope, body.get("customer"))
    plan = _plan(uow, body.get("plan"))
    sub_id = scoped_id(scope, body, "sub")
    product = uow.get_product(plan.product) or {}
    attributes = body.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise InvalidInput("invalid_field", "attributes must be an object", "attributes")
    if not attributes_later:
        check_order_attributes(product.get("attributes") or [], attributes, scope.is_manager)
    check_company_name(customer.name, NameRules.from_json(uow.get_setting(NAME_RULES)),
                       "customer.name")
    rules = rules_for(uow, customer, plan.product)
    if rules.restricted:
        raise OperationRefused(RESTRICTED_PARTY, "the customer may not order this product",
                               None)
    plan = rules.plan(plan)
    decision = purchase(customer, plan, body, today, scope, _rates(uow, [plan], customer.currency),
                        new_id, sub_id)
    sub = decision.subscription
    sub.due_on = due_on(sub, plan)
    ctx = Context(today=today, subscription=sub, plan=plan, customer=customer, actor=scope,
                  new_id=new_id)
    if preview:  # S3 + S11: the quote and the subscription it would create; nothing stored
        assert decision.operation is not None
        op = replace(decision.operation, id=None)  # type: ignore[arg-type]
        return {**operation_to_dict(op, decision.lines, customer.currency, "preview"),
                "preview": True, "subscription": _view(ctx, uow)}
    routed = vendors.route(uow, None, decision, plan, customer)
    uow.add_subscription(sub)
    _store_history(uow, decision, customer, today)
    if routed is not None:
        vendors.store(uow, routed, today)
        ctx.subscription = _load(uow, scope, sub.id)
    return _view(ctx, uow)


def get_subscription(uow: UnitOfWork, scope: Scope, sub_id: str, today: date) -> dict[str, Any]:
    return _view(_context(uow, scope, _load(uow, scope, sub_id), today), uow)


def patch_subscription(uow: UnitOfWork, scope: Scope, sub_id: str, body: dict[str, Any],
                       today: date) -> dict[str, Any]:
    ctx = _context(uow, scope, _load(uow, scope, sub_id), today)
    sub = ctx.subscription
    auto_renew = body.get("auto_renew")
    if not isinstance(auto_renew, bool):
        raise InvalidInput("invalid_field", "auto_renew must be true or false", "auto_renew")
    if sub.status is Status.DELETED:
        raise OperationRefused(SUBSCRIPTION_DELETED, "the subscription is deleted", None)
    if auto_renew != sub.auto_renew:
        sub.auto_renew = auto_renew
        sub.due_on = due_on(sub, ctx.plan)
        uow.update_subscription(sub)
        # S11: every change is kept, this one too (who turned auto-renewal off, and when).
        uow.add_operation(Operation(
            id=new_id("op"), subscription=sub.id, type="change_auto_renew",
            status=OpStatus.COMPLETED, actor=f"{scope.kind}:{scope.party}",
            params={"auto_renew": auto_renew}, effective_on=today, created_on=today,
            currency=ctx.customer.currency))
    return _view(ctx, uow)


def run_operation(uow: UnitOfWork, scope: Scope, sub_id: str, body: dict[str, Any],
                  today: date) -> dict[str, Any]:
    """POST /operations: decide with the engine; with `preview` store nothing and answer the
    same quote the commit would (the preview equals the commit)."""
    preview = body.get("preview", False)
    if not isinstance(preview, bool):
        raise InvalidInput("invalid_field", "preview must be true or false", "preview")
    sub = _load(uow, scope, sub_id)
    ctx = _context(uow, scope, sub, today)
    ctx.refundable = uow.net_charged(sub.id, sub.period_start)
    if body.get("type") == "change_renewal_options" and sub.renewal_order is not None:
        ctx.order_lines = uow.lines_for_operation(sub.renewal_order.operation_id)
    decision = decide(ctx, body)
    assert decision.operation is not None
    if preview:  # the quote, as lines; stored nothing, so never `completed`
        op = replace(decision.operation, id=None)  # type: ignore[arg-type]
        return {**operation_to_dict(op, decision.shown, ctx.customer.currency, "preview"),
                "preview": True}
    routed = vendors.route(uow, sub, decision, ctx.plans.get(decision.subscription.plan,
                                                              ctx.plan), ctx.customer)
    uow.update_subscription(decision.subscription)
    lines = _store_history(uow, decision, ctx.customer, today)
    op = decision.operation
    if routed is not None:
        vendors.store(uow, routed, today)
        op = uow.get_operation(op.id) or op
    answer = operation_to_dict(op, lines, ctx.customer.currency)
    if decision.quote is not None:  # charged later (on approval, on its day): shown apart
        answer["quote_lines"] = [line_to_dict(ln) for ln in decision.quote]
    return answer


def _store_history(uow: UnitOfWork, decision: Decision, customer: Customer,
                   today: date) -> list[Any]:
    op = decision.operation
    if op is not None:
        uow.add_operation(op)
    lines = [replace(ln, id=new_id("ln"), customer=customer.id,
                     subscription=decision.subscription.id,
                     operation=op.id if op else None, created_on=today)
             for ln in decision.lines]
    if lines:
        uow.add_lines(lines)
    if decision.events:
        uow.add_events([replace(e, customer=e.customer or customer.id,
                                subscription=e.subscription or decision.subscription.id,
                                created_on=e.created_on or today)
                        for e in decision.events])
    for update in decision.op_updates:
        stored = uow.get_operation(update.operation_id)
        if stored is None:
            continue
        stored.status = update.status
        stored.error_code, stored.error_message = update.error_code, update.error_message
        uow.update_operation(stored)
    return lines


def list_operations(uow: UnitOfWork, scope: Scope, sub_id: str, limit: int,
                    starting_after: str | None) -> Page:
    sub = _load(uow, scope, sub_id)
    currency = _customer(uow, scope, sub.customer).currency
    # P6: restriction-list skips are recorded for managers; nothing is shown to the customer
    page = uow.list_operations(sub.id, limit, starting_after,
                               hide_restricted=scope.kind == "customer")
    lines = uow.lines_for_operations([op.id for op in page.items])  # one query, not one each
    items = [operation_to_dict(op, lines[op.id], currency) for op in page.items]
    return Page(items, page.has_more)


def recommendations(uow: UnitOfWork, scope: Scope, sub_id: str,
                    today: date) -> list[dict[str, Any]]:
    """R1: the plan's upgrade targets the customer may order, each with the quote of a
    mid-term switch for the rest of the current period. Ordered by the priority the reseller
    tree gives the target (P3, lowest first); a target without one keeps its place in the
    switch targets as its priority."""
    ctx, rules = _context_and_rules(uow, scope, _load(uow, scope, sub_id), today)
    ctx.refundable = uow.net_charged(ctx.subscription.id, ctx.subscription.period_start)
    ranked = []
    for index, target in enumerate(ctx.plan.switch_to):
        chosen = rules.priority(target.plan)
        ranked.append((index if chosen is None else chosen, index, target))
    out = []
    for priority, _, target in sorted(ranked, key=lambda r: r[:2]):
        if target.kind != "upgrade" or target.plan not in ctx.plans:
            continue
        try:
            decision = decide(ctx, {"type": "switch_plan", "plan": target.plan, "timing": "now"})
        except (InvalidInput, OperationRefused):
            continue
        currency = ctx.customer.currency
        out.append({"plan": target.plan, "priority": priority,
                    "amount": format_amount(total(decision.shown), currency),
                    "currency": currency})
    return out
