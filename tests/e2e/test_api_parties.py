"""Resellers and customers over HTTP (SPEC P1-P4, T3)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import error_of


def test_reseller_tree_of_any_depth(api: TestClient) -> None:
    # SPEC P1: operator → resellers (a tree of any depth) → customers
    assert api.post("/v1/resellers", json={"id": "nw", "name": "Northwind"}).status_code == 200
    child = api.post("/v1/resellers", json={"id": "nw-east", "name": "NW East", "parent": "nw"})
    assert child.status_code == 200
    assert child.json() == {"id": "nw-east", "object": "reseller", "name": "NW East",
                            "parent": "nw", "inn": None, "email": None}
    grandchild = api.post("/v1/resellers", json={"name": "NW East 2", "parent": "nw-east"})
    assert grandchild.status_code == 200
    assert grandchild.json()["id"].startswith("res_")
    assert api.get("/v1/resellers/nw-east").json()["parent"] == "nw"


def test_unknown_parent_is_resource_missing(api: TestClient) -> None:
    response = api.post("/v1/resellers", json={"name": "Orphan", "parent": "nobody"})
    assert response.status_code == 404
    error = error_of(response)
    assert (error["code"], error["param"]) == ("resource_missing", "parent")


def test_customer_defaults(api: TestClient) -> None:
    # SPEC P4, T3: billing day defaults to 1, currency to USD; a new customer owes nothing
    response = api.post("/v1/customers", json={"id": "acme", "name": "Acme"})
    assert response.status_code == 200
    assert response.json() == {
        "id": "acme", "object": "customer", "name": "Acme", "reseller": None,
        "billing_day": 1, "currency": "USD", "inn": None, "group": None,
        "credit_limit": None, "balance": "0.00", "email": None,
    }
    assert api.get("/v1/customers/acme").json() == response.json()


def test_customer_with_every_field(api: TestClient) -> None:
    api.post("/v1/resellers", json={"id": "nw", "name": "Northwind"})
    body = {"id": "mueller", "name": "Müller GmbH", "reseller": "nw", "billing_day": 28,
            "currency": "EUR", "inn": "DE123456789", "group": "enterprise",
            "credit_limit": "1500.5"}
    customer = api.post("/v1/customers", json=body).json()
    assert customer["reseller"] == "nw"
    assert customer["billing_day"] == 28
    assert customer["credit_limit"] == "1500.50"
    assert customer["balance"] == "0.00"  # in the customer's currency (T6)
    assert (customer["inn"], customer["group"]) == ("DE123456789", "enterprise")


def test_customer_balance_uses_currency_minor_unit(api: TestClient) -> None:
    # SPEC T5: amounts are shown to the currency's minor unit
    customer = api.post("/v1/customers", json={"name": "Tokyo KK", "currency": "JPY"}).json()
    assert customer["id"].startswith("cus_")
    assert customer["balance"] == "0"


@pytest.mark.parametrize("day", [0, 29, 31, -1, "1", 1.5, True, None])
def test_billing_day_must_be_1_to_28(api: TestClient, day: object) -> None:
    # SPEC T3: billing day 1-28
    response = api.post("/v1/customers", json={"name": "Acme", "billing_day": day})
    if day is None:  # explicit null: the default applies
        assert response.status_code == 200
        assert response.json()["billing_day"] == 1
        return
    assert response.status_code == 400
    assert error_of(response)["param"] == "billing_day"


@pytest.mark.parametrize(("field", "value", "code"), [
    ("currency", "usd", "invalid_currency"),
    ("currency", "US", "invalid_currency"),
    ("currency", "XYZ", "invalid_currency"),   # issue 7: ISO 4217 checked at creation
    ("currency", "XTS", "invalid_currency"),   # the ISO test code is not money
    ("credit_limit", 100, "invalid_request"),       # money must be a string (T5)
    ("credit_limit", 10.5, "invalid_request"),
    ("credit_limit", "-5", "invalid_amount"),
    ("credit_limit", "1.005", "too_many_decimals"),
    ("credit_limit", "lots", "invalid_amount"),
    ("name", "", "invalid_request"),
    ("name", "   ", "invalid_field"),
    ("name", "x" * 201, "invalid_request"),
    ("name", "Bad\u0000Name", "invalid_request"),
    ("id", "has space", "invalid_id"),
    ("id", "-leading-dash", "invalid_id"),
    ("id", "x" * 65, "invalid_request"),
])
def test_customer_field_errors(api: TestClient, field: str, value: object, code: str) -> None:
    body = {"name": "Acme", field: value}
    response = api.post("/v1/customers", json=body)
    assert response.status_code == 400, response.json()
    error = error_of(response)
    assert (error["code"], error["param"]) == (code, field)


def test_duplicate_customer_id_is_resource_exists(api: TestClient) -> None:
    assert api.post("/v1/customers", json={"id": "acme", "name": "Acme"}).status_code == 200
    response = api.post("/v1/customers", json={"id": "acme", "name": "Acme Two"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "resource_exists"
    assert api.get("/v1/customers/acme").json()["name"] == "Acme"


def test_duplicate_reseller_id_is_resource_exists(api: TestClient) -> None:
    api.post("/v1/resellers", json={"id": "nw", "name": "Northwind"})
    response = api.post("/v1/resellers", json={"id": "nw", "name": "Again"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "resource_exists"


def test_unknown_reseller_for_customer(api: TestClient) -> None:
    response = api.post("/v1/customers", json={"name": "Acme", "reseller": "ghost"})
    assert response.status_code == 404
    error = error_of(response)
    assert (error["code"], error["param"]) == ("resource_missing", "reseller")


@pytest.mark.parametrize("path", ["/v1/customers/nobody", "/v1/customers/nobody/charges",
                                  "/v1/resellers/nobody", "/v1/customers/bad%20id",
                                  "/v1/customers/%00"])
def test_unknown_customer_is_404(api: TestClient, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert error_of(response)["code"] == "resource_missing"


def test_charges_of_a_new_customer_is_an_empty_list(api: TestClient) -> None:
    api.post("/v1/customers", json={"id": "acme", "name": "Acme"})
    assert api.get("/v1/customers/acme/charges").json() == {
        "object": "list", "data": [], "has_more": False}
