"""Managers' notifications (SPEC R1-R3, P3): the message templates that apply in the caller's
scope, editable where the caller owns them (read-only where a reseller above set one), and
the webhook endpoints. Same services as the API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from prorata.domain.events import check_event_type
from prorata.services import templates, webhooks
from prorata.services.ports import Scope, UnitOfWork
from prorata.web.guard import guard, guard_form, see_other
from prorata.web.render import new_form_key, page, perform, read
from prorata.web.session import Form

router = APIRouter(prefix="/panel/notifications", include_in_schema=False)


def _own_reseller(scope: Scope) -> str | None:
    return scope.party if scope.kind == "reseller" else None


@router.get("")
def notifications(request: Request) -> Response:
    def show(scope: Scope) -> Response:
        if not scope.is_manager:
            return see_other("/panel/subscriptions")

        def load(uow: UnitOfWork) -> dict[str, Any]:
            return {"templates": templates.list_templates(uow, scope,
                                                          _own_reseller(scope))["data"],
                    "endpoints": webhooks.list_endpoints(uow, scope, 100, None).items}
        return page(request, "notifications.html", scope=scope, key=new_form_key(),
                    saved=request.query_params.get("saved", "")[:64], **read(request, load))
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
        return see_other(f"/panel/notifications?saved={event_type}")
    return await guard_form(request, run)
