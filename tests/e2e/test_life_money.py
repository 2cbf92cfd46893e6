"""Money in, end to end on the test clock (SPEC B2, B3, B5, B6): lines become numbered
documents on the next day, a customer pays through the test gateway's signed callback, a
manager refunds, and each document's status follows the money."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

from pypdf import PdfReader

from prorata.adapters.payments.testing import sign
from tests.e2e.conftest import error_of
from tests.e2e.lifecycle import balance, buy, clock, ok, op, seats_plan, setup


def callback(api: Any, body: dict[str, Any], *, secret: str = "test-gateway-secret",
             signature: str | None = None) -> Any:
    raw = json.dumps(body).encode()
    headers = {"Test-Signature": signature if signature is not None else sign(raw, secret),
               "Content-Type": "application/json"}
    return api.post("/v1/payment-gateways/test/callback", content=raw, headers=headers)


def invoices(api: Any, customer: str = "acme") -> list[dict[str, Any]]:
    return ok(api.get(f"/v1/customers/{customer}/invoices"))["data"]  # type: ignore[no-any-return]


def pay(api: Any, amount: str) -> dict[str, Any]:
    session = ok(api.post("/v1/customers/acme/payment-sessions",
                          json={"gateway": "test", "amount": amount}))
    ok(callback(api, {"session": session["id"], "outcome": "succeeded"}))
    return session


def test_the_whole_flow(api):
    # SPEC B2, B3, B5: invoice next day, paid through the gateway, refunded, open again.
    setup(api, seats_plan("basic", "monthly", "6.00"))
    buy(api, "basic", 10)  # 2024-08-20: 12/31 of 60.00 = 23.23
    assert invoices(api) == []  # the day is not over
    clock(api, "2024-08-21")
    [inv] = invoices(api)
    assert (inv["number"], inv["sequence"], inv["kind"]) == ("INV-000001", 1, "invoice")
    assert (inv["service_date"], inv["issued_on"], inv["total"]) == \
        ("2024-08-20", "2024-08-21", "23.23")
    assert inv["status"] == "open" and len(inv["lines"]) == 1
    assert ok(api.get(f"/v1/invoices/{inv['id']}")) == inv

    session = ok(api.post("/v1/customers/acme/payment-sessions",
                          json={"gateway": "test", "amount": "23.23"}))
    assert (session["status"], session["amount"], session["currency"]) == \
        ("pending", "23.23", "USD")
    assert session["redirect_url"].endswith(session["id"])
    done = ok(callback(api, {"session": session["id"], "outcome": "succeeded"}))
    assert done["status"] == "succeeded"
    assert balance(api) == 0
    assert ok(api.get(f"/v1/invoices/{inv['id']}"))["status"] == "paid"
    [payment] = ok(api.get("/v1/customers/acme/payments"))["data"]
    assert (payment["gateway"], payment["amount"], payment["session"], payment["reference"]) == \
        ("test", "23.23", session["id"], f"test_{session['id']}")

    refund = ok(api.post(f"/v1/payments/{payment['id']}/refunds", json={"amount": "10.00"}))
    assert (refund["status"], refund["amount"]) == ("succeeded", "10.00")
    assert balance(api) == Decimal("-10.00")
    assert ok(api.get(f"/v1/invoices/{inv['id']}"))["status"] == "open"  # B5: not covered now
    assert ok(api.get(f"/v1/payments/{payment['id']}"))["refunded"] == "10.00"


def test_a_day_of_refunds_is_a_credit_note_and_counts_as_credit(api):
    # SPEC B2: a day whose lines sum below zero gives a credit note; B5: it covers invoices.
    setup(api, seats_plan("basic", "monthly", "6.00"))
    buy(api, "basic", 10)  # 23.23
    clock(api, "2024-08-22")
    ok(op(api, {"type": "change_resources", "resources": {"seats": 5}}))  # −10 days of 5 seats
    clock(api, "2024-08-23")
    first, second = invoices(api)
    assert (second["kind"], second["number"]) == ("credit_note", "INV-000002")
    assert Decimal(second["total"]) < 0 and second["status"] == "paid"
    assert first["status"] == "open"
    pay(api, str(Decimal(first["total"]) + Decimal(second["total"])))
    assert [i["status"] for i in invoices(api)] == ["paid", "paid"]


def test_the_pdf_carries_number_customer_lines_and_total(api):
    # API.md: the PDF's text carries the number, the customer's name, each line and the total.
    setup(api, seats_plan("basic", "monthly", "6.00"))
    buy(api, "basic", 10)
    clock(api, "2024-08-21")
    [inv] = invoices(api)
    response = api.get(f"/v1/invoices/{inv['id']}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "INV-000001" in text and "Acme Ltd" in text and "23.23" in text
    assert inv["lines"][0]["description"].split()[0] in text
    assert len(reader.pages) == 1


def test_prefix_and_seller_apply_to_documents_issued_later(api):
    # B5: an issued invoice never changes; the operator's prefix applies from now on.
    setup(api, seats_plan("basic", "monthly", "6.00"))
    buy(api, "basic", 10)
    clock(api, "2024-08-21")
    ok(api.put("/v1/settings/invoices", json={
        "invoice_prefix": "NW/2024/", "seller": {"name": "Northwind Cloud", "tax_id": "GB1"}}))
    ok(op(api, {"type": "change_resources", "resources": {"seats": 12}}))
    clock(api, "2024-08-22")
    first, second = invoices(api)
    assert first["number"] == "INV-000001" and first["seller"]["name"] == "Prorata"
    assert second["number"] == "NW/2024/000002" and second["seller"]["name"] == "Northwind Cloud"


def test_forged_malformed_and_replayed_callbacks(api):
    # SPEC B3: verified before anything changes; applied once however often it arrives.
    setup(api, seats_plan("basic", "monthly", "6.00"))
    session = ok(api.post("/v1/customers/acme/payment-sessions",
                          json={"gateway": "test", "amount": "50.00"}))
    body = {"session": session["id"], "outcome": "succeeded"}
    for forged in (callback(api, body, secret="guess"), callback(api, body, signature=""),
                   api.post("/v1/payment-gateways/test/callback", json=body)):
        assert forged.status_code == 400 and error_of(forged)["code"] == "invalid_signature"
    assert balance(api) == 0
    assert ok(api.get(f"/v1/payment-sessions/{session['id']}"))["status"] == "pending"
    for bad in ({"session": session["id"]}, {"session": session["id"], "outcome": "maybe"},
                {"session": session["id"], "outcome": "succeeded", "amount": "1"}):
        response = callback(api, bad)
        assert response.status_code == 400 and error_of(response)["code"] == "invalid_callback"
    unknown = callback(api, {"session": "ps_nope", "outcome": "succeeded"})
    assert unknown.status_code == 404 and error_of(unknown)["param"] == "session"
    for _ in range(3):
        ok(callback(api, body))
    ok(callback(api, {"session": session["id"], "outcome": "failed"}))  # too late: nothing
    assert balance(api) == Decimal("50.00")
    assert len(ok(api.get("/v1/customers/acme/payments"))["data"]) == 1
    assert ok(api.get(f"/v1/payment-sessions/{session['id']}"))["status"] == "succeeded"


def test_a_failed_payment_then_a_second_try(api):
    # SPEC B3: failed records the failure; a later success on the same page still counts once.
    setup(api)
    session = ok(api.post("/v1/customers/acme/payment-sessions",
                          json={"gateway": "test", "amount": "5.00"}))
    failed = ok(callback(api, {"session": session["id"], "outcome": "failed"}))
    assert failed["status"] == "failed" and balance(api) == 0
    shown = ok(api.get(f"/v1/payment-sessions/{session['id']}"))
    assert shown["error"]["message"] == "declined by the test gateway"
    ok(callback(api, {"session": session["id"], "outcome": "succeeded"}))
    ok(callback(api, {"session": session["id"], "outcome": "succeeded"}))
    assert balance(api) == Decimal("5.00")


def test_refunds_never_exceed_the_payment(api):
    # SPEC B3: never more than was paid, in one refund or in several.
    setup(api)
    pay(api, "20.00")
    [payment] = ok(api.get("/v1/customers/acme/payments"))["data"]
    url = f"/v1/payments/{payment['id']}/refunds"
    for amount, code in (("20.01", "refund_exceeds_payment"), ("0", "invalid_amount"),
                         ("-1.00", "invalid_amount"), ("1.001", "too_many_decimals")):
        response = api.post(url, json={"amount": amount})
        assert response.status_code == 400 and error_of(response)["code"] == code, amount
    ok(api.post(url, json={"amount": "15.00"}))
    response = api.post(url, json={"amount": "5.01"})
    assert error_of(response)["code"] == "refund_exceeds_payment"
    rest = ok(api.post(url, json={}))
    assert rest["amount"] == "5.00"
    assert error_of(api.post(url, json={}))["code"] == "nothing_to_refund"
    assert balance(api) == 0
    assert [r["amount"] for r in ok(api.get(f"/v1/payments/{payment['id']}"))["refunds"]] == \
        ["15.00", "5.00"]


def test_a_refund_repeated_with_its_key_is_made_once(api):
    # S12: the same Idempotency-Key answers the same refund and refunds once.
    setup(api)
    pay(api, "20.00")
    [payment] = ok(api.get("/v1/customers/acme/payments"))["data"]
    url = f"/v1/payments/{payment['id']}/refunds"
    first = ok(api.post(url, json={"amount": "5.00"}, headers={"Idempotency-Key": "r1"}))
    again = ok(api.post(url, json={"amount": "5.00"}, headers={"Idempotency-Key": "r1"}))
    assert first == again and balance(api) == Decimal("15.00")


def test_bad_sessions_are_refused_and_change_nothing(api):
    setup(api)
    url = "/v1/customers/acme/payment-sessions"
    for body, code in (({"gateway": "nope", "amount": "1.00"}, "unknown_gateway"),
                       ({"gateway": "manual", "amount": "1.00"}, "not_supported_by_gateway"),
                       ({"gateway": "test", "amount": "0"}, "invalid_amount"),
                       ({"gateway": "test", "amount": "-3"}, "invalid_amount"),
                       ({"gateway": "test", "amount": "1.00", "currency": "EUR"},
                        "currency_mismatch")):
        response = api.post(url, json=body)
        assert response.status_code == 400 and error_of(response)["code"] == code, body
    gateways = ok(api.get("/v1/payment-gateways"))["data"]
    assert {g["id"] for g in gateways} >= {"manual", "test"}
    assert ok(api.get("/v1/customers/acme/payments"))["data"] == []
