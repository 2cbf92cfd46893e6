"""What a template is rendered with (SPEC R1, R2): the event's customer, subscription and
plan as they are now, the event itself, and for `subscription_expiring` the upgrade
recommendations of R1 with their quotes (services.subscriptions.recommendations, the same
list `GET /v1/subscriptions/{id}/recommendations` answers).

Also who is told by e-mail: the customer's own address, or for manager events the nearest
reseller above the customer that has one (domain.events)."""

from __future__ import annotations

from datetime import date
from typing import Any

from prorata.domain.errors import DomainError
from prorata.domain.events import CUSTOMER, EVENT_TYPES, SUBSCRIPTION_EXPIRING
from prorata.domain.model import Customer, Event, Subscription
from prorata.notify.templates import SAMPLE_DATA, context, event_dict
from prorata.services import subscriptions
from prorata.services.ports import OPERATOR, UnitOfWork
from prorata.services.views import subscription_to_dict


def customer_to_context(customer: Customer) -> dict[str, Any]:
    return {"id": customer.id, "name": customer.name, "email": customer.email,
            "currency": customer.currency, "billing_day": customer.billing_day,
            "reseller": customer.reseller}


def _plan(uow: UnitOfWork, plan_id: str) -> dict[str, Any] | None:
    plan = uow.get_plan(plan_id)
    if plan is None:
        return None
    return {"id": plan.id, "name": plan.name, "product": plan.product,
            "billing_type": plan.billing_type.value, "currency": plan.currency,
            "periods": list(plan.periods)}


def subscription_context(uow: UnitOfWork, sub: Subscription, event_type: str
                         ) -> dict[str, Any]:
    """The subscription as its template sees it. A customer's message (its e-mail, rendered
    from a template a reseller may have written) never carries the manager-only order
    attributes (P7, seed 003: e.g. the reseller's discount code); a manager's message does."""
    view = subscription_to_dict(sub, [])
    if EVENT_TYPES.get(event_type, CUSTOMER) == CUSTOMER and view.get("attributes"):
        plan = uow.get_plan(sub.plan)
        view["attributes"] = subscriptions.customer_attributes(
            uow, plan.product if plan is not None else "", view["attributes"])
    return view


def recommendations(uow: UnitOfWork, sub: Subscription, today: date) -> list[dict[str, Any]]:
    """R1 as of `today`, each with the target plan's name; none where the engine cannot
    quote (a deleted subscription, a missing plan)."""
    try:
        found = subscriptions.recommendations(uow, OPERATOR, sub.id, today)
    except DomainError:
        return []
    out = []
    for rec in found:
        plan = uow.get_plan(rec["plan"])
        out.append({**rec, "name": plan.name if plan is not None else rec["plan"]})
    return out


def event_context(uow: UnitOfWork, event: Event) -> dict[str, Any] | None:
    """The context of a stored event; None when its customer no longer exists."""
    if event.customer is None:
        return None
    customer = uow.get_customer(OPERATOR, event.customer)
    if customer is None:
        return None
    sub = None if event.subscription is None else \
        uow.get_subscription(OPERATOR, event.subscription)
    today = event.created_on  # the business day it happened: quotes are as of then
    assert today is not None, "stored events have a date"
    recs = recommendations(uow, sub, today) \
        if sub is not None and event.type == SUBSCRIPTION_EXPIRING else []
    return context(event_dict(event.id, event.type, today.isoformat(), event.data),
                   customer_to_context(customer),
                   None if sub is None else subscription_context(uow, sub, event.type),
                   None if sub is None else _plan(uow, sub.plan), recs)


def preview_context(uow: UnitOfWork, event_type: str, sub: Subscription, customer: Customer,
                    today: date) -> dict[str, Any]:
    """A preview renders with the subscription's real data; the event's own data is what
    `subscription_expiring` would say today, or a sample of the type's fields."""
    data = dict(SAMPLE_DATA.get(event_type, {}))
    if "plan" in data:
        data["plan"] = sub.plan
    if event_type == SUBSCRIPTION_EXPIRING and sub.expires_on is not None:
        data.update({"period": sub.period, "status": sub.status.value,
                     "expires_on": sub.expires_on.isoformat(),
                     "days_left": (sub.expires_on - today).days, "auto_renew": sub.auto_renew,
                     "renewal_order": sub.renewal_order and sub.renewal_order.operation_id})
    recs = recommendations(uow, sub, today) if event_type == SUBSCRIPTION_EXPIRING else []
    return context(event_dict(None, event_type, today.isoformat(), data),
                   customer_to_context(customer), subscription_context(uow, sub, event_type),
                   _plan(uow, sub.plan), recs)


def mail_recipient(uow: UnitOfWork, event_type: str, customer: Customer) -> str | None:
    """The customer's address, or for manager events the nearest reseller's above it."""
    if EVENT_TYPES.get(event_type, CUSTOMER) == CUSTOMER:
        return customer.email
    if customer.reseller is None:
        return None
    for reseller in reversed(uow.reseller_chain(customer.reseller)):
        if reseller.get("email"):
            return str(reseller["email"])
    return None

