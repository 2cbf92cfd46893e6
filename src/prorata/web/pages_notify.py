"""Managers' notifications (SPEC R1-R3, P3): the message templates that apply in the caller's
scope, editable where the caller owns them (read-only where a reseller above set one), and
the webhook endpoints: create (the signing secret shown once), enable, disable, delete, and
each endpoint's delivery log. Same services as the API, so the service decides who may."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from prorata.api.deps import check_id
from prorata.domain.events import EVENT_TYPES, check_event_type
from prorata.services import lists, templates, webhooks
from prorata.services.ports import Scope, UnitOfWork
from prorata.web import listing
from prorata.web.guard import guard, guard_form, see_other
from prorata.web.render import new_form_key, page, perform, read
from prorata.web.session import Form

router = APIRouter(prefix="/panel/notifications", include_in_schema=False)
HOME = "/panel/notifications"
# What a redirect back to the list says (the query names one of these, nothing else shows).
NOTICES = {"deleted": "The webhook endpoint is deleted: nothing more is sent to it.",
           "enabled": "The webhook endpoint is enabled: its paused deliveries resume.",
           "disabled": "The webhook endpoint is disabled: nothing is sent until it is enabled."}


def _own_reseller(scope: Scope) -> str | None:
    return scope.party if scope.kind == "reseller" else None


def _owners(uow: UnitOfWork, scope: Scope) -> list[dict[str, Any]]:
    """The resellers an endpoint may listen for: the caller's scope, as the API lists it."""
    return listing.fetch(uow, scope, "resellers", {}, "", size=lists.MAX_LIMIT).items


@router.get("")
def notifications(request: Request) -> Response:
    def show(scope: Scope) -> Response:
        if not scope.is_manager:
            return see_other("/panel/subscriptions")

        def load(uow: UnitOfWork) -> dict[str, Any]:
            return {"templates": templates.list_templates(uow, scope,
                                                          _own_reseller(scope))["data"],
                    "endpoints": webhooks.list_endpoints(uow, scope, 100, None).items,
                    "owners": _owners(uow, scope)}
        return page(request, "notifications.html", scope=scope, key=new_form_key(),
                    saved=request.query_params.get("saved", "")[:64],
                    notice=NOTICES.get(request.query_params.get("done", "")),
                    event_types=list(EVENT_TYPES), **read(request, load))
    return guard(request, show)


@router.post("/templates/{event_type}")
async def save_template(request: Request, event_type: str) -> Response:
    def run(scope: Scope, form: Form) -> Response:
        check_event_type(event_type, "event_type")
        body: dict[str, Any] = {"subject": form.get("subject"), "body": form.get("body")}
        if scope.kind == "reseller":
            body["reseller"] = scope.party
        perform(request, scope, form.get("key")[:64], body,
                lambda uow: templates.put_template(uow, scope, event_type, body))
        return see_other(f"{HOME}?saved={event_type}")
    return await guard_form(request, run)


def endpoint_body(form: Form) -> dict[str, Any]:
    """The API's create body from the form; the service checks every value (URL, event
    types, a reseller in scope), so a tampered one is refused with its own message."""
    body: dict[str, Any] = {"url": form.get("url").strip(), "events": form.all("events")}
    for name in ("reseller", "description"):
        value = form.get(name).strip()
        if value:
            body[name] = value
    return body


@router.post("/webhooks")
async def create_endpoint(request: Request) -> Response:
    """The secret is in this answer only: it is kept out of the form's idempotency record (as
    the API keeps it out of its own), so a second submit shows the endpoint without it."""
    def run(scope: Scope, form: Form) -> Response:
        body = endpoint_body(form)
        shown: list[str] = []

        def action(uow: UnitOfWork) -> dict[str, Any]:
            endpoint, secret = webhooks.create_endpoint(uow, scope, body)
            shown.append(secret)
            return endpoint
        endpoint = perform(request, scope, form.get("key")[:64], body, action)
        response = page(request, "webhook_created.html", scope=scope, endpoint=endpoint,
                        secret=shown[0] if shown else None)
        response.headers["Cache-Control"] = "no-store"
        return response
    return await guard_form(request, run)


@router.get("/webhooks/{endpoint_id}")
def endpoint_page(request: Request, endpoint_id: str) -> Response:
    """One endpoint and its delivery log (R3), newest first, 50 a page."""
    def show(scope: Scope) -> Response:
        check_id(endpoint_id, "webhook endpoint")
        after = request.query_params.get("starting_after", "")[:64] or None
        if after is not None:
            check_id(after, "delivery")

        def load(uow: UnitOfWork) -> dict[str, Any]:
            found = webhooks.list_deliveries(uow, scope, endpoint_id, 50, after)
            return {"endpoint": webhooks.get_endpoint(uow, scope, endpoint_id),
                    "deliveries": found.items,
                    "next_after": found.items[-1]["id"] if found.has_more else None}
        return page(request, "webhook.html", scope=scope, key=new_form_key(),
                    notice=NOTICES.get(request.query_params.get("done", "")),
                    **read(request, load))
    return guard(request, show)


@router.post("/webhooks/{endpoint_id}/state")
async def endpoint_state(request: Request, endpoint_id: str) -> Response:
    def run(scope: Scope, form: Form) -> Response:
        check_id(endpoint_id, "webhook endpoint")
        raw = form.get("enabled")
        body = {"enabled": {"true": True, "false": False}.get(raw, raw)}
        perform(request, scope, form.get("key")[:64], body,
                lambda uow: webhooks.update_endpoint(uow, scope, endpoint_id, body))
        done = "enabled" if body["enabled"] is True else "disabled"
        return see_other(f"{HOME}/webhooks/{endpoint_id}?done={done}")
    return await guard_form(request, run)


@router.post("/webhooks/{endpoint_id}/delete")
async def delete_endpoint(request: Request, endpoint_id: str) -> Response:
    def run(scope: Scope, form: Form) -> Response:
        check_id(endpoint_id, "webhook endpoint")
        now = request.app.state.clock.now()
        perform(request, scope, form.get("key")[:64], {"delete": endpoint_id},
                lambda uow: webhooks.delete_endpoint(uow, scope, endpoint_id, now))
        return see_other(f"{HOME}?done=deleted")
    return await guard_form(request, run)
