"""The notification half of the unit of work (SPEC R2, R3): the event list, templates,
webhook endpoints and their delivery log. Mixed into `SqlUnitOfWork`; what the worker does
set-wise (fan-out, claims, outcomes) is in deliveries.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, select, update

from prorata.adapters.db import mapping as m
from prorata.adapters.db.schema import (
    customers,
    deliveries,
    delivery_attempts,
    events,
    resellers,
    templates,
    webhook_endpoints,
)
from prorata.adapters.db.session import Session, utcnow
from prorata.services.ports import Page, Scope


def utc(value: datetime | None) -> datetime | None:
    """SQLite gives timestamps back without a zone; they were written in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def endpoint_row(row: Any) -> dict[str, Any]:
    return {"id": row.id, "reseller": row.reseller_id, "url": row.url,
            "events": list(row.events or []), "description": row.description,
            "secret": row.secret, "enabled": row.enabled,
            "disabled_reason": row.disabled_reason, "failures": row.failures,
            "created_at": utc(row.created_at), "updated_at": utc(row.updated_at)}


class NotifyRecords(Session):
    """Methods of the `UnitOfWork` port (services/ports.py) for notifications."""

    def _in_subtree(self, scope: Scope, path_column: Any) -> ColumnElement[bool]:
        raise NotImplementedError  # SqlUnitOfWork's

    def _event_owner(self, scope: Scope) -> ColumnElement[bool] | None:
        """The events `scope` sees (P2), as a condition on the events table alone, so that
        a page cursor naming another tenant's event finds nothing either."""
        if scope.kind == "operator":
            return events.c.id.isnot(None)
        if scope.kind == "customer":
            return events.c.customer_id == scope.party
        if scope.kind == "reseller":
            return events.c.customer_id.in_(
                select(customers.c.id).join(resellers, resellers.c.id == customers.c.reseller_id)
                .where(self._in_subtree(scope, resellers.c.path)))
        return None

    # --- events ----------------------------------------------------------------------------

    def list_events(self, scope: Scope, limit: int, starting_after: str | None, *,
                    event_type: str | None = None, customer: str | None = None,
                    subscription: str | None = None) -> Page:
        owner = self._event_owner(scope)
        if owner is None:
            return Page([], False)
        query = select(events).where(owner)
        for column, value in ((events.c.type, event_type), (events.c.customer_id, customer),
                              (events.c.subscription_id, subscription)):
            if value is not None:
                query = query.where(column == value)
        return self._page(query, events, owner, starting_after, limit, newest_first=True,
                          convert=_event)

    def get_event(self, scope: Scope, event_id: str) -> dict[str, Any] | None:
        owner = self._event_owner(scope)
        row = None if owner is None else self.connection.execute(
            select(events).where(events.c.id == event_id, owner)).first()
        return None if row is None else _event(row)

    # --- templates -------------------------------------------------------------------------

    def get_templates(self, owners: list[str],
                      event_type: str | None = None) -> dict[tuple[str, str], tuple[str, str]]:
        query = select(templates).where(templates.c.owner.in_(owners))
        if event_type is not None:
            query = query.where(templates.c.event_type == event_type)
        return {(r.event_type, r.owner): (r.subject, r.body)
                for r in self.connection.execute(query)}

    def put_template(self, event_type: str, owner: str, reseller_id: str | None, subject: str,
                     body: str) -> None:
        values = {"reseller_id": reseller_id, "subject": subject, "body": body,
                  "updated_at": utcnow()}
        stmt = self._upsert_insert(templates).values(event_type=event_type, owner=owner,
                                                     **values)
        self.connection.execute(stmt.on_conflict_do_update(
            index_elements=[templates.c.event_type, templates.c.owner], set_=values))

    def delete_template(self, event_type: str, owner: str) -> bool:
        result = self.connection.execute(delete(templates).where(
            templates.c.event_type == event_type, templates.c.owner == owner))
        return bool(result.rowcount)

    # --- webhook endpoints -----------------------------------------------------------------

    def add_endpoint(self, endpoint: dict[str, Any]) -> None:
        now = utcnow()
        row = {"id": endpoint["id"], "reseller_id": endpoint.get("reseller"),
               "url": endpoint["url"], "events": list(endpoint.get("events") or []),
               "description": endpoint.get("description"), "secret": endpoint["secret"],
               "enabled": True, "failures": 0, "created_at": now, "updated_at": now}
        self._insert_unique(webhook_endpoints, [row], f"webhook endpoint {endpoint['id']!r}")

    def _endpoints(self, scope: Scope) -> Select[Any] | None:
        query = select(webhook_endpoints).where(webhook_endpoints.c.deleted_at.is_(None))
        if scope.kind == "operator":
            return query
        if scope.kind == "reseller":
            return query.join(resellers, resellers.c.id == webhook_endpoints.c.reseller_id) \
                .where(self._in_subtree(scope, resellers.c.path))
        return None

    def get_endpoint(self, scope: Scope, endpoint_id: str) -> dict[str, Any] | None:
        query = self._endpoints(scope)
        if query is None:
            return None
        row = self.connection.execute(query.where(webhook_endpoints.c.id == endpoint_id)).first()
        return None if row is None else endpoint_row(row)

    def update_endpoint(self, endpoint_id: str, changes: dict[str, Any]) -> None:
        allowed = {k: v for k, v in changes.items()
                   if k in ("url", "events", "description", "enabled", "disabled_reason",
                            "failures", "failing_since", "deleted_at")}
        self.connection.execute(update(webhook_endpoints).where(
            webhook_endpoints.c.id == endpoint_id).values(**allowed, updated_at=utcnow()))
        if allowed.get("deleted_at") is not None:  # nothing more goes to a deleted endpoint
            self.connection.execute(update(deliveries).where(
                deliveries.c.endpoint_id == endpoint_id, deliveries.c.status == "pending")
                .values(status="cancelled", last_error="the endpoint was deleted",
                        claim=None, claimed_until=None))

    def list_endpoints(self, scope: Scope, limit: int, starting_after: str | None) -> Page:
        """By id: endpoints are few and have no order of their own."""
        query = self._endpoints(scope)
        if query is None:
            return Page([], False)
        if starting_after is not None:
            query = query.where(webhook_endpoints.c.id > starting_after)
        rows = self.connection.execute(
            query.order_by(webhook_endpoints.c.id).limit(limit + 1)).all()
        return Page([endpoint_row(r) for r in rows[:limit]], len(rows) > limit)

    def list_deliveries(self, endpoint_id: str, limit: int, starting_after: str | None) -> Page:
        """The delivery log, newest first, each delivery with its attempts."""
        owner = deliveries.c.endpoint_id == endpoint_id
        query = select(deliveries, events.c.type.label("event_type")).join(
            events, events.c.id == deliveries.c.event_id).where(owner)
        page = self._page(query, deliveries, owner, starting_after, limit, newest_first=True,
                          convert=_delivery)
        ids = [d["id"] for d in page.items]
        log: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
        if ids:
            rows = self.connection.execute(
                select(delivery_attempts).where(delivery_attempts.c.delivery_id.in_(ids))
                .order_by(delivery_attempts.c.delivery_id, delivery_attempts.c.attempt))
            for r in rows:
                log[r.delivery_id].append({
                    "attempt": r.attempt, "attempted_at": utc(r.attempted_at),
                    "status_code": r.status_code, "error": r.error,
                    "duration_ms": r.duration_ms})
        for item in page.items:
            item["log"] = log[item["id"]]
        return page


def _event(row: Any) -> dict[str, Any]:
    return {"event": m.row_to_event(row), "created_at": utc(row.created_at)}


def _delivery(row: Any) -> dict[str, Any]:
    return {"id": row.id, "event": row.event_id, "event_type": row.event_type,
            "status": row.status, "attempts": row.attempts,
            "next_attempt_at": utc(row.next_attempt_at) if row.status == "pending" else None,
            "last_attempt_at": utc(row.last_attempt_at), "last_status_code": row.last_status_code,
            "last_error": row.last_error, "delivered_at": utc(row.delivered_at),
            "created_at": utc(row.created_at)}


