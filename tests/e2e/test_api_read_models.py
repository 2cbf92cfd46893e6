"""The reads typed last (issue 7) answer what their models promise, with data in them.

Schemathesis draws random ids, so on invoices, events or deliveries it mostly meets 404s and
never checks a populated answer. Here one shop lives through a billing cycle with usage, a
webhook that fails once and an invoice, and every one of those answers is checked against
the served document's own 200 schema (JSON Schema 2020-12, as OpenAPI 3.1 says)."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
from fastapi.testclient import TestClient

from prorata.domain.events import EVENT_TYPES
from prorata.domain.invoicing import InvoiceKind, InvoiceStatus
from prorata.domain.usage import CATEGORIES
from tests.e2e.lifecycle import clock, ok, seats_plan, setup
from tests.e2e.usage_helpers import buy_payg, post_usage, rec
from tests.receivers import webhook_receiver

PAYG = {"id": "azure-payg", "product": "m365", "name": "Azure Plan", "billing_type": "payg",
        "currency": "USD", "periods": [], "settings": {},
        "resources": [{"id": "vm", "name": "VM hours", "price": "0.0125"}]}


def _answers(api: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, documented path, answer) of every read typed in this round, populated."""
    setup(api, seats_plan("basic", "monthly", "6.00",
                          switch_to=[{"plan": "premium", "kind": "upgrade"}]),
          seats_plan("premium", "monthly", "9.00"))
    ok(api.post("/v1/subscriptions", json={"id": "sub1", "customer": "acme", "plan": "basic",
                                           "resources": {"seats": 3}}))
    ok(api.post("/v1/plans", json=PAYG))
    buy_payg(api, "acme", "az1")
    got = [("get", "/healthz", ok(api.get("/healthz"))),
           ("post", "/v1/test/clock", clock(api, "2024-08-25"))]
    ok(post_usage(api, [rec("r1", "2024-08-20", quantity="12.5", cost="3.20"),
                        rec("r2", "2024-08-21")]))
    with webhook_receiver(statuses=[500]) as receiver:
        hook = ok(api.post("/v1/webhook-endpoints", json={"url": receiver.url}))
        got.append(("post", "/v1/test/clock", clock(api, "2024-09-03")))
        got.append(("post", "/v1/test/worker", ok(api.post("/v1/test/worker",
                                                          json={"rounds": 2}))))
    invoices = ok(api.get("/v1/customers/acme/invoices"))
    events = ok(api.get("/v1/events", params={"limit": 100}))
    preview = "/v1/templates/subscription_expiring/preview"
    got += [
        ("get", "/v1/test/clock", ok(api.get("/v1/test/clock"))),
        ("get", "/v1/subscriptions/{sub_id}/recommendations",
         ok(api.get("/v1/subscriptions/sub1/recommendations"))),
        ("get", "/v1/payment-gateways", ok(api.get("/v1/payment-gateways"))),
        ("get", "/v1/customers/{customer_id}/invoices", invoices),
        ("get", "/v1/invoices/{invoice_id}",
         ok(api.get(f"/v1/invoices/{invoices['data'][0]['id']}"))),
        ("get", "/v1/events", events),
        ("get", "/v1/events/{event_id}", ok(api.get(f"/v1/events/{events['data'][0]['id']}"))),
        ("get", "/v1/templates", ok(api.get("/v1/templates"))),
        ("post", "/v1/templates/{event_type}/preview",
         ok(api.post(preview, json={"subscription": "sub1"}))),
        ("post", "/v1/templates/{event_type}/preview",
         ok(api.post(preview, json={"subscription": "sub1", "subject": "{{ plan.name }}",
                                    "body": "draft"}))),
        ("get", "/v1/webhook-endpoints/{endpoint_id}/deliveries",
         ok(api.get(f"/v1/webhook-endpoints/{hook['id']}/deliveries"))),
        ("get", "/v1/connectors", ok(api.get("/v1/connectors"))),
        ("get", "/v1/subscriptions/{sub_id}/consumption",
         ok(api.get("/v1/subscriptions/az1/consumption"))),
        ("get", "/v1/customers/{customer_id}/consumption",
         ok(api.get("/v1/customers/acme/consumption"))),
    ]
    return got


