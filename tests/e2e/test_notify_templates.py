"""Templates through the API (SPEC R1, R2, P3): the shipped default, the operator's own, a
reseller's for its subtree (read-only below it), preview with real data and the upgrade
recommendations, and every way a template can be bad answering 400 `invalid_template`."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import ClientFactory, error_of
from tests.e2e.lifecycle import buy, ok, seats_plan, setup

EXPIRING = "/v1/templates/subscription_expiring"


def _shop(api: TestClient) -> None:
    setup(api, seats_plan("basic", "monthly", "6.00",
                          switch_to=[{"plan": "premium", "kind": "upgrade"}]),
          seats_plan("premium", "monthly", "9.00"))
    buy(api, "basic", 5)


def test_default_then_operator_template_and_preview_with_recommendations(api: TestClient):
    # SPEC R1/R2, seed 000: the expiring template lists the upgrade offers with their quotes.
    _shop(api)
    default = ok(api.get(EXPIRING))
    assert (default["source"], default["read_only"]) == ("default", False)
    rendered = ok(api.post(f"{EXPIRING}/preview", json={"subscription": "sub1"}))
    [rec] = ok(api.get("/v1/subscriptions/sub1/recommendations"))["data"]
    assert f"Premium: {rec['amount']} USD" in rendered["body"]
    assert rendered["subject"] == "Basic expires on 2025-08-19"
    mine = {"subject": "{{ customer.name }}: {{ plan.name }} ends {{ data.expires_on }}",
            "body": "{% for r in recommendations %}{{ r.plan }}={{ r.amount }};{% endfor %}"}
    saved = ok(api.put(EXPIRING, json=mine))
    assert (saved["source"], saved["subject"]) == ("operator", mine["subject"])
    rendered = ok(api.post(f"{EXPIRING}/preview", json={"subscription": "sub1"}))
    assert rendered["subject"] == "Acme Ltd: Basic ends 2025-08-19"
    assert rendered["body"] == f"premium={rec['amount']};\n"
    draft = ok(api.post(f"{EXPIRING}/preview", json={
        "subscription": "sub1", "subject": "Draft {{ subscription.id }}", "body": "x"}))
    assert (draft["subject"], draft["source"]) == ("Draft sub1", "draft")
    listed = ok(api.get("/v1/templates"))["data"]
    assert len(listed) == 11 and {t["source"] for t in listed} == {"default", "operator"}
    assert ok(api.delete(EXPIRING))["source"] == "default"
    assert api.delete(EXPIRING).status_code == 404


def test_a_resellers_template_applies_to_its_subtree_and_is_read_only_below(
        client_factory: ClientFactory, db_kind: str):
    # SPEC P3: a reseller's setting applies to its whole subtree and is read-only there.
    api = client_factory(db_kind)
    _shop(api)
    ok(api.post("/v1/resellers", json={"id": "nw", "name": "Northwind"}))
    ok(api.post("/v1/resellers", json={"id": "nw-east", "name": "NW East", "parent": "nw"}))
    ok(api.post("/v1/customers", json={"id": "east", "name": "East Co", "reseller": "nw-east"}))
    ok(api.post("/v1/subscriptions", json={"id": "sub-east", "customer": "east",
                                           "plan": "basic", "resources": {"seats": 1}}))
    nw = client_factory(db_kind, key=ok(api.post("/v1/api-keys", json={"reseller": "nw"}))[
        "secret"])
    east = client_factory(db_kind, key=ok(api.post("/v1/api-keys", json={
        "reseller": "nw-east"}))["secret"])
    ok(east.put(EXPIRING, json={"subject": "East {{ customer.name }}", "body": "east"}))
    ok(nw.put(EXPIRING, json={"subject": "NW {{ customer.name }}", "body": "nw"}))
    for client in (api, nw, east):  # the topmost reseller's applies to the whole subtree
        assert ok(client.post(f"{EXPIRING}/preview", json={"subscription": "sub-east"}))[
            "subject"] == "NW East Co"
    seen = ok(east.get(EXPIRING))
    assert (seen["source"], seen["source_reseller"], seen["read_only"]) == \
        ("reseller", "nw", True)
    refused = east.put(EXPIRING, json={"subject": "x", "body": "y"})
    assert refused.status_code == 409 and error_of(refused)["code"] == "setting_delegated"
    assert api.put(EXPIRING, json={"subject": "x", "body": "y", "reseller": "nw-east"}) \
        .status_code == 409
    # The operator's direct customer keeps the default; the operator's template is not nw's.
    assert ok(api.post(f"{EXPIRING}/preview", json={"subscription": "sub1"}))["subject"] \
        .startswith("Basic expires")
    assert nw.post(f"{EXPIRING}/preview", json={"subscription": "sub1"}).status_code == 404


BAD = [
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "reaches outside the sandbox"),
    ("{{ customer.__class__ }}", "reaches outside the sandbox"),
    ("{% for x in %}", "does not compile"),
    ("{{ data.expires_on + 1 }}", "fails on a sample"),
    ("{{ 'x' * 99999999 }}", "renders too much"),
]


@pytest.mark.parametrize("body,why", BAD)
def test_bad_templates_are_refused_and_not_stored(api: TestClient, body: str, why: str):
    response = api.put(EXPIRING, json={"subject": "Hi", "body": body})
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert (error["code"], error["param"]) == ("invalid_template", "body")
    assert why in str(error["message"])
    assert ok(api.get(EXPIRING))["source"] == "default"


def test_huge_slow_and_unknown_templates_are_clear_4xx(api: TestClient):
    loop = "{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}"
    started = time.monotonic()
    response = api.put(EXPIRING, json={"subject": "Hi", "body": loop})
    assert error_of(response)["code"] == "invalid_template"
    assert "takes too long" in str(error_of(response)["message"])
    assert time.monotonic() - started < 15
    huge = api.put(EXPIRING, json={"subject": "Hi", "body": "x" * 70_000})
    assert error_of(huge)["code"] == "invalid_template"
    too_big_to_read = api.put(EXPIRING, json={"subject": "Hi", "body": "x" * 1_000_001})
    assert too_big_to_read.status_code == 400
    unknown = api.put("/v1/templates/subscription_exploded", json={"subject": "a", "body": "b"})
    assert (unknown.status_code, error_of(unknown)["code"]) == (400, "unknown_event_type")
    assert api.get("/v1/templates/nope").status_code == 400
    missing_sub = api.post(f"{EXPIRING}/preview", json={"subscription": "nope"})
    assert missing_sub.status_code == 404
    assert ok(api.get(EXPIRING))["source"] == "default"


def test_customers_have_no_templates(client_factory: ClientFactory, db_kind: str):
    api = client_factory(db_kind)
    _shop(api)
    customer = client_factory(db_kind, key=ok(api.post("/v1/api-keys", json={
        "customer": "acme"}))["secret"])
    assert customer.get(EXPIRING).status_code == 404
    assert customer.get("/v1/templates").status_code == 404
    assert customer.put(EXPIRING, json={"subject": "a", "body": "b"}).status_code == 404
    assert customer.post(f"{EXPIRING}/preview", json={"subscription": "sub1"}).status_code == 404


def test_customer_messages_never_carry_manager_only_attributes(api: TestClient):
    # SPEC P7, seed 003: a manager's order attribute (a reseller's discount code) is not the
    # customer's to see, also not through a template that prints every attribute; a manager's
    # message (vendor_operation_failed) keeps it.
    ok(api.post("/v1/products", json={"id": "gw", "name": "Workspace", "vendor": "instant",
                                      "attributes": [
        {"id": "domain", "name": "Domain", "audience": "customer", "required": True},
        {"id": "discount", "name": "Discount code", "audience": "manager", "required": True}]}))
    ok(api.post("/v1/plans", json={**seats_plan("gw-plan", "monthly", "5.00"), "product": "gw"}))
    ok(api.post("/v1/customers", json={"id": "acme", "name": "Acme Ltd", "billing_day": 1,
                                       "currency": "USD"}))
    ok(api.post("/v1/subscriptions", json={
        "id": "sub1", "customer": "acme", "plan": "gw-plan", "resources": {"seats": 1},
        "attributes": {"domain": "acme.io", "discount": "SECRET-42"}}))
    body = {"subject": "s", "body": "{{ subscription.attributes }}"}
    for event_type in ("subscription_stopped", "vendor_operation_failed"):
        ok(api.put(f"/v1/templates/{event_type}", json=body))
    customer = ok(api.post("/v1/templates/subscription_stopped/preview",
                           json={"subscription": "sub1"}))["body"]
    manager = ok(api.post("/v1/templates/vendor_operation_failed/preview",
                          json={"subscription": "sub1"}))["body"]
    assert "acme.io" in customer and "SECRET-42" not in customer
    assert "acme.io" in manager and "SECRET-42" in manager
