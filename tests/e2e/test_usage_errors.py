"""Bad usage input (SPEC B4; API.md "Usage"): a clear 4xx naming the record or line, nothing
stored, never a 5xx; memory bounded for a 20 MB line."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import error_of
from tests.e2e.lifecycle import clock, ok, seats_plan
from tests.e2e.usage_helpers import consumption, payg_setup, post_csv, post_usage, rec

HEADER = "id,date,meter,category,quantity,cost\n"


@pytest.fixture
def payg(api: TestClient) -> TestClient:
    payg_setup(api)  # bought 2024-08-20
    clock(api, "2024-08-25")
    return api


def _refused(response: Any, code: str, param: str | None) -> None:
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert (error["code"], error["param"]) == (code, param), error


GOOD = rec("ok", "2024-08-21")


BAD_RECORDS = [
    (rec("a", "2024-08-21", meter="gpu"), "unknown_meter", "records[1].meter"),
    (rec("a", "2024-08-21", category="spot"), "invalid_category", "records[1].category"),
    (rec("a", "2024-08-21", quantity="-1"), "invalid_amount", "records[1].quantity"),
    (rec("a", "2024-08-21", quantity="1.1234567"), "too_many_decimals", "records[1].quantity"),
    (rec("a", "2024-08-21", quantity="1e3"), "invalid_amount", "records[1].quantity"),
    (rec("a", "2024-08-21", quantity="12345678901"), "amount_too_large", "records[1].quantity"),
    (rec("a", "2024-08-21", cost="-3"), "invalid_amount", "records[1].cost"),
    (rec("a", "2024-08-19"), "date_outside_subscription", "records[1].date"),  # before purchase
    (rec("a", "2024-08-26"), "date_outside_subscription", "records[1].date"),  # the future
    (rec("a", "2024-02-30"), "invalid_date", "records[1].date"),
    (rec("", "2024-08-21"), "invalid_record_id", "records[1].id"),
    (rec("x" * 65, "2024-08-21"), "invalid_record_id", "records[1].id"),
    ({**rec("a", "2024-08-21"), "price": "1"}, "unknown_parameter", "records[1].price"),
    ("not an object", "invalid_field", "records[1]"),
    # garbage of every JSON type where a string is due: never a 5xx
    (rec("a", "2024-08-21", meter=["vm"]), "unknown_meter", "records[1].meter"),
    ({**rec("a", "2024-08-21"), "date": {"y": 2024}}, "invalid_date", "records[1].date"),
    (rec("a", "2024-08-21", category=[]), "invalid_category", "records[1].category"),
    ({"id": "a", "date": "2024-08-21", "meter": "vm"}, "invalid_amount", "records[1].quantity"),
    ({"date": "2024-08-21", "meter": "vm", "quantity": "1"}, "invalid_record_id",
     "records[1].id"),
    (rec("a", "2024-08-21", quantity=True), "invalid_amount", "records[1].quantity"),
    (rec("a", "2024-08-21", cost={"v": 1}), "invalid_amount", "records[1].cost"),
]


def test_one_bad_record_refuses_the_import(payg: TestClient) -> None:
    # SPEC B4: the record's index in param, and nothing of the import stored
    for bad, code, param in BAD_RECORDS:
        _refused(post_usage(payg, [GOOD, bad]), code, param)
    assert consumption(payg, "subscriptions/az1") == []


def test_numbers_are_exact(payg: TestClient) -> None:
    # API.md: numbers are accepted; parsed as decimals, never floats
    response = payg.post("/v1/subscriptions/az1/usage", content=b'{"records": [{"id": "n", '
                         b'"date": "2024-08-21", "meter": "vm", "quantity": 0.1, "cost": 2}]}',
                         headers={"Content-Type": "application/json"})
    assert ok(response)["accepted"] == 1
    [row] = consumption(payg, "subscriptions/az1")
    assert (row["quantity"], row["cost"]) == ("0.1", "2.00")


MALFORMED = [
    (b"{not json", "invalid_json", None),
    (b'{"records": [], "extra": 1}', "unknown_parameter", "extra"),
    (b'{"records": {}}', "invalid_field", "records"),
    (b"[1, 2]", "invalid_request", None),
]


def test_malformed_json(payg: TestClient) -> None:
    for body, code, param in MALFORMED:
        response = payg.post("/v1/subscriptions/az1/usage", content=body,
                             headers={"Content-Type": "application/json"})
        _refused(response, code, param)


BAD_CSV = [
    ("id,date,meter,quantity,cost\nr,2024-08-21,vm,1,0\n", "invalid_csv_header", "line 1"),
    ("", "invalid_csv_header", "line 1"),
    (HEADER + "r1,2024-08-21,vm,usage,1,0\nr2,2024-08-21,vm,usage,1\n", "invalid_csv_line",
     "line 3"),
    (HEADER + 'r1,2024-08-21,vm,usage,1,0\n"r2,2024-08-21,vm,usage,1,0\n', "invalid_csv_line",
     "line 3"),
    (HEADER + "r1,2024-08-21,vm,usage,1,0\nr2,2024-08-21,gpu,usage,1,0\n", "unknown_meter",
     "line 3"),
    (HEADER + "r1,2024-08-21,vm,usage,-1,0\n", "invalid_amount", "line 2"),
    (HEADER + "\n\nr1,2024-08-21,vm,spot,1,0\n", "invalid_category", "line 4"),
]


def test_bad_csv(payg: TestClient) -> None:
    for text, code, param in BAD_CSV:
        _refused(post_csv(payg, text), code, param)
    assert consumption(payg, "subscriptions/az1") == []


def test_bad_utf8_names_the_line(payg: TestClient) -> None:
    _refused(post_csv(payg, HEADER.encode() + b"r1,2024-08-21,vm,usage,1,0\nr\xff,x\n"),
             "invalid_csv_line", "line 3")


def test_a_20mb_line_is_refused(payg: TestClient) -> None:
    # Memory bounded: the line is refused after its first MAX_LINE bytes are seen
    body = HEADER.encode() + b"r1,2024-08-21,vm,usage,1,0\n" + b"x" * (20 << 20) + b"\n"
    _refused(post_csv(payg, body), "line_too_long", "line 3")
    assert consumption(payg, "subscriptions/az1") == []


def test_not_payg_and_missing(api: TestClient) -> None:
    ok(api.post("/v1/products", json={"id": "m365", "name": "Microsoft 365"}))
    ok(api.post("/v1/plans", json=seats_plan("basic", "monthly", "6.00")))
    ok(api.post("/v1/customers", json={"id": "acme", "name": "Acme"}))
    ok(api.post("/v1/subscriptions", json={"id": "m1", "customer": "acme", "plan": "basic",
                                           "resources": {"seats": 1}}))
    _refused(post_usage(api, [GOOD], "m1"), "not_payg", None)
    assert post_usage(api, [GOOD], "nope").status_code == 404
    assert api.get("/v1/subscriptions/nope/consumption").status_code == 404
    assert api.get("/v1/customers/nope/consumption").status_code == 404


def test_idempotency_key_replays(payg: TestClient) -> None:
    # SPEC S12: a repeat with the key answers the first response
    headers = {"Idempotency-Key": "imp-1"}
    first = payg.post("/v1/subscriptions/az1/usage", json={"records": [GOOD]}, headers=headers)
    again = payg.post("/v1/subscriptions/az1/usage", json={"records": [GOOD]}, headers=headers)
    assert ok(first)["accepted"] == 1
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other = payg.post("/v1/subscriptions/az1/usage",
                      json={"records": [GOOD, rec("b", "2024-08-21")]}, headers=headers)
    assert other.status_code == 409


def test_consumption_processed_event(payg: TestClient) -> None:
    # SPEC B4 / R2: the customer's managers are told when an import is processed
    answer = ok(post_usage(payg, [GOOD, rec("b", "2024-08-22"), GOOD]))
    events = ok(payg.get("/v1/events", params={"type": "consumption_processed"}))["data"]
    assert len(events) == 1
    event = events[0]
    assert (event["customer"], event["subscription"]) == ("acme", "az1")
    assert event["data"] == {"import": answer["id"], "records": 3, "accepted": 2,
                             "duplicates": 1, "first_date": "2024-08-21",
                             "last_date": "2024-08-22"}
