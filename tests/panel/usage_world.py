"""Pay-as-you-go subscriptions with consumption for the panel tests (SPEC B4): "az-acme" with
records of every category in August (charged on 1 September) and one in September (not yet
charged); "az-rival" of the other tenant. Works with TestClient and httpx alike."""

from __future__ import annotations

from typing import Any

from tests.e2e.lifecycle import clock, ok
from tests.e2e.usage_helpers import METERS, rec


def payg_world(api: Any) -> None:
    ok(api.post("/v1/products", json={"id": "azure", "name": "Azure", "vendor": "instant"}))
    ok(api.post("/v1/plans", json={
        "id": "azure-payg", "product": "azure", "name": "Azure Plan", "billing_type": "payg",
        "currency": "USD", "periods": [], "resources": METERS}))
    for cid in ("acme", "rival"):
        ok(api.post("/v1/subscriptions", json={"id": f"az-{cid}", "customer": cid,
                                               "plan": "azure-payg", "resources": {}}))
    clock(api, "2024-08-25")
    ok(api.post("/v1/subscriptions/az-acme/usage", json={"records": [
        rec("a1", "2024-08-20", quantity="10"),
        rec("a2", "2024-08-21", quantity="3"),
        rec("a3", "2024-08-22", "storage", "100", category="reservation", cost="1.50"),
        rec("a4", "2024-08-23", quantity="8", category="third_party", cost="0.05")]}))
    ok(api.post("/v1/subscriptions/az-rival/usage", json={"records": [
        rec("r1", "2024-08-20", quantity="999")]}))
    clock(api, "2024-09-02")  # billing day 1: August is charged
    ok(api.post("/v1/subscriptions/az-acme/usage", json={"records": [
        rec("b1", "2024-09-01", quantity="40")]}))