def _validator(doc: dict[str, Any], method: str, path: str) -> Any:
    schema = doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]
    return jsonschema_rs.Draft202012Validator(
        {**schema["schema"], "components": doc["components"]})


def test_populated_answers_conform_to_their_models(api: TestClient) -> None:
    # issue 7: typed responses for every endpoint, checked on answers that carry data
    answers = _answers(api)
    doc = ok(api.get("/openapi.json"))
    for method, path, body in answers:
        if body.get("object") == "list":
            assert body["data"], f"{method} {path}: an empty list checks nothing"
        errors = [e.message for e in _validator(doc, method, path).iter_errors(body)]
        assert not errors, f"{method} {path}: {errors}"
    assert {(m, p) for m, p, _ in answers} >= {
        ("get", p) for p in doc["paths"] if p.endswith(("/consumption", "/deliveries"))}
    [deliveries] = [b for _, p, b in answers if p.endswith("/deliveries")]
    assert [a["status_code"] for a in deliveries["data"][0]["log"]] == [500, 200]  # SPEC R3


def test_the_checks_above_can_fail(api: TestClient) -> None:
    # the same validators refuse a wrong answer: a delivery status or an invoice kind outside
    # the enums, a missing field, a number for a money string
    doc = ok(api.get("/openapi.json"))
    line = {"id": "d1", "object": "delivery", "event": "e", "type": "invoice_issued",
            "status": "bounced", "attempts": 1, "next_attempt_at": None,
            "last_attempt_at": None, "last_status_code": None, "last_error": None,
            "delivered_at": None, "created_at": None, "log": []}
    deliveries = _validator(doc, "get", "/v1/webhook-endpoints/{endpoint_id}/deliveries")
    assert not deliveries.is_valid({"object": "list", "data": [line], "has_more": False})
    assert deliveries.is_valid({"object": "list", "data": [{**line, "status": "failed"}],
                                "has_more": False})
    consumption = _validator(doc, "get", "/v1/subscriptions/{sub_id}/consumption")
    row = {"month": "2024-08-01", "meter": "vm", "category": "usage", "quantity": "1",
           "cost": "0", "amount": "0.01", "currency": "USD", "records": 1}
    assert consumption.is_valid({"object": "list", "data": [row], "has_more": False})
    assert not consumption.is_valid({"object": "list", "data": [{**row, "amount": 0.01}],
                                     "has_more": False})
    assert not consumption.is_valid({"object": "list", "data": [row]})


def test_enums_are_the_codes_own(api: TestClient) -> None:
    # issue 7: closed sets are enums, listed from the code so the two cannot drift
    schemas = ok(api.get("/openapi.json"))["components"]["schemas"]
    assert schemas["InvoiceKind"]["enum"] == [k.value for k in InvoiceKind]
    assert schemas["InvoiceStatus"]["enum"] == [s.value for s in InvoiceStatus]
    assert schemas["Invoice"]["properties"]["kind"]["$ref"].endswith("/InvoiceKind")
    assert schemas["Invoice"]["properties"]["status"]["$ref"].endswith("/InvoiceStatus")
    for model in ("Event", "Delivery"):
        assert schemas[model]["properties"]["type"]["enum"] == list(EVENT_TYPES)
    assert schemas["TemplatePreview"]["properties"]["event_type"]["enum"] == list(EVENT_TYPES)
    assert set(schemas["Delivery"]["properties"]["status"]["enum"]) == {
        "pending", "succeeded", "failed"}
    assert set(schemas["Consumption"]["properties"]["category"]["enum"]) == set(CATEGORIES)
    assert "draft" in schemas["TemplatePreview"]["properties"]["source"]["enum"]


def test_every_list_uses_the_one_envelope(api: TestClient) -> None:
    # API.md: {"object": "list", "data": [...], "has_more": bool}, one model for all lists
    doc = ok(api.get("/openapi.json"))
    schemas = doc["components"]["schemas"]
    lists = [name for name, s in schemas.items()
             if s.get("properties", {}).get("data", {}).get("type") == "array"]
    assert len(lists) >= 20
    for name in lists:
        props = schemas[name]["properties"]
        assert list(props)[:3] == ["object", "data", "has_more"], name
        assert props["object"] == {"type": "string", "const": "list", "title": "Object"}, name
        assert set(schemas[name]["required"]) >= {"object", "data", "has_more"}, name
