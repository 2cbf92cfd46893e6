"""Notification templates (SPEC R2, P3): `GET`/`PUT`/`DELETE /v1/templates/{event_type}`,
the list, and the preview.

Which template applies to a customer: the topmost reseller above it (its own reseller
included) that has one for the event type — a reseller's template applies to its whole
subtree and is read-only below it (P3, as delegated settings are) — else the operator's,
else the default shipped with the product. Customers do not edit templates (404, P2)."""

from __future__ import annotations

from datetime import date
from typing import Any

from prorata.domain.events import EVENT_TYPES, check_event_type
from prorata.notify.sandbox import TemplateError
from prorata.notify.templates import Template, check_template, default_template, invalid, render
from prorata.services.delegation import SettingDelegated
from prorata.services.inputs import OutOfScope, missing, reference, require_object
from prorata.services.notice_context import preview_context
from prorata.services.ports import Scope, UnitOfWork

OPERATOR_OWNER = "*"  # reseller ids start with a letter or digit: this one is never taken


class Applicable:
    """The template that applies below a reseller (or to the operator's direct customers),
    and where it comes from."""

    def __init__(self, template: Template, source: str, reseller: str | None) -> None:
        self.template, self.source, self.reseller = template, source, reseller


def _chain(uow: UnitOfWork, reseller_id: str | None) -> list[str]:
    return [] if reseller_id is None else [r["id"] for r in uow.reseller_chain(reseller_id)]


def applicable(uow: UnitOfWork, event_type: str, reseller_id: str | None,
               *, above_only: bool = False) -> Applicable:
    """`above_only`: ignore the reseller's own template (what it would inherit)."""
    chain = _chain(uow, reseller_id)
    if above_only and chain:
        chain = chain[:-1]
    found = uow.get_templates([*chain, OPERATOR_OWNER], event_type)
    for rid in chain:  # top first: the topmost decides for its subtree (P3)
        if (event_type, rid) in found:
            return Applicable(Template(*found[(event_type, rid)]), "reseller", rid)
    if (event_type, OPERATOR_OWNER) in found:
        return Applicable(Template(*found[(event_type, OPERATOR_OWNER)]), "operator", None)
    return Applicable(default_template(event_type), "default", None)


def _target(uow: UnitOfWork, scope: Scope, wanted: str | None) -> str | None:
    """Whose templates the caller works on: a reseller of its subtree (its own by default),
    or for the operator the operator's own unless it names a reseller."""
    if scope.kind == "customer":
        raise OutOfScope()
    if wanted is None:
        return scope.party if scope.kind == "reseller" else None
    if uow.get_reseller(scope, wanted) is None:
        raise missing("reseller", wanted, "reseller")
    return wanted


def _view(event_type: str, found: Applicable, target: str | None) -> dict[str, Any]:
    inherited = found.source == "reseller" and found.reseller != target
    return {"object": "template", "event_type": event_type, "reseller": target,
            "subject": found.template.subject, "body": found.template.body,
            "source": found.source, "source_reseller": found.reseller,
            "read_only": target is not None and inherited}


def get_template(uow: UnitOfWork, scope: Scope, event_type: str,
                 reseller: str | None = None) -> dict[str, Any]:
    check_event_type(event_type, "event_type")
    target = _target(uow, scope, reseller)
    return _view(event_type, applicable(uow, event_type, target), target)


def list_templates(uow: UnitOfWork, scope: Scope, reseller: str | None = None) -> dict[str, Any]:
    target = _target(uow, scope, reseller)
    items = [_view(t, applicable(uow, t, target), target) for t in sorted(EVENT_TYPES)]
    return {"object": "list", "data": items, "has_more": False}


def put_template(uow: UnitOfWork, scope: Scope, event_type: str, body: Any) -> dict[str, Any]:
    check_event_type(event_type, "event_type")
    body = require_object(body)
    target = _target(uow, scope, reference(body, "reseller", "reseller"))
    if target is not None:
        above = applicable(uow, event_type, target, above_only=True)
        if above.source == "reseller":
            assert above.reseller is not None
            raise SettingDelegated("template", above.reseller)
    template = check_template(event_type, body.get("subject"), body.get("body"))
    owner = OPERATOR_OWNER if target is None else target
    uow.put_template(event_type, owner, target, template.subject, template.body)
    source = "operator" if target is None else "reseller"
    return _view(event_type, Applicable(template, source, target), target)


def delete_template(uow: UnitOfWork, scope: Scope, event_type: str,
                    reseller: str | None = None) -> dict[str, Any]:
    """Back to what applies from above (or the shipped default)."""
    check_event_type(event_type, "event_type")
    target = _target(uow, scope, reseller)
    owner = OPERATOR_OWNER if target is None else target
    if not uow.delete_template(event_type, owner):
        raise missing("template", event_type, "event_type")
    return _view(event_type, applicable(uow, event_type, target), target)


def preview(uow: UnitOfWork, scope: Scope, event_type: str, body: Any,
            today: date) -> dict[str, Any]:
    """Rendered for a subscription with the template that applies to its customer, or with
    a draft `{subject, body}` given in the request (checked like a template being saved)."""
    check_event_type(event_type, "event_type")
    body = require_object(body)
    if scope.kind == "customer":
        raise OutOfScope()
    sub_id = reference(body, "subscription", "subscription")
    if sub_id is None:
        raise missing("subscription", None, "subscription")
    sub = uow.get_subscription(scope, sub_id)
    customer = None if sub is None else uow.get_customer(scope, sub.customer)
    if sub is None or customer is None:
        raise missing("subscription", sub_id, "subscription")
    if body.get("subject") is not None or body.get("body") is not None:
        template, source = check_template(event_type, body.get("subject"), body.get("body")), \
            "draft"
    else:
        found = applicable(uow, event_type, customer.reseller)
        template, source = found.template, found.source
    try:
        subject, text = render(template, preview_context(uow, event_type, sub, customer, today))
    except TemplateError as exc:
        raise invalid(exc) from None
    return {"object": "template_preview", "event_type": event_type, "subscription": sub.id,
            "subject": subject, "body": text, "source": source}
