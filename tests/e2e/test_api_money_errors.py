"""Bad input to the money endpoints is a 4xx with a code and changes nothing, never a 5xx
(API.md), including whatever arrives signed or unsigned at a gateway's callback."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prorata.adapters.payments.testing import sign
from tests.e2e.conftest import error_of
from tests.e2e.lifecycle import balance, ok, setup
from tests.e2e.test_api_errors import GARBAGE


def _seeded(api: TestClient) -> dict[str, str]:
    setup(api)
    payment = ok(api.post("/v1/customers/acme/payments", json={"amount": "10.00"}))
    session = ok(api.post("/v1/customers/acme/payment-sessions",
                          json={"gateway": "test", "amount": "5.00"}))
    return {"payment": payment["id"], "session": session["id"]}


def test_every_field_with_garbage_is_never_a_5xx(api):
    ids = _seeded(api)
    bodies: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/v1/customers/acme/payment-sessions", {"gateway": "test", "amount": "1.00",
                                                         "currency": "USD"}),
        ("POST", f"/v1/payments/{ids['payment']}/refunds", {"amount": "1.00"}),
        ("PUT", "/v1/settings/invoices", {"invoice_prefix": "X-", "seller": {
            "name": "N", "address": ["a"], "tax_id": "t", "email": "e"}}),
    ]
    for method, path, valid in bodies:
        for field in valid:
            for value in GARBAGE:
                response = api.request(method, path, json={**valid, field: value})
                assert response.status_code < 500, (path, field, value, response.text)
                if response.status_code >= 400:
                    error_of(response)
    # Refused garbage refunded nothing: only the valid 1.00 refunds went through.
    assert balance(api) >= 0


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(raw=st.binary(max_size=300) | st.text(max_size=200).map(str.encode),
       signed=st.booleans())
def test_any_callback_body_signed_or_not_is_never_a_5xx(api, raw, signed):
    headers = {"Test-Signature": sign(raw) if signed else "x"}
    response = api.post("/v1/payment-gateways/test/callback", content=raw, headers=headers)
    assert response.status_code < 500, (raw, response.text)
    if response.status_code >= 400:
        code = error_of(response)["code"]
        assert code in ("invalid_signature", "invalid_callback", "resource_missing"), code


def test_a_signed_callback_with_a_strange_session_id_is_refused_cleanly(api):
    _seeded(api)
    for session in ("\u0000", "x" * 5000, "../../etc", "ps_" + "\U0001f4a5"):
        raw = json.dumps({"session": session, "outcome": "succeeded"}).encode()
        response = api.post("/v1/payment-gateways/test/callback", content=raw,
                            headers={"Test-Signature": sign(raw)})
        assert response.status_code == 400 and error_of(response)["code"] == "invalid_callback"
    too_big = b"{" + b" " * 70_000 + b"}"
    response = api.post("/v1/payment-gateways/test/callback", content=too_big,
                        headers={"Test-Signature": sign(too_big)})
    assert error_of(response)["code"] == "invalid_callback"
    assert balance(api) == 10


def test_the_test_gateway_is_off_on_the_real_clock(client_factory, db_kind):
    # Its default secret is public: a real server keeps it off unless a secret is configured.
    api = client_factory(db_kind, test_clock=None)
    setup(api)
    listed = {g["id"]: g for g in ok(api.get("/v1/payment-gateways"))["data"]}
    assert listed["test"]["enabled"] is False and listed["manual"]["enabled"] is True
    response = api.post("/v1/customers/acme/payment-sessions",
                        json={"gateway": "test", "amount": "1.00"})
    assert error_of(response)["code"] == "gateway_disabled"
    raw = b'{"session": "ps_1", "outcome": "succeeded"}'
    forged = api.post("/v1/payment-gateways/test/callback", content=raw,
                      headers={"Test-Signature": sign(raw)})
    assert error_of(forged)["code"] == "invalid_signature"


def test_invoices_and_payments_of_unknown_ids(api):
    setup(api)
    for path in ("/v1/invoices/nope", "/v1/invoices/nope/pdf", "/v1/payments/nope",
                 "/v1/payment-sessions/nope", "/v1/customers/nope/invoices",
                 "/v1/customers/nope/payments"):
        response = api.get(path)
        assert response.status_code == 404 and error_of(response)["code"] == "resource_missing"
    refund = api.post("/v1/payments/nope/refunds", json={})
    assert refund.status_code == 404


MONEY_API = [("get", "/v1/customers/{customer_id}/invoices"), ("get", "/v1/invoices/{invoice_id}"),
             ("get", "/v1/invoices/{invoice_id}/pdf"), ("get", "/v1/payment-gateways"),
             ("post", "/v1/customers/{customer_id}/payment-sessions"),
             ("post", "/v1/payment-gateways/{gateway}/callback"),
             ("get", "/v1/customers/{customer_id}/payments"),
             ("post", "/v1/payments/{payment_id}/refunds")]


def test_the_openapi_document_describes_the_money_api(client_factory):
    # API.md "Invoices", "Payments": every endpoint is served and described
    paths = client_factory("sqlite").get("/openapi.json").json()["paths"]
    for method, path in MONEY_API:
        assert method in paths.get(path, {}), (method, path)
    pdf = paths["/v1/invoices/{invoice_id}/pdf"]["get"]["responses"]["200"]["content"]
    assert "application/pdf" in pdf
    # The callback's body is the gateway's own bytes, not a Prorata JSON schema.
    assert "requestBody" not in paths["/v1/payment-gateways/{gateway}/callback"]["post"]
