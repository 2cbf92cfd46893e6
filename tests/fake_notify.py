"""The notification part of the fake unit of work (SPEC R2, R3): the event list, templates,
webhook endpoints and their delivery log, with the SQL adapter's scoping (P2). Deliveries are
made by the worker on a real database only, so the fake's log is whatever a test puts in
its "deliveries" table. Relies on the plumbing of `FakeUnitOfWork` (tests/fakes.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prorata.adapters.db import mapping as m
from prorata.domain.errors import unknown_cursor
from prorata.services.ports import Page, Scope


class FakeNotify:
    """Mixed into FakeUnitOfWork; `_rows`, `_get`, `_put`, `_insert`, `_sees_path`,
    `_path_of` and `_db` come from it."""

    _rows: Any
    _get: Any
    _put: Any
    _insert: Any
    _sees_path: Any
    _path_of: Any
    _db: Any

    # --- events ----------------------------------------------------------------------------

    def _sees_customer(self, scope: Scope, customer_id: str | None) -> bool:
        if scope.kind == "operator":
            return True
        if customer_id is None:
            return False
        if scope.kind == "customer":
            return customer_id == scope.party
        customer = self._get("customers", customer_id)
        return customer is not None and customer.reseller is not None and \
            self._sees_path(scope, self._path_of(customer.reseller))

    def list_events(self, scope: Scope, limit: int, starting_after: str | None, *,
                    event_type: str | None = None, customer: str | None = None,
                    subscription: str | None = None) -> Page:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        rows = [r for r in self._rows("events") if self._sees_customer(scope, r["obj"].customer)]
        rows.sort(key=lambda r: (r["seq"], r["obj"].id), reverse=True)
        if starting_after is not None:
            index = next((i for i, r in enumerate(rows) if r["obj"].id == starting_after), None)
            if index is None:
                raise unknown_cursor(starting_after)
            rows = rows[index + 1:]
        rows = [r for r in rows if (event_type is None or r["obj"].type == event_type)
                and (customer is None or r["obj"].customer == customer)
                and (subscription is None or r["obj"].subscription == subscription)]
        return Page([_item(r) for r in rows[:limit]], len(rows) > limit)

    def get_event(self, scope: Scope, event_id: str) -> dict[str, Any] | None:
        row = self._get("events", event_id)
        if row is None or not self._sees_customer(scope, row["obj"].customer):
            return None
        return _item(row)

    # --- templates -------------------------------------------------------------------------

    def get_templates(self, owners: list[str],
                      event_type: str | None = None) -> dict[tuple[str, str], tuple[str, str]]:
        return {(r["event_type"], r["owner"]): (r["subject"], r["body"])
                for r in self._rows("templates") if not r["deleted"] and r["owner"] in owners
                and (event_type is None or r["event_type"] == event_type)}

    def put_template(self, event_type: str, owner: str, reseller_id: str | None, subject: str,
                     body: str) -> None:
        if reseller_id is not None and self._get("resellers", reseller_id) is None:
            raise LookupError("template refers to a row that does not exist")
        self._put("templates", (event_type, owner),
                  {"event_type": event_type, "owner": owner, "reseller": reseller_id,
                   "subject": subject, "body": body, "deleted": False})

    def delete_template(self, event_type: str, owner: str) -> bool:
        row = self._get("templates", (event_type, owner))
        if row is None or row["deleted"]:
            return False
        self._put("templates", (event_type, owner), {**row, "deleted": True})  # a tombstone
        return True

    # --- webhook endpoints -----------------------------------------------------------------

    def add_endpoint(self, endpoint: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        row = {"id": endpoint["id"], "reseller": endpoint.get("reseller"),
               "url": endpoint["url"], "events": list(endpoint.get("events") or []),
               "description": endpoint.get("description"), "secret": endpoint["secret"],
               "enabled": True, "disabled_reason": None, "failures": 0, "deleted_at": None,
               "created_at": now, "updated_at": now}
        self._insert("endpoints", endpoint["id"], m.jsonable(row) | {
            "created_at": now, "updated_at": now}, f"webhook endpoint {endpoint['id']!r}")

    def _sees_endpoint(self, scope: Scope, row: dict[str, Any] | None) -> bool:
        if row is None or row.get("deleted_at") is not None:
            return False
        if scope.kind == "operator":
            return True
        if scope.kind != "reseller" or row["reseller"] is None:
            return False
        return bool(self._sees_path(scope, self._path_of(row["reseller"])))

    def get_endpoint(self, scope: Scope, endpoint_id: str) -> dict[str, Any] | None:
        row = self._get("endpoints", endpoint_id)
        return _endpoint(row) if self._sees_endpoint(scope, row) else None

    def update_endpoint(self, endpoint_id: str, changes: dict[str, Any]) -> None:
        row = self._get("endpoints", endpoint_id)
        if row is None:
            return
        for key in ("url", "events", "description", "enabled", "disabled_reason", "failures",
                    "failing_since", "deleted_at"):
            if key in changes:
                row[key] = changes[key]
        self._put("endpoints", endpoint_id, row)
        if changes.get("deleted_at") is not None:
            for delivery in self._rows("deliveries"):
                if delivery["endpoint_id"] == endpoint_id and delivery["status"] == "pending":
                    self._put("deliveries", delivery["id"], {**delivery, "status": "cancelled"})

    def list_endpoints(self, scope: Scope, limit: int, starting_after: str | None) -> Page:
        rows = sorted((r for r in self._rows("endpoints") if self._sees_endpoint(scope, r)),
                      key=lambda r: r["id"])
        if starting_after is not None:
            rows = [r for r in rows if r["id"] > starting_after]
        return Page([_endpoint(r) for r in rows[:limit]], len(rows) > limit)

    def list_deliveries(self, endpoint_id: str, limit: int, starting_after: str | None) -> Page:
        rows = sorted((r for r in self._rows("deliveries") if r["endpoint_id"] == endpoint_id),
                      key=lambda r: (r["seq"], r["id"]), reverse=True)
        if starting_after is not None:
            index = next((i for i, r in enumerate(rows) if r["id"] == starting_after), None)
            if index is None:
                raise unknown_cursor(starting_after)
            rows = rows[index + 1:]
        return Page([dict(r) for r in rows[:limit]], len(rows) > limit)


def _item(row: dict[str, Any]) -> dict[str, Any]:
    return {"event": row["obj"], "created_at": row.get("created_at")}


def _endpoint(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("id", "reseller", "url", "events", "description", "secret",
                                "enabled", "disabled_reason", "failures", "created_at",
                                "updated_at")}
