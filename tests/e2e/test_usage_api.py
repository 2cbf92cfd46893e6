"""Usage end to end (SPEC B4; API.md "Usage"): import by JSON and CSV, dedup, rating in
arrears by the daily run, late records, analytics, the consumption_processed event."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient

from tests.e2e.conftest import ClientFactory
from tests.e2e.lifecycle import clock, ok
from tests.e2e.usage_helpers import (
    consumption,
    payg_setup,
    post_csv,
    post_usage,
    rec,
    usage_lines,
)


def test_json_import_dedup_and_internal_rating_on_billing_day(api: TestClient) -> None:
    payg_setup(api)  # bought 2024-08-20, billing day 1
    clock(api, "2024-08-25")
    # SPEC B4: deduplicated by record id, within an import and across imports
    answer = ok(post_usage(api, [rec("r1", "2024-08-20", quantity="10"),
                                 rec("r2", "2024-08-21", quantity="2.5"),
                                 rec("r2", "2024-08-21", quantity="2.5"),
                                 rec("s1", "2024-08-22", "storage", "100", category="usage")]))
    assert (answer["accepted"], answer["duplicates"]) == (3, 1)
    again = ok(post_usage(api, [rec("r1", "2024-08-20", quantity="10"),
                                rec("r3", "2024-08-24", quantity="0.5")]))
    assert (again["accepted"], again["duplicates"]) == (1, 1)
    clock(api, "2024-08-31")
    assert usage_lines(api) == []  # in arrears: nothing before the billing day
    clock(api, "2024-09-01")
    lines = usage_lines(api)
    # SPEC B4: one line per meter and category; internal = quantity × price, rounded once
    by_meter = {ln["description"].split(" (")[0]: ln for ln in lines}
    assert len(lines) == 2
    vm = by_meter["Virtual machine hours"]
    assert Decimal(vm["amount"]) == Decimal("0.16")  # 13 × 0.0125 = 0.1625
    assert (vm["period_start"], vm["period_end"]) == ("2024-08-20", "2024-09-01")
    assert (vm["quantity"], vm["unit_price"]) == (13, "0.0125")
    assert Decimal(by_meter["Storage GB"]["amount"]) == Decimal("2.00")
    clock(api, "2024-10-02")
    assert len(usage_lines(api)) == 2  # never twice
    # SPEC B5: the day's usage lines go on the next day's document
    invoiced = [ln for doc in ok(api.get("/v1/customers/acme/invoices"))["data"]
                for ln in doc["lines"] if ln["kind"] == "usage"]
    assert sorted(ln["id"] for ln in invoiced) == sorted(ln["id"] for ln in lines)


def test_late_records_are_charged_on_the_next_billing_day(api: TestClient) -> None:
    payg_setup(api)
    clock(api, "2024-08-30")
    ok(post_usage(api, [rec("a", "2024-08-29", quantity="8")]))
    clock(api, "2024-09-02")
    ok(post_usage(api, [rec("late", "2024-08-30", quantity="80"),  # August, already billed
                        rec("sep", "2024-09-01", quantity="8")]))
    assert [ln["amount"] for ln in usage_lines(api)] == ["0.10"]
    clock(api, "2024-10-01")
    lines = usage_lines(api)
    assert len(lines) == 3
    late = [ln for ln in lines[1:] if ln["period_start"] == "2024-08-20"]
    assert len(late) == 1 and late[0]["amount"] == "1.00" and late[0]["created_on"] == \
        "2024-10-01"
    rows = consumption(api, "subscriptions/az1")
    august = [r for r in rows if r["month"] == "2024-08-01"]
    assert august == [{"month": "2024-08-01", "meter": "vm", "category": "usage",
                       "quantity": "88", "cost": "0.00", "amount": "1.10", "currency": "USD",
                       "records": 2}]


def test_external_rating_with_markup_and_csv(api: TestClient) -> None:
    payg_setup(api, settings={"payg_rating": "external", "markup_percent": "15"},
               billing_day=5)
    clock(api, "2024-09-03")
    csv = ("id,date,meter,category,quantity,cost\n"
           "x1,2024-08-20,vm,reservation,1,100.00\n"
           "x2,2024-08-21,vm,reservation,1,0.333333\n"
           "x3,2024-08-21,vm,third_party,2,10\n"
           "x4,2024-09-02,storage,,3,1\n")
    ok(post_csv(api, csv))
    clock(api, "2024-09-05")
    lines = usage_lines(api)
    # external = cost × (1 + markup/100), the sum rated then rounded: 100.333333 × 1.15
    amounts = sorted(Decimal(ln["amount"]) for ln in lines)
    assert amounts == [Decimal("1.15"), Decimal("11.50"), Decimal("115.38")]
    rows = consumption(api, "customers/acme")
    # billing day 5: 2024-09-02 belongs to the month that began 2024-08-05
    assert {(r["subscription"], r["month"], r["meter"], r["category"], r["cost"], r["amount"])
            for r in rows} == {
        ("az1", "2024-08-05", "vm", "reservation", "100.333333", "115.38"),
        ("az1", "2024-08-05", "vm", "third_party", "10.00", "11.50"),
        ("az1", "2024-08-05", "storage", "usage", "1.00", "1.15")}


def test_openapi_describes_usage(client_factory: ClientFactory) -> None:
    # API.md: the served OpenAPI document describes all of it, both import formats included
    paths = ok(client_factory("sqlite").get("/openapi.json"))["paths"]
    body = paths["/v1/subscriptions/{sub_id}/usage"]["post"]["requestBody"]["content"]
    assert {"application/json", "text/csv"} <= set(body)
    assert "get" in paths["/v1/subscriptions/{sub_id}/consumption"]
    assert "get" in paths["/v1/customers/{customer_id}/consumption"]
