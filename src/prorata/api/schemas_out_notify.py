"""Response models of the notification reads (SPEC R1-R3; issue 7): events, the template list
and preview, and a webhook endpoint's delivery log. Each mirrors the dict its service builds
(named beside the model), fields in the same order. Event types are the code's own list
(`EVENT_TYPES`); timestamps are already RFC 3339 strings when the services hand them over."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from prorata.api.schemas_out import Day, ListOf, Out
from prorata.api.schemas_writes import EVENT_TYPE_ENUM, Template

TIMESTAMP = "RFC 3339, UTC"
STAMP = "2024-09-02T06:00:00Z"


class Event(Out):
    """services.events.event_to_dict (R1)."""

    id: str = Field(examples=["evt_5f0c2d9a61b04e3c"])
    object: Literal["event"]
    type: str = Field(json_schema_extra=EVENT_TYPE_ENUM, examples=["invoice_issued"])
    created_on: Day | None = Field(examples=["2024-09-02"], description="the business day")
    created_at: str | None = Field(examples=[STAMP], description=TIMESTAMP)
    customer: str | None = Field(examples=["acme"])
    subscription: str | None = Field(examples=["sub1"])
    data: dict[str, Any] = Field(description="what the event is about; the template sees it")


class EventList(ListOf):
    data: list[Event]


class TemplateList(ListOf):
    """services.templates.list_templates: the template that applies for every event type."""

    data: list[Template]


class TemplatePreview(Out):
    """services.templates.preview: rendered for a subscription."""

    object: Literal["template_preview"]
    event_type: str = Field(json_schema_extra=EVENT_TYPE_ENUM,
                            examples=["subscription_expiring"])
    subscription: str = Field(examples=["sub1"])
    subject: str = Field(examples=["Basic expires on 2025-08-19"])
    body: str
    source: Literal["default", "operator", "reseller", "draft"] = Field(
        description="whose template was rendered; `draft` for one sent with the request")


class DeliveryAttempt(Out):
    """One line of the delivery log (adapters.db.notify.list_deliveries)."""

    attempt: int = Field(examples=[1])
    attempted_at: str | None = Field(examples=[STAMP], description=TIMESTAMP)
    status_code: int | None = Field(examples=[500], description="the receiver's answer; none "
                                    "when it could not be reached")
    error: str | None = Field(examples=["HTTP 500: ok"])
    duration_ms: int | None = Field(examples=[12])


class Delivery(Out):
    """services.webhooks.delivery_to_dict (R3): one event to one endpoint, every attempt under
    the same webhook-id."""

    id: str = Field(examples=["msg_2b7f4c1e9d3a5068"], description="the `webhook-id` header")
    object: Literal["delivery"]
    event: str
    type: str = Field(json_schema_extra=EVENT_TYPE_ENUM, examples=["invoice_issued"])
    status: Literal["pending", "succeeded", "failed"] = Field(
        description="failed: retries used up (adapters/db/deliveries.py)")
    attempts: int = Field(examples=[2])
    next_attempt_at: str | None = Field(description=TIMESTAMP + "; while pending")
    last_attempt_at: str | None = Field(examples=[STAMP], description=TIMESTAMP)
    last_status_code: int | None = Field(examples=[200])
    last_error: str | None
    delivered_at: str | None = Field(examples=[STAMP], description=TIMESTAMP)
    created_at: str | None = Field(examples=[STAMP], description=TIMESTAMP)
    log: list[DeliveryAttempt]


class DeliveryList(ListOf):
    data: list[Delivery]
