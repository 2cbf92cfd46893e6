"""The uniform error shape (API.md) and "bad input is never a 5xx": hand-picked malformed
requests, then generated garbage sent to every write endpoint."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import error_of

VALID: dict[str, tuple[str, str, dict[str, Any]]] = {
    "reseller": ("POST", "/v1/resellers", {"name": "Northwind", "parent": "nw"}),
    "customer": ("POST", "/v1/customers", {"name": "Acme", "reseller": "nw", "billing_day": 5,
                                           "currency": "EUR", "credit_limit": "100.00"}),
    "product": ("POST", "/v1/products", {"name": "P", "attributes": [{"id": "a"}]}),
    "plan": ("POST", "/v1/plans", {
        "product": "m365", "name": "Basic", "billing_type": "monthly", "periods": ["P1Y"],
        "resources": [{"id": "seats", "primary": True, "min": 1, "max": 9, "price": "6"}],
        "switch_to": [{"plan": "x", "kind": "upgrade"}], "settings": {"grace_period_days": 3}}),
    "plan_patch": ("PATCH", "/v1/plans/basic", {"name": "B", "settings": {"price_lock": False},
                                                 "resources": [{"id": "seats", "price": "7"}]}),
    "rate": ("POST", "/v1/exchange-rates", {"from": "EUR", "to": "USD", "rate": "1.1",
                                           "effective_from": "2024-01-01"}),
    "subscription": ("POST", "/v1/subscriptions", {"customer": "acme", "plan": "basic",
                                                   "period": "P1Y", "resources": {"seats": 2},
                                                   "auto_renew": True,
                                                   "attributes": {"domain": "acme.test"}}),
    "sub_patch": ("PATCH", "/v1/subscriptions/sub1", {"auto_renew": False}),
    "operation": ("POST", "/v1/subscriptions/sub1/operations", {
        "type": "change_resources", "resources": {"seats": 3}, "preview": True}),
    "clock": ("POST", "/v1/test/clock", {"date": "2024-08-21"}),
    "switch": ("POST", "/v1/subscriptions/sub1/operations", {
        "type": "switch_plan", "plan": "x", "timing": "now", "period": "P1Y",
        "resources": {"seats": 3}, "preview": True}),
    "renew": ("POST", "/v1/subscriptions/sub1/operations", {
        "type": "renew", "period": "P1Y", "resources": {"seats": 3}, "preview": True}),
    "prolong": ("POST", "/v1/subscriptions/sub1/operations", {
        "type": "prolong", "resources": {"seats": 3}, "preview": True}),
    "payment": ("POST", "/v1/customers/acme/payments", {"amount": "5.00", "currency": "USD",
                                                        "reference": "r"}),
    "customer_patch": ("PATCH", "/v1/customers/acme", {"name": "Acme 2", "inn": "77",
                                                        "group": "g", "credit_limit": "9"}),
    "reseller_patch": ("PATCH", "/v1/resellers/nw", {"name": "NW", "inn": "78"}),
    "reseller_settings": ("PUT", "/v1/resellers/nw/settings", {
        "grace_period_days": 3, "stop_requires_approval_groups": ["g"],
        "recommendation_priorities": {"basic": 1}}),
    "company_names": ("PUT", "/v1/settings/company-names", {
        "forbidden_characters": "@", "forbidden_abbreviations": ["LLC"],
        "forbidden_tlds": [".com"]}),
    "restriction": ("POST", "/v1/restrictions", {"inn": "123", "products": ["m365"]}),
    "api_key": ("POST", "/v1/api-keys", {"customer": "acme"}),
    "user": ("POST", "/v1/users", {"email": "a@example.com", "password": "correct horse 1",
                                   "customer": "acme"}),
    "login": ("POST", "/v1/login", {"email": "a@example.com", "password": "correct horse 1"}),
}


@pytest.fixture
def seeded(api: TestClient) -> TestClient:
    """Enough data that garbage reaches the services, not only "not found"."""
    api.post("/v1/resellers", json={"id": "nw", "name": "Northwind"})
    api.post("/v1/customers", json={"id": "acme", "name": "Acme"})
    api.post("/v1/products", json={"id": "m365", "name": "M365", "attributes": [
        {"id": "domain", "name": "Domain", "audience": "both", "required": False}]})
    plan = {**VALID["plan"][2], "id": "basic"}
    assert api.post("/v1/plans", json=plan).status_code == 200
    sub = {**VALID["subscription"][2], "id": "sub1"}
    assert api.post("/v1/subscriptions", json=sub).status_code == 200
    return api


def test_unknown_route(api: TestClient) -> None:
    response = api.get("/v2/nothing")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_method_not_allowed(api: TestClient) -> None:
    response = api.delete("/v1/customers/acme")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


@pytest.mark.parametrize("raw", [b"{", b"{'name': 'x'}", b"nul", b"\xff\xfe", b'{"name": "x",}'])
def test_malformed_json(api: TestClient, raw: bytes) -> None:
    response = api.post("/v1/customers", content=raw,
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


def test_absurdly_nested_json(api: TestClient) -> None:
    raw = b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = api.post("/v1/customers", content=raw,
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 400


@pytest.mark.parametrize("body", [[], "text", 5, None, [{"name": "x"}]])
def test_body_must_be_an_object(api: TestClient, body: Any) -> None:
    response = api.post("/v1/customers", content=json.dumps(body),
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_request"


def test_missing_body(api: TestClient) -> None:
    response = api.post("/v1/customers")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_request"


def test_validation_error_names_the_nested_field(seeded: TestClient) -> None:
    body = {**VALID["plan"][2], "resources": [{"id": "seats", "min": "one"}]}
    error = error_of(seeded.post("/v1/plans", json=body))
    assert (error["code"], error["param"]) == ("invalid_request", "resources[0].min")


def test_unknown_fields_are_refused_and_change_nothing(api: TestClient) -> None:
    response = api.post("/v1/customers", json={"id": "acme", "name": "Acme", "biling_day": 15})
    error = error_of(response)
    assert response.status_code == 400
    assert (error["code"], error["param"]) == ("unknown_parameter", "biling_day")
    assert api.get("/v1/customers/acme").status_code == 404


def test_a_typo_of_preview_does_not_run_the_operation(seeded: TestClient) -> None:
    before = seeded.get("/v1/customers/acme/charges").json()["data"]
    response = seeded.post("/v1/subscriptions/sub1/operations",
                           json={"type": "change_resources", "resources": {"seats": 5},
                                 "previw": True})
    assert error_of(response)["code"] == "unknown_parameter"
    assert error_of(response)["param"] == "previw"
    assert seeded.get("/v1/customers/acme/charges").json()["data"] == before
    assert seeded.get("/v1/subscriptions/sub1").json()["resources"] == {"seats": 2}


def test_every_request_body_refuses_unknown_fields(api: TestClient) -> None:
    """Walks the OpenAPI document: every operation that takes a JSON body answers 400
    unknown_parameter for a field it does not know, before any other check."""
    spec = api.get("/openapi.json").json()
    checked = 0
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            url = path.replace("{", "").replace("}", "")
            response = api.request(method.upper(), url, json={"zz_not_a_field": 1})
            assert response.status_code == 400, (method, path, response.text)
            error = error_of(response)
            assert (error["code"], error["param"]) == ("unknown_parameter", "zz_not_a_field"), \
                (method, path, error)
            checked += 1
    assert checked >= 15


@pytest.mark.parametrize("name", ["株式会社テスト", "Ünïcödé GmbH", "🚀 Rocket Ltd", "ООО Ромашка",
                                  "x" * 200, "عربي"])
def test_unicode_round_trips(api: TestClient, name: str) -> None:
    created = api.post("/v1/customers", json={"name": name})
    assert created.status_code == 200
    assert api.get(f"/v1/customers/{created.json()['id']}").json()["name"] == name


GARBAGE = [None, True, 0, -1, 1.5, 10**30, -(10**30), 1e308, "", " ", "x" * 5000, "\u0000",
           "💥", "1e999", "NaN", "-0", "99999999999999999999.99", [], [None], {}, {"a": {}},
           [[[]]], "2024-02-30", "P99999999Y"]


@pytest.mark.parametrize("endpoint", sorted(VALID))
def test_every_field_with_garbage_is_never_a_5xx(seeded: TestClient, endpoint: str) -> None:
    # API.md: bad input is never a 5xx
    method, path, valid = VALID[endpoint]
    for field in [*valid, "id"]:
        for value in GARBAGE:
            body = {**valid, field: value}
            response = seeded.request(method, path, json=body)
            assert response.status_code < 500, (endpoint, field, value, response.text)
            if response.status_code >= 400:
                error_of(response)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=80),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(endpoint=st.sampled_from(sorted(VALID)), data=st.data())
def test_generated_garbage_is_never_a_5xx(seeded: TestClient, endpoint: str,
                                          data: st.DataObject) -> None:
    method, path, valid = VALID[endpoint]
    body: Any = dict(valid)
    for _ in range(data.draw(st.integers(1, 3))):
        key = data.draw(st.sampled_from([*valid, "id", "preview", "type"]) | st.text(max_size=8))
        body[key] = data.draw(json_values)
    if data.draw(st.booleans(), label="replace the whole body") and data.draw(st.booleans()):
        body = data.draw(json_values)
    response = seeded.request(method, path, json=body)
    assert response.status_code < 500, (endpoint, body, response.text)


def test_a_charge_too_large_to_store_is_a_400_not_a_500(api: TestClient) -> None:
    # SPEC T5 + API.md: the largest price times the largest amount is refused, not a 5xx.
    api.post("/v1/customers", json={"id": "acme", "name": "Acme"})
    api.post("/v1/products", json={"id": "m365", "name": "M365"})
    plan = {"id": "gold", "product": "m365", "name": "Gold", "billing_type": "long_term",
            "periods": ["P1Y"], "resources": [{"id": "seats", "min": 1, "max": 1_000_000_000,
                                               "price": "99999999999999.9999"}]}
    assert api.post("/v1/plans", json=plan).status_code == 200
    response = api.post("/v1/subscriptions", json={"customer": "acme", "plan": "gold",
                                                   "resources": {"seats": 1_000_000_000}})
    assert response.status_code == 400
    assert error_of(response)["code"] == "amount_too_large"
    assert api.get("/v1/customers/acme").json()["balance"] == "0.00"
