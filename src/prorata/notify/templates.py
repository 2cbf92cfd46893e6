"""Notification templates (SPEC R2): the defaults shipped for every event type, the sample
context a template is tried on before it is stored, and rendering a subject and body.

Every template sees `customer`, `subscription` and `plan` (None for an event about no
subscription), `event` ({id, type, created_on, data}) and its `data`; a
`subscription_expiring` template also sees `recommendations` (R1: [{plan, name, amount,
currency, priority}]). Templates are plain text; the e-mail's HTML part is the rendered text,
escaped (mail.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from prorata.domain.errors import InvalidInput
from prorata.domain.events import EVENT_TYPES, SUBSCRIPTION_EXPIRING
from prorata.notify.sandbox import RENDERER, Renderer, TemplateError

MAX_SUBJECT = 1_000     # characters of the subject template
MAX_BODY = 65_536       # characters of the body template
MAX_SUBJECT_LINE = 998  # RFC 5322's line limit, for the rendered subject
INVALID_TEMPLATE = "invalid_template"


@dataclass(frozen=True, slots=True)
class Template:
    subject: str
    body: str


@cache
def default_template(event_type: str) -> Template:
    """The operator default shipped with the product: notify/defaults/<type>.txt, a
    `Subject:` line, a blank line, then the body."""
    text = resources.files("prorata.notify").joinpath(
        "defaults", f"{event_type}.txt").read_text(encoding="utf-8")
    head, _, body = text.partition("\n\n")
    assert head.startswith("Subject: "), event_type
    return Template(head.removeprefix("Subject: ").strip(), body)


SAMPLE_CUSTOMER = {"id": "acme", "name": "Acme Corp", "email": "it@acme.example",
                   "currency": "USD", "billing_day": 1, "reseller": "northwind"}
SAMPLE_PLAN = {"id": "m365-basic", "name": "Microsoft 365 Business Basic", "product": "m365",
               "billing_type": "monthly", "currency": "USD"}
SAMPLE_SUBSCRIPTION = {"id": "sub_sample", "customer": "acme", "plan": "m365-basic",
                       "period": "P1Y", "billing_type": "monthly", "status": "active",
                       "start_date": "2024-08-20", "period_start": "2024-08-20",
                       "expires_on": "2025-08-19", "auto_renew": True, "locked": False,
                       "resources": {"seats": 10}}
SAMPLE_RECOMMENDATIONS = [{"plan": "m365-standard", "name": "Microsoft 365 Business Standard",
                           "amount": "12.50", "currency": "USD", "priority": 0}]
_PERIOD = {"plan": "m365-basic", "period": "P1Y"}
SAMPLE_DATA: dict[str, dict[str, Any]] = {
    "subscription_expiring": {**_PERIOD, "status": "active", "expires_on": "2025-08-19",
                              "days_left": 14, "auto_renew": True, "renewal_order": None},
    "renewal_order_created": {**_PERIOD, "operation": "op_sample", "resources": {"seats": 10},
                              "effective_on": "2025-08-20", "expires_on": "2026-08-19",
                              "automatic": True, "amount": "60.00", "currency": "USD"},
    "subscription_renewed": {**_PERIOD, "period_start": "2025-08-20",
                             "expires_on": "2026-08-19", "previous_expires_on": "2025-08-19",
                             "operation": None},
    "subscription_expired": {"plan": "m365-basic", "expired_on": "2025-08-19",
                             "renewable_until": "2025-09-18", "auto_renew": False},
    "subscription_stopped": {"plan": "m365-basic", "stopped_on": "2025-03-01",
                             "reason": "requested", "operation": "op_sample",
                             "expires_on": "2025-08-19"},
    "subscription_deleted": {"plan": "m365-basic", "reason": "requested",
                             "operation": "op_sample"},
    "invoice_issued": {"invoice": "inv_sample", "number": "INV-000001", "kind": "invoice",
                       "total": "60.00", "currency": "USD", "service_date": "2025-03-01"},
    "payment_succeeded": {"payment": "pay_sample", "amount": "60.00", "currency": "USD",
                          "gateway": "test"},
    "payment_failed": {"session": "ps_sample", "amount": "60.00", "currency": "USD",
                       "gateway": "test", "message": "card declined"},
    "consumption_processed": {"month": "2025-02-01", "records": 120, "amount": "431.20",
                              "currency": "USD"},
    "vendor_operation_failed": {"operation": "op_sample", "type": "change_resources",
                                "message": "the vendor refused the order"},
}
_ABOUT_NO_SUBSCRIPTION = {"invoice_issued", "payment_succeeded", "payment_failed"}


def event_dict(event_id: str | None, event_type: str, created_on: str | None,
               data: dict[str, Any]) -> dict[str, Any]:
    return {"id": event_id, "type": event_type, "created_on": created_on, "data": data}


def context(event: dict[str, Any], customer: dict[str, Any], subscription: dict[str, Any] | None,
            plan: dict[str, Any] | None,
            recommendations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out = {"customer": customer, "subscription": subscription, "plan": plan, "event": event,
           "data": event.get("data") or {}}
    if event.get("type") == SUBSCRIPTION_EXPIRING:
        out["recommendations"] = recommendations or []
    return out


def sample_context(event_type: str) -> dict[str, Any]:
    """What a template is tried on when it is saved: realistic values of every field."""
    about_sub = event_type not in _ABOUT_NO_SUBSCRIPTION
    event = event_dict("evt_sample", event_type, "2025-08-05", SAMPLE_DATA.get(event_type, {}))
    return context(event, SAMPLE_CUSTOMER, SAMPLE_SUBSCRIPTION if about_sub else None,
                   SAMPLE_PLAN if about_sub else None, SAMPLE_RECOMMENDATIONS)


def render(template: Template, ctx: dict[str, Any],
           renderer: Renderer = RENDERER) -> tuple[str, str]:
    """(subject, body). The subject becomes one line (a header cannot span lines)."""
    out = renderer.render({"subject": template.subject, "body": template.body}, ctx)
    subject = re.sub(r"\s+", " ", out["subject"]).strip()[:MAX_SUBJECT_LINE]
    return subject, out["body"].strip("\n") + "\n"


def check_template(event_type: str, subject: Any, body: Any,
                   renderer: Renderer = RENDERER) -> Template:
    """400 `invalid_template` for a template that is too large, does not compile, fails on
    the sample context, reaches outside the sandbox or runs too long; otherwise the
    template, trimmed."""
    assert event_type in EVENT_TYPES
    for name, value, limit in (("subject", subject, MAX_SUBJECT), ("body", body, MAX_BODY)):
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput("missing_field", f"{name} is required", name)
        if len(value) > limit:
            raise InvalidInput(INVALID_TEMPLATE, f"the {name} template may be at most {limit} "
                               f"characters, this one has {len(value)}", name)
        if "\x00" in value:
            raise InvalidInput(INVALID_TEMPLATE, f"the {name} template contains NUL", name)
    template = Template(subject.strip(), body)
    try:
        rendered_subject, _ = render(template, sample_context(event_type), renderer)
    except TemplateError as exc:
        raise invalid(exc) from None
    if not rendered_subject:
        raise InvalidInput(INVALID_TEMPLATE, "the subject renders empty", "subject")
    return template


_KIND_TEXT = {"syntax": "does not compile", "security": "reaches outside the sandbox",
              "failed": "fails on a sample", "too_large": "renders too much",
              "too_slow": "takes too long to render"}


def invalid(exc: TemplateError) -> InvalidInput:
    what = _KIND_TEXT.get(exc.kind, "cannot be rendered")
    name = exc.template or "body"
    return InvalidInput(INVALID_TEMPLATE, f"the {name} template {what}: {exc.message}", name)
