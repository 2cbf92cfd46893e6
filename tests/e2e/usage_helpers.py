"""Helpers for the usage scenarios (SPEC B4): a pay-as-you-go plan and its subscription."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.e2e.lifecycle import ok

METERS = [{"id": "vm", "name": "Virtual machine hours", "price": "0.0125"},
          {"id": "storage", "name": "Storage GB", "price": "0.02"}]


def payg_setup(api: TestClient, *, settings: dict[str, Any] | None = None,
               billing_day: int = 1, currency: str = "USD", customer: str = "acme",
               sub_id: str = "az1", plan_currency: str = "USD") -> None:
    ok(api.post("/v1/products", json={"id": "azure", "name": "Azure", "vendor": "instant"}))
    ok(api.post("/v1/plans", json={
        "id": "azure-payg", "product": "azure", "name": "Azure Plan", "billing_type": "payg",
        "currency": plan_currency, "periods": [], "resources": METERS,
        "settings": settings or {}}))
    ok(api.post("/v1/customers", json={"id": customer, "name": "Acme Ltd",
                                       "billing_day": billing_day, "currency": currency}))
    buy_payg(api, customer, sub_id)


def buy_payg(api: TestClient, customer: str, sub_id: str) -> None:
    ok(api.post("/v1/subscriptions", json={"id": sub_id, "customer": customer,
                                           "plan": "azure-payg", "resources": {}}))


def rec(rid: str, day: str, meter: str = "vm", quantity: str = "1", **extra: Any) -> dict[str, Any]:
    return {"id": rid, "date": day, "meter": meter, "quantity": quantity, **extra}


def post_usage(api: TestClient, records: list[dict[str, Any]], sub_id: str = "az1") -> Any:
    return api.post(f"/v1/subscriptions/{sub_id}/usage", json={"records": records})


def post_csv(api: TestClient, text: str | bytes, sub_id: str = "az1") -> Any:
    body = text.encode() if isinstance(text, str) else text
    return api.post(f"/v1/subscriptions/{sub_id}/usage", content=body,
                    headers={"Content-Type": "text/csv"})


def usage_lines(api: TestClient, customer: str = "acme") -> list[dict[str, Any]]:
    from tests.e2e.lifecycle import charges

    return [ln for ln in charges(api, customer) if ln["kind"] == "usage"]


def consumption(api: TestClient, path: str) -> list[dict[str, Any]]:
    return ok(api.get(f"/v1/{path}/consumption"))["data"]  # type: ignore[no-any-return]
