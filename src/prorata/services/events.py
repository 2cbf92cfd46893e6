"""GET /v1/events (SPEC R2, R3): the events of the caller's scope (P2), newest first.

An event names its customer, so scope is the customer's: the operator sees every event, a
reseller those of its subtree's customers, a customer its own. A filter naming a customer or
subscription outside the scope finds nothing, exactly like one that does not exist."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prorata.domain.events import check_event_type
from prorata.domain.model import Event
from prorata.services.inputs import ID_PATTERN, missing
from prorata.services.ports import Page, Scope, UnitOfWork


def rfc3339(value: datetime | None) -> str | None:
    """API.md: timestamps are RFC 3339 in UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def event_to_dict(event: Event, created_at: datetime | None) -> dict[str, Any]:
    return {"id": event.id, "object": "event", "type": event.type,
            "created_on": None if event.created_on is None else event.created_on.isoformat(),
            "created_at": rfc3339(created_at), "customer": event.customer,
            "subscription": event.subscription, "data": event.data}


def list_events(uow: UnitOfWork, scope: Scope, filters: dict[str, Any], limit: int,
                starting_after: str | None) -> Page:
    event_type = filters.get("type")
    if event_type is not None:
        check_event_type(event_type)
    ids = {key: filters.get(key) for key in ("customer", "subscription")}
    if any(v is not None and not ID_PATTERN.match(v) for v in ids.values()):
        return Page([], False)  # an id that cannot exist matches nothing
    page = uow.list_events(scope, limit, starting_after, event_type=event_type,
                           customer=ids["customer"], subscription=ids["subscription"])
    return Page([event_to_dict(i["event"], i["created_at"]) for i in page.items], page.has_more)


def get_event(uow: UnitOfWork, scope: Scope, event_id: str) -> dict[str, Any]:
    found = uow.get_event(scope, event_id)
    if found is None:
        raise missing("event", event_id, "id")
    return event_to_dict(found["event"], found["created_at"])
