"""Health and the test clock (API.md)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

import prorata.scheduler
from tests.e2e.conftest import ClientFactory, error_of


def test_healthz(api: TestClient) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}


def test_clock_starts_on_the_configured_day(client_factory: ClientFactory, db_kind: str) -> None:
    client = client_factory(db_kind, test_clock="2025-02-28")
    assert client.get("/v1/test/clock").json() == {"date": "2025-02-28"}


def test_moving_the_clock_runs_the_scheduler(api: TestClient) -> None:
    response = api.post("/v1/test/clock", json={"date": "2024-09-02"})
    assert response.status_code == 200
    body = response.json()
    assert body["date"] == "2024-09-02"
    assert isinstance(body["report"], dict)
    assert api.get("/v1/test/clock").json() == {"date": "2024-09-02"}
    # Staying on the same day is allowed and runs nothing new.
    assert api.post("/v1/test/clock", json={"date": "2024-09-02"}).status_code == 200


def test_clock_never_goes_back(api: TestClient) -> None:
    response = api.post("/v1/test/clock", json={"date": "2024-08-19"})
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["param"]) == ("clock_backwards", "date")
    assert api.get("/v1/test/clock").json() == {"date": "2024-08-20"}


@pytest.mark.parametrize("date", ["2024-02-30", "tomorrow", "", 20240901, None])
def test_clock_needs_a_date(api: TestClient, date: object) -> None:
    response = api.post("/v1/test/clock", json={"date": date})
    assert response.status_code == 400
    assert error_of(response)["param"] == "date"


def test_clock_refuses_a_jump_of_centuries(api: TestClient) -> None:
    response = api.post("/v1/test/clock", json={"date": "9999-12-31"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "clock_jump_too_large"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_clock_is_hidden_without_a_test_clock(client_factory: ClientFactory, db_kind: str,
                                              method: str) -> None:
    # API.md: 404 unless the test clock is on
    client = client_factory(db_kind, test_clock=None)
    response = client.request(method, "/v1/test/clock", json={"date": "2030-01-01"})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_real_clock_runs_the_scheduler_in_the_background(
        client_factory: ClientFactory, db_kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # With the real clock the server catches up with today at start, then keeps running.
    called = threading.Event()
    days: list[object] = []

    def fake_run_through(database: object, day: object) -> dict[str, object]:
        days.append(day)
        called.set()
        return {}

    monkeypatch.setattr(prorata.scheduler, "run_through", fake_run_through)
    client_factory(db_kind, test_clock=None)
    assert called.wait(10)
    assert days[0] == datetime.now(UTC).date()


def test_test_clock_runs_the_start_day_at_start(
        client_factory: ClientFactory, db_kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    days: list[object] = []
    monkeypatch.setattr(prorata.scheduler, "run_through",
                        lambda database, day: days.append(day) or {})
    client_factory(db_kind, test_clock="2024-08-20")
    assert [str(d) for d in days] == ["2024-08-20"]
