"""Manual payments (SPEC B3 `manual`) and the grace period they settle (S7), over HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e import access_world
from tests.e2e.conftest import error_of
from tests.e2e.lifecycle import balance, clock, ok, seats_plan, setup, sub


def test_a_payment_raises_the_balance(api):
    # SPEC B1/B3: the balance is payments minus charge lines.
    setup(api, seats_plan("basic", "monthly", "6.00"))
    paid = ok(api.post("/v1/customers/acme/payments",
                       json={"amount": "25.50", "reference": "wire 4711"}))
    assert (paid["amount"], paid["currency"], paid["balance"]) == ("25.50", "USD", "25.50")
    assert balance(api) == Decimal("25.50")


@pytest.mark.parametrize("body, code", [
    ({"amount": "0"}, "invalid_amount"),
    ({"amount": "-5.00"}, "invalid_amount"),
    ({"amount": "1.005"}, "too_many_decimals"),
    ({"amount": "10.00", "currency": "EUR"}, "currency_mismatch"),
    ({"amount": "10.00", "reference": "   "}, "invalid_field"),
])
def test_bad_payments_are_refused(api, body, code):
    setup(api)
    response = api.post("/v1/customers/acme/payments", json=body)
    assert response.status_code == 400 and error_of(response)["code"] == code
    assert balance(api) == 0


def test_who_may_record_payments(client_factory, db_kind):
    # SPEC P2: managers in scope may; a customer may not (404, never 403); others see nothing.
    world = access_world.build(client_factory, db_kind)
    body = {"amount": "5.00"}
    assert world.clients["reseller"].post("/v1/customers/c-east/payments",
                                          json=body).status_code == 200
    for party in ("customer", "downstream"):
        response = world.clients[party].post("/v1/customers/c-nw/payments", json=body)
        assert response.status_code == 404, party
    # Out of scope and unknown answer alike, naming the path id, as for GET /v1/customers/{id}.
    unknown = world.clients["downstream"].post("/v1/customers/nope/payments", json=body)
    hidden = world.clients["downstream"].post("/v1/customers/c-nw/payments", json=body)
    assert error_of(unknown)["param"] == error_of(hidden)["param"] == "id"
    assert error_of(unknown)["code"] == error_of(hidden)["code"]
    assert world.clients["customer"].post("/v1/customers/c-east/payments",
                                          json=body).status_code == 404


def test_paying_within_the_grace_period_keeps_the_service(api):
    # SPEC S7: unpaid prolongation, paid during the grace days → still active.
    setup(api, seats_plan("basic", "monthly", "6.00", settings={"grace_period_days": 5}))
    ok(api.patch("/v1/customers/acme", json={"credit_limit": "50.00"}))
    ok(api.post("/v1/subscriptions", json={"id": "sub1", "customer": "acme", "plan": "basic",
                                           "resources": {"seats": 10}}))
    clock(api, "2024-09-01")  # −23.23 − 60.00 = −83.23 < −50: unpaid
    assert sub(api)["status"] == "active"
    ok(api.post("/v1/customers/acme/payments", json={"amount": "40.00"}))
    clock(api, "2024-09-10")
    assert sub(api)["status"] == "active"
