"""Helpers for the lifecycle scenarios: a catalog through the API and a few shortcuts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def seats_plan(plan_id: str, billing_type: str, price: str, *, periods: list[str] | None = None,
               settings: dict[str, Any] | None = None,
               switch_to: list[dict[str, str]] | None = None, **resource: Any) -> dict[str, Any]:
    res = {"id": "seats", "name": "Licenses", "primary": True, "priority": 0, "included": 0,
           "min": 1, "max": 300, "price": price, "setup_price": "0"}
    res.update(resource)
    return {"id": plan_id, "product": "m365", "name": plan_id.replace("-", " ").title(),
            "billing_type": billing_type, "currency": "USD",
            "periods": ["P1Y"] if periods is None else periods, "resources": [res],
            "switch_to": switch_to or [], "settings": settings or {}}


def setup(api: TestClient, *plans: dict[str, Any], billing_day: int = 1,
          currency: str = "USD") -> None:
    ok(api.post("/v1/products", json={"id": "m365", "name": "Microsoft 365",
                                      "vendor": "instant"}))
    for plan in plans:
        ok(api.post("/v1/plans", json=plan))
    ok(api.post("/v1/customers", json={"id": "acme", "name": "Acme Ltd",
                                       "billing_day": billing_day, "currency": currency}))


def buy(api: TestClient, plan: str, seats: int, **extra: Any) -> dict[str, Any]:
    return ok(api.post("/v1/subscriptions", json={"id": "sub1", "customer": "acme", "plan": plan,
                                                  "resources": {"seats": seats}, **extra}))


def op(api: TestClient, body: dict[str, Any], sub: str = "sub1") -> Any:
    return api.post(f"/v1/subscriptions/{sub}/operations", json=body)


def clock(api: TestClient, day: str) -> dict[str, Any]:
    return ok(api.post("/v1/test/clock", json={"date": day}))


def sub(api: TestClient, sub_id: str = "sub1") -> dict[str, Any]:
    return ok(api.get(f"/v1/subscriptions/{sub_id}"))


def charges(api: TestClient, customer: str = "acme") -> list[dict[str, Any]]:
    out, after = [], None
    while True:
        params = {"limit": 100, **({"starting_after": after} if after else {})}
        page = ok(api.get(f"/v1/customers/{customer}/charges", params=params))
        out += page["data"]
        if not page["has_more"]:
            return out
        after = page["data"][-1]["id"]


def balance(api: TestClient, customer: str = "acme") -> Decimal:
    return Decimal(ok(api.get(f"/v1/customers/{customer}"))["balance"])


def money(value: Any) -> Decimal:
    """Hand arithmetic rounded half-up to cents, for expected figures."""
    from decimal import ROUND_HALF_UP

    return Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP)
