"""Webhook endpoints (SPEC R2, R3; API.md "Notifications"): receivers of the operator or of a
reseller, each seeing the events of its owner's scope only (P2), optionally only some types.

The signing secret (`whsec_` + 32 random bytes in base64, the Standard Webhooks format) is
shown once, in the answer to the create; it is stored as is, since every delivery is signed
with it. Customers have no endpoints: every route answers them 404."""

from __future__ import annotations

import base64
import secrets
from typing import Any

from prorata.domain.errors import InvalidInput
from prorata.domain.events import check_event_types
from prorata.notify.urls import Resolver, check_url, system_resolver
from prorata.services.events import rfc3339
from prorata.services.inputs import (
    OutOfScope,
    ResourceExists,
    missing,
    reference,
    require_object,
    require_operator,
    scoped_id,
    text,
)
from prorata.services.ports import OPERATOR, Page, Scope, UnitOfWork

SETTINGS_KEY = "webhooks"  # operator settings: {"block_private_networks": bool}


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def block_private(uow: UnitOfWork) -> bool:
    return bool((uow.get_setting(SETTINGS_KEY) or {}).get("block_private_networks", False))


def endpoint_to_dict(endpoint: dict[str, Any]) -> dict[str, Any]:
    return {"id": endpoint["id"], "object": "webhook_endpoint", "url": endpoint["url"],
            "events": endpoint["events"], "reseller": endpoint["reseller"],
            "description": endpoint.get("description"), "enabled": endpoint["enabled"],
            "disabled_reason": endpoint.get("disabled_reason"),
            "created_at": rfc3339(endpoint.get("created_at"))}


def _managers_only(scope: Scope) -> None:
    if scope.kind == "customer":
        raise OutOfScope()


def _endpoint(uow: UnitOfWork, scope: Scope, endpoint_id: str) -> dict[str, Any]:
    _managers_only(scope)
    found = uow.get_endpoint(scope, endpoint_id)
    if found is None:
        raise missing("webhook endpoint", endpoint_id, "id")
    return found


def _events(body: dict[str, Any]) -> list[str]:
    raw = body.get("events")
    return [] if raw is None else check_event_types(raw, "events")


def _description(body: dict[str, Any]) -> str | None:
    return text(body, "description", required=False)


def create_endpoint(uow: UnitOfWork, scope: Scope, body: Any,
                    resolver: Resolver = system_resolver) -> tuple[dict[str, Any], str]:
    """POST /v1/webhook-endpoints → (the endpoint, its secret). A reseller's endpoint is its
    own unless it names a reseller of its subtree; the operator's sees everything unless it
    names a reseller."""
    _managers_only(scope)
    body = require_object(body)
    endpoint_id = scoped_id(scope, body, "we")
    wanted = reference(body, "reseller", "reseller")
    owner = scope.party if scope.kind == "reseller" and wanted is None else wanted
    if owner is not None and uow.get_reseller(scope, owner) is None:
        raise missing("reseller", owner, "reseller")
    url = check_url(body.get("url"), block_private=block_private(uow), resolver=resolver)
    secret = new_secret()
    endpoint = {"id": endpoint_id, "reseller": owner, "url": url, "events": _events(body),
                "description": _description(body), "secret": secret}
    if uow.get_endpoint(OPERATOR, endpoint_id) is not None:
        raise ResourceExists("webhook endpoint", endpoint_id)
    uow.add_endpoint(endpoint)
    stored = uow.get_endpoint(OPERATOR, endpoint_id)
    assert stored is not None
    return endpoint_to_dict(stored), secret


def get_endpoint(uow: UnitOfWork, scope: Scope, endpoint_id: str) -> dict[str, Any]:
    return endpoint_to_dict(_endpoint(uow, scope, endpoint_id))


def list_endpoints(uow: UnitOfWork, scope: Scope, limit: int,
                   starting_after: str | None) -> Page:
    _managers_only(scope)
    page = uow.list_endpoints(scope, limit, starting_after)
    return Page([endpoint_to_dict(e) for e in page.items], page.has_more)


def update_endpoint(uow: UnitOfWork, scope: Scope, endpoint_id: str, body: Any,
                    resolver: Resolver = system_resolver) -> dict[str, Any]:
    """PATCH: url, events, description; `enabled: true` turns a disabled endpoint back on
    (its failure count starts again) and its paused deliveries resume."""
    endpoint = _endpoint(uow, scope, endpoint_id)
    body = require_object(body)
    changes: dict[str, Any] = {}
    if "url" in body:
        changes["url"] = check_url(body["url"], block_private=block_private(uow),
                                   resolver=resolver)
    if "events" in body:
        changes["events"] = _events(body)
    if "description" in body:
        changes["description"] = _description(body)
    if "enabled" in body:
        enabled = body["enabled"]
        if not isinstance(enabled, bool):
            raise InvalidInput("invalid_field", "enabled must be true or false", "enabled")
        changes["enabled"] = enabled
        if enabled:
            changes.update(failures=0, failing_since=None, disabled_reason=None)
        elif endpoint["enabled"]:
            changes["disabled_reason"] = "disabled by a manager"
    if changes:
        uow.update_endpoint(endpoint_id, changes)
    return get_endpoint(uow, scope, endpoint_id)


def delete_endpoint(uow: UnitOfWork, scope: Scope, endpoint_id: str,
                    now: Any) -> dict[str, Any]:
    """Nothing more is sent to it; its delivery log goes with it (404 from now on)."""
    endpoint = _endpoint(uow, scope, endpoint_id)
    uow.update_endpoint(endpoint_id, {"deleted_at": now})
    return {**endpoint_to_dict(endpoint), "deleted": True}


def delivery_to_dict(d: dict[str, Any]) -> dict[str, Any]:
    return {"id": d["id"], "object": "delivery", "event": d["event"], "type": d["event_type"],
            "status": d["status"], "attempts": d["attempts"],
            "next_attempt_at": rfc3339(d["next_attempt_at"]),
            "last_attempt_at": rfc3339(d["last_attempt_at"]),
            "last_status_code": d["last_status_code"], "last_error": d["last_error"],
            "delivered_at": rfc3339(d["delivered_at"]), "created_at": rfc3339(d["created_at"]),
            "log": [{**a, "attempted_at": rfc3339(a["attempted_at"])} for a in d["log"]]}


def list_deliveries(uow: UnitOfWork, scope: Scope, endpoint_id: str, limit: int,
                    starting_after: str | None) -> Page:
    """The delivery log (R3): newest first, every attempt with what the receiver answered."""
    endpoint = _endpoint(uow, scope, endpoint_id)
    page = uow.list_deliveries(endpoint["id"], limit, starting_after)
    return Page([delivery_to_dict(d) for d in page.items], page.has_more)


def get_settings(uow: UnitOfWork, scope: Scope) -> dict[str, Any]:
    require_operator(scope)
    return {"object": "webhook_settings", "block_private_networks": block_private(uow)}


def put_settings(uow: UnitOfWork, scope: Scope, body: Any) -> dict[str, Any]:
    """PUT /v1/settings/webhooks (operator): in production, refuse receivers on private,
    loopback and reserved addresses (checked on save and before every delivery)."""
    require_operator(scope)
    body = require_object(body)
    value = body.get("block_private_networks")
    if not isinstance(value, bool):
        raise InvalidInput("invalid_field", "block_private_networks must be true or false",
                           "block_private_networks")
    uow.put_setting(SETTINGS_KEY, {"block_private_networks": value})
    return get_settings(uow, scope)
