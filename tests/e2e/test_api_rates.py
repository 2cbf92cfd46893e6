"""Exchange rates over HTTP (SPEC T6)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import error_of

RATE = {"from": "EUR", "to": "USD", "rate": "1.0850", "effective_from": "2024-01-01"}


def test_add_rate(api: TestClient) -> None:
    # SPEC T6: the operator's exchange rate effective on a date
    response = api.post("/v1/exchange-rates", json=RATE)
    assert response.status_code == 200
    assert response.json() == {"object": "exchange_rate", "from": "EUR", "to": "USD",
                               "rate": "1.085", "effective_from": "2024-01-01"}


def test_rate_with_ten_places_and_later_dates(api: TestClient) -> None:
    assert api.post("/v1/exchange-rates", json={**RATE, "rate": "0.1234567891"}).status_code \
        == 200
    later = api.post("/v1/exchange-rates", json={**RATE, "effective_from": "2024-06-01"})
    assert later.status_code == 200


def test_same_pair_and_day_twice_is_resource_exists(api: TestClient) -> None:
    # Rates are added, never edited: a rate already used must keep explaining its charges.
    api.post("/v1/exchange-rates", json=RATE)
    response = api.post("/v1/exchange-rates", json={**RATE, "rate": "2"})
    assert response.status_code == 409
    error = error_of(response)
    assert (error["code"], error["param"]) == ("resource_exists", "effective_from")


@pytest.mark.parametrize(("change", "param"), [
    ({"rate": "0"}, "rate"),
    ({"rate": "-1.2"}, "rate"),
    ({"rate": "0.12345678901"}, "rate"),  # 11 places
    ({"rate": 1.085}, "rate"),             # a float is inexact money (T5)
    ({"rate": "abc"}, "rate"),
    ({"rate": None}, "rate"),
    ({"from": "EURO"}, "from"),
    ({"to": "EUR"}, "to"),                 # same currency
    ({"to": None}, "to"),
    ({"effective_from": "2024-13-01"}, "effective_from"),
    ({"effective_from": "yesterday"}, "effective_from"),
    ({"effective_from": 20240101}, "effective_from"),
])
def test_invalid_rates(api: TestClient, change: dict[str, object], param: str) -> None:
    response = api.post("/v1/exchange-rates", json={**RATE, **change})
    assert response.status_code == 400, response.json()
    assert error_of(response)["param"] == param
