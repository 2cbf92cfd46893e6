"""Helpers for the vendor scenarios: a product on a chosen connector, worker rounds."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.e2e.lifecycle import ok, seats_plan


def setup_vendor(api: TestClient, vendor: Any, billing_type: str = "monthly") -> None:
    ok(api.post("/v1/products", json={"id": "m365", "name": "Microsoft 365", "vendor": vendor}))
    ok(api.post("/v1/plans", json=seats_plan("basic", billing_type, "12.00")))
    ok(api.post("/v1/customers", json={"id": "acme", "name": "Acme Ltd", "billing_day": 1}))


def work(api: TestClient, rounds: int = 1) -> int:
    return ok(api.post("/v1/test/worker", json={"rounds": rounds}))["processed"]  # type: ignore[no-any-return]


def history(api: TestClient, sub: str = "sub1") -> list[dict[str, Any]]:
    return ok(api.get(f"/v1/subscriptions/{sub}/operations", params={"limit": 100}))["data"]  # type: ignore[no-any-return]


def event_types(api: TestClient) -> list[str]:
    return [e["type"] for e in ok(api.get("/v1/events", params={"limit": 100}))["data"]]
