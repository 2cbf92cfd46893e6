"""Upcoming charges (issue 7): what GET /v1/customers/{id}/upcoming predicts is exactly what
the daily runs then write — prolongations, renewal orders, scheduled switches — and asking
stores nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import error_of
from tests.e2e.lifecycle import charges, clock, ok, op, seats_plan, setup

FIELDS = ("date", "subscription", "kind", "period_start", "period_end", "quantity",
          "unit_price", "amount", "currency", "description")


@pytest.fixture
def shop(api: TestClient) -> TestClient:
    setup(api, seats_plan("basic", "monthly", "6.00",
                          switch_to=[{"plan": "premium", "kind": "upgrade"}]),
          seats_plan("premium", "monthly", "9.00"),
          seats_plan("short", "long_term", "30.00", periods=["P1M"]))
    ok(api.post("/v1/subscriptions", json={"id": "m1", "customer": "acme", "plan": "basic",
                                           "resources": {"seats": 5}}))
    ok(api.post("/v1/subscriptions", json={"id": "m2", "customer": "acme", "plan": "basic",
                                           "resources": {"seats": 2}}))
    ok(api.post("/v1/subscriptions", json={"id": "t1", "customer": "acme", "plan": "short",
                                           "resources": {"seats": 1}, "period": "P1M"}))
    ok(op(api, {"type": "switch_plan", "plan": "premium", "timing": "end_of_cycle"}, "m2"))
    return api


def _as_written(line: dict) -> tuple:
    return tuple(line["created_on"] if f == "date" else line[f] for f in FIELDS)


def test_prediction_equals_what_the_daily_runs_write(shop: TestClient):
    # Issue 7: from the engine's own decisions (prolongation S7, renewal orders S5, switches).
    before = {ln["id"] for ln in charges(shop)}
    predicted = ok(shop.get("/v1/customers/acme/upcoming", params={"until": "2024-10-15"}))
    assert predicted["object"] == "list" and predicted["currency"] == "USD"
    assert [(r["date"], r["subscription"], r["operation_type"]) for r in predicted["data"]] == [
        ("2024-09-01", "m1", "prolong"),      # S7: the next billing month
        ("2024-09-01", "m2", "switch_plan"),  # the scheduled switch on the billing day
        ("2024-09-19", "t1", "renew"),        # the one-month term's automatic renewal order
        ("2024-10-01", "m1", "prolong"), ("2024-10-01", "m2", "prolong")]  # S7
    assert {ln["id"] for ln in charges(shop)} == before  # asking stored nothing
    clock(shop, "2024-10-15")
    written = [ln for ln in charges(shop) if ln["id"] not in before]
    assert sorted(_as_written(ln) for ln in written) == \
        sorted(tuple(r[f] for f in FIELDS) for r in predicted["data"])
    assert predicted["total"] == "126.00"  # 30 + 18 + 30 + 30 + 18


@pytest.mark.parametrize("query, param", [
    ({}, "until"), ({"until": "2024-08-20"}, "until"), ({"until": "2030-01-01"}, "until"),
    ({"until": "soon"}, "until"), ({"until": "2024-09-01", "from": "x"}, "from"),
])
def test_bad_until_is_400(shop: TestClient, query, param):
    response = shop.get("/v1/customers/acme/upcoming", params=query)
    assert response.status_code == 400 and error_of(response)["param"] == param


def test_out_of_scope_customer_is_404(shop: TestClient, client_factory, db_kind):
    # SPEC P2: another customer's key sees nothing, as if it did not exist.
    ok(shop.post("/v1/customers", json={"id": "other", "name": "Other"}))
    key = ok(shop.post("/v1/api-keys", json={"customer": "other"}))["secret"]
    other = client_factory(db_kind, key=key)
    hidden = other.get("/v1/customers/acme/upcoming", params={"until": "2024-09-15"})
    missing = other.get("/v1/customers/nobody/upcoming", params={"until": "2024-09-15"})
    assert hidden.status_code == missing.status_code == 404
    assert ok(other.get("/v1/customers/other/upcoming",
                        params={"until": "2024-09-15"}))["data"] == []
