"""Events, templates and webhook endpoints (SPEC R1-R4, API.md "Notifications")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from prorata.api.deps import Caller, Pages, answer, check_id, point_read, read, today, write
from prorata.api.schemas import dump
from prorata.api.schemas_notify import (
    TemplateIn,
    TemplatePreviewIn,
    WebhookEndpointIn,
    WebhookEndpointPatchIn,
    WebhookSettingsIn,
)
from prorata.api.schemas_out_notify import (
    DeliveryList,
    Event,
    EventList,
    TemplateList,
    TemplatePreview,
)
from prorata.services import events, templates, webhooks

router = APIRouter(prefix="/v1", tags=["notifications"])
Filter = Annotated[str | None, Query(max_length=64)]


@router.get("/events", response_model=EventList,
            summary="Events of the caller's scope, newest first")
def list_events(request: Request, scope: Caller, page: Pages,
                type: Filter = None, customer: Filter = None,
                subscription: Filter = None) -> dict[str, Any]:
    filters = {"type": type, "customer": customer, "subscription": subscription}
    return read(request, lambda uow: events.list_events(uow, scope, filters, page.limit,
                                                        page.starting_after))


@router.get("/events/{event_id}", response_model=Event, summary="One event")
def get_event(request: Request, scope: Caller, event_id: str) -> dict[str, Any]:
    check_id(event_id, "event")
    return read(request, lambda uow: events.get_event(uow, scope, event_id))


@router.get("/templates", response_model=TemplateList,
            summary="The template that applies for every event type")
def list_templates(request: Request, scope: Caller, reseller: Filter = None) -> dict[str, Any]:
    return read(request, lambda uow: templates.list_templates(uow, scope, reseller))


@router.get("/templates/{event_type}", summary="The template that applies, and its source")
def get_template(request: Request, scope: Caller, event_type: str,
                 reseller: Filter = None) -> Response:
    return answer(request, lambda uow: templates.get_template(uow, scope, event_type, reseller))


@router.put("/templates/{event_type}",
            summary="Set the operator's default or a reseller's template (sandboxed Jinja2)")
def put_template(request: Request, scope: Caller, event_type: str,
                 body: TemplateIn) -> JSONResponse:
    data = dump(body)
    return write(request, scope, data,
                 lambda uow: templates.put_template(uow, scope, event_type, data))


@router.delete("/templates/{event_type}", summary="Remove a template: the one above applies")
def delete_template(request: Request, scope: Caller, event_type: str,
                    reseller: Filter = None) -> JSONResponse:
    return write(request, scope, {"reseller": reseller},
                 lambda uow: templates.delete_template(uow, scope, event_type, reseller))


@router.post("/templates/{event_type}/preview", response_model=TemplatePreview,
             summary="Render the applicable template (or a draft) for a subscription")
def preview_template(request: Request, scope: Caller, event_type: str,
                     body: TemplatePreviewIn) -> dict[str, Any]:
    data = dump(body)
    day = today(request)
    return read(request, lambda uow: templates.preview(uow, scope, event_type, data, day))


@router.post("/webhook-endpoints",
             summary="Create a webhook endpoint; its signing secret is shown once")
def create_endpoint(request: Request, scope: Caller, body: WebhookEndpointIn) -> JSONResponse:
    """`write` keeps the secret out of the idempotency record: a replay answers `secret: null`."""
    data = dump(body)

    def action(uow: Any) -> dict[str, Any]:
        endpoint, secret = webhooks.create_endpoint(uow, scope, data)
        return {**endpoint, "secret": secret}

    return write(request, scope, data, action)


@router.get("/webhook-endpoints", summary="Webhook endpoints of the caller's scope")
def list_endpoints(request: Request, scope: Caller, page: Pages) -> Response:
    return answer(request, lambda uow: webhooks.list_endpoints(uow, scope, page.limit,
                                                               page.starting_after))


@router.get("/webhook-endpoints/{endpoint_id}", summary="One webhook endpoint")
@point_read
def get_endpoint(request: Request, scope: Caller, endpoint_id: str) -> Response:
    check_id(endpoint_id, "webhook endpoint")
    return answer(request, lambda uow: webhooks.get_endpoint(uow, scope, endpoint_id))


@router.patch("/webhook-endpoints/{endpoint_id}",
              summary="Change the URL, the event filter, or enable it again")
def patch_endpoint(request: Request, scope: Caller, endpoint_id: str,
                   body: WebhookEndpointPatchIn) -> JSONResponse:
    check_id(endpoint_id, "webhook endpoint")
    data = dump(body)
    return write(request, scope, data,
                 lambda uow: webhooks.update_endpoint(uow, scope, endpoint_id, data))


@router.delete("/webhook-endpoints/{endpoint_id}", summary="Delete a webhook endpoint")
def delete_endpoint(request: Request, scope: Caller, endpoint_id: str) -> JSONResponse:
    check_id(endpoint_id, "webhook endpoint")
    now = datetime.now(UTC)
    return write(request, scope, {},
                 lambda uow: webhooks.delete_endpoint(uow, scope, endpoint_id, now))


@router.get("/webhook-endpoints/{endpoint_id}/deliveries", response_model=DeliveryList,
            summary="The delivery log: every delivery with its attempts, newest first")
def list_deliveries(request: Request, scope: Caller, endpoint_id: str,
                    page: Pages) -> dict[str, Any]:
    check_id(endpoint_id, "webhook endpoint")
    return read(request, lambda uow: webhooks.list_deliveries(
        uow, scope, endpoint_id, page.limit, page.starting_after))


@router.get("/settings/webhooks", summary="Webhook settings (operator)")
def get_webhook_settings(request: Request, scope: Caller) -> Response:
    return answer(request, lambda uow: webhooks.get_settings(uow, scope))


@router.put("/settings/webhooks", summary="Block receivers on private networks (operator)")
def put_webhook_settings(request: Request, scope: Caller,
                         body: WebhookSettingsIn) -> JSONResponse:
    data = dump(body)
    return write(request, scope, data, lambda uow: webhooks.put_settings(uow, scope, data))
