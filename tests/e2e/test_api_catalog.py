"""Products and plans over HTTP (SPEC C1-C8)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import error_of

PLAN: dict[str, Any] = {
    "id": "m365-basic", "product": "m365", "name": "Business Basic",
    "billing_type": "monthly", "currency": "USD", "periods": ["P1Y"],
    "resources": [{"id": "seats", "name": "Licenses", "primary": True, "priority": 0,
                   "included": 0, "min": 1, "max": 300, "price": "6.00", "setup_price": "0",
                   "erp_price": "7.20"}],
    "switch_to": [{"plan": "m365-premium", "kind": "upgrade"}],
    "settings": {"manual_renewal_point": 15, "auto_renewal_point": 7},
}


@pytest.fixture
def catalog(api: TestClient) -> TestClient:
    api.post("/v1/products", json={"id": "m365", "name": "Microsoft 365"})
    return api


def test_product_with_attributes(api: TestClient) -> None:
    # SPEC C1, P7: a product has a vendor connector and order attributes with an audience
    body = {"id": "m365", "name": "Microsoft 365", "vendor": "simulated",
            "attributes": [{"id": "domain", "name": "Domain", "audience": "customer",
                            "required": True}, {"id": "po"}]}
    response = api.post("/v1/products", json=body)
    assert response.status_code == 200
    product = response.json()
    assert product["vendor"] == "simulated"
    assert product["attributes"] == [
        {"id": "domain", "name": "Domain", "audience": "customer", "required": True},
        {"id": "po", "name": "po", "audience": "both", "required": False},
    ]
    assert api.get("/v1/products/m365").json() == product


def test_product_defaults_and_errors(api: TestClient) -> None:
    product = api.post("/v1/products", json={"name": "Hosting"}).json()
    assert product["id"].startswith("prod_")
    assert product["vendor"] == "instant"  # SPEC V3: the built-in connector
    bad = api.post("/v1/products", json={"name": "X", "attributes": [
        {"id": "a", "audience": "everyone"}]})
    assert bad.status_code == 400
    assert error_of(bad)["param"] == "attributes[0].audience"
    dup = api.post("/v1/products", json={"name": "X", "attributes": [{"id": "a"}, {"id": "a"}]})
    assert error_of(dup)["code"] == "duplicate_attribute"
    assert api.post("/v1/products", json={"id": product["id"], "name": "Y"}).status_code == 409


def test_create_plan_resolves_every_setting(catalog: TestClient) -> None:
    # SPEC C7: settings missing from the request take their defaults
    response = catalog.post("/v1/plans", json=PLAN)
    assert response.status_code == 200
    plan = response.json()
    assert catalog.get("/v1/plans/m365-basic").json() == plan
    assert plan["settings"]["manual_renewal_point"] == 15
    assert plan["settings"]["auto_renewal_point"] == 7
    assert plan["settings"]["delayed_switch_point"] == 30
    assert plan["settings"]["deletion_window_hours"] == 168
    assert plan["settings"]["expired_renewal_mode"] == "constant"
    assert plan["settings"]["refund_on_stop"] is True  # C5: monthly refunds on stop
    assert plan["resources"][0]["price"] == "6.00"
    assert plan["resources"][0]["erp_price"] == "7.20"
    # C6: a switch target may be defined before its plan exists
    assert plan["switch_to"] == [{"plan": "m365-premium", "kind": "upgrade"}]


def test_plan_defaults_currency_and_id(catalog: TestClient) -> None:
    body = {"product": "m365", "name": "Azure", "billing_type": "payg"}
    plan = catalog.post("/v1/plans", json=body).json()
    assert plan["id"].startswith("plan_")
    assert plan["currency"] == "USD"
    assert plan["periods"] == []  # endless


def test_plan_price_per_period(catalog: TestClient) -> None:
    # SPEC C2: price may be a map per period
    body = {**PLAN, "billing_type": "long_term", "periods": ["P1Y", "P3Y"],
            "resources": [{"id": "seats", "primary": True, "min": 1,
                           "price": {"P1Y": "60", "P3Y": "150.5"}}]}
    plan = catalog.post("/v1/plans", json=body).json()
    assert plan["resources"][0]["price"] == {"P1Y": "60.00", "P3Y": "150.50"}


def test_resources_in_display_order(catalog: TestClient) -> None:
    # SPEC C4: primary first, then priority, then name
    body = {**PLAN, "resources": [
        {"id": "b", "name": "Backup", "priority": 1, "price": "1"},
        {"id": "a", "name": "Archive", "priority": 1, "price": "1"},
        {"id": "s", "name": "Seats", "primary": True, "priority": 5, "price": "1"},
        {"id": "z", "name": "Zeta", "priority": 0, "price": "1"},
    ]}
    plan = catalog.post("/v1/plans", json=body).json()
    assert [r["id"] for r in plan["resources"]] == ["s", "z", "a", "b"]


@pytest.mark.parametrize(("change", "code", "param"), [
    ({"product": "ghost"}, "resource_missing", "product"),
    ({"billing_type": "weekly"}, "invalid_billing_type", "billing_type"),
    ({"periods": ["1 year"]}, "invalid_request", "periods[0]"),
    ({"periods": [], "billing_type": "long_term"}, "invalid_period", "periods"),
    ({"settings": {"auto_renewal_point": 40, "manual_renewal_point": 30}},
     "invalid_renewal_points", "settings.auto_renewal_point"),   # C7
    ({"settings": {"colour": "blue"}}, "unknown_setting", "settings.colour"),
    ({"settings": {"plan_change_timing": "later"}}, "invalid_setting",
     "settings.plan_change_timing"),
    ({"settings": {"upgrade_fee": 5}}, "invalid_request", "settings.upgrade_fee"),
    ({"resources": [{"id": "a", "primary": True}, {"id": "b", "primary": True}]},
     "multiple_primary_resources", "resources"),                 # C2: at most one primary
    ({"resources": [{"id": "a"}, {"id": "a"}]}, "duplicate_resource", "resources"),
    ({"resources": [{"id": "a", "min": 5, "max": 2}]}, "invalid_field", "resources[0].max"),
    ({"resources": [{"id": "a", "price": "6.12345"}]}, "too_many_decimals",
     "resources[0].price"),                                      # T5: at most 4 decimals
    ({"resources": [{"id": "a", "price": 6.5}]}, "invalid_request", "resources[0].price"),
    ({"switch_to": [{"plan": "m365-basic", "kind": "upgrade"}]}, "invalid_switch_target",
     "switch_to[0]"),
    ({"switch_to": [{"plan": "x", "kind": "sideways"}]}, "invalid_switch_target",
     "switch_to[0]"),
    ({"currency": "dollars"}, "invalid_currency", "currency"),
    ({"currency": "XYZ"}, "invalid_currency", "currency"),  # issue 7: ISO 4217 at creation
])
def test_plan_errors(catalog: TestClient, change: dict[str, Any], code: str,
                     param: str) -> None:
    response = catalog.post("/v1/plans", json={**PLAN, **change})
    assert response.status_code in (400, 404), response.json()
    error = error_of(response)
    assert (error["code"], error["param"]) == (code, param)
    assert catalog.get("/v1/plans/m365-basic").status_code == 404


def test_duplicate_plan(catalog: TestClient) -> None:
    catalog.post("/v1/plans", json=PLAN)
    response = catalog.post("/v1/plans", json={**PLAN, "name": "Other"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "resource_exists"


def test_patch_plan(catalog: TestClient) -> None:
    # SPEC C8: prices change on the plan; subscriptions keep what they captured
    catalog.post("/v1/plans", json=PLAN)
    response = catalog.patch("/v1/plans/m365-basic", json={
        "name": "Basic (2025)",
        "resources": [{"id": "seats", "price": "6.50", "erp_price": None}],
        "settings": {"price_lock": False},
    })
    assert response.status_code == 200
    plan = response.json()
    assert plan["name"] == "Basic (2025)"
    assert plan["resources"][0]["price"] == "6.50"
    assert plan["resources"][0]["erp_price"] is None
    assert plan["settings"]["price_lock"] is False
    assert plan["settings"]["manual_renewal_point"] == 15  # untouched settings stay
    assert catalog.get("/v1/plans/m365-basic").json() == plan


def test_patch_plan_errors(catalog: TestClient) -> None:
    catalog.post("/v1/plans", json=PLAN)
    unknown = catalog.patch("/v1/plans/m365-basic", json={"resources": [{"id": "ram"}]})
    assert (unknown.status_code, error_of(unknown)["code"]) == (400, "unknown_resource")
    points = catalog.patch("/v1/plans/m365-basic", json={"settings": {"auto_renewal_point": 20}})
    assert error_of(points)["code"] == "invalid_renewal_points"
    missing = catalog.patch("/v1/plans/ghost", json={"name": "X"})
    assert (missing.status_code, error_of(missing)["code"]) == (404, "resource_missing")
    assert catalog.get("/v1/plans/m365-basic").json()["settings"]["auto_renewal_point"] == 7
