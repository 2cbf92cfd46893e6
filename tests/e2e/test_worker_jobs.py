"""The worker runs every registered job (prorata.worker.jobs.JOBS): one round of
POST /v1/test/worker delivers a waiting webhook (SPEC R3) and completes a refund the gateway
left pending (SPEC B3), besides the vendor calls."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from prorata.adapters.payments.registry import Gateways
from prorata.api import create_app
from prorata.domain.clock import TestClock
from prorata.worker.jobs import JOBS
from tests.dbfixtures import truncate_all
from tests.e2e.conftest import OPERATOR_KEY, START, error_of
from tests.e2e.lifecycle import buy, ok, op, seats_plan, setup
from tests.e2e.vendorlife import work
from tests.receivers import webhook_receiver
from tests.unit.test_gateways import Flaky


def test_the_registry_names_the_three_jobs():
    assert list(JOBS) == ["vendors", "deliveries", "refunds"]


def test_one_round_delivers_a_webhook(api):
    # SPEC R3 through the worker: the event of a stop is delivered by the test worker's round.
    setup(api, seats_plan("basic", "monthly", "6.00"))
    buy(api, "basic", 5)
    with webhook_receiver() as receiver:
        ok(api.post("/v1/webhook-endpoints", json={"url": receiver.url,
                                                   "events": ["subscription_stopped"]}))
        ok(op(api, {"type": "stop"}))
        assert receiver.requests == []
        assert work(api) == 1
        assert len(receiver.requests) == 1
        assert work(api) == 0  # delivered once


def test_one_round_completes_a_pending_refund(e2e_databases, db_kind):
    # SPEC B3: a refund the gateway could not answer is completed by the worker, once.
    database = e2e_databases.get(db_kind)
    truncate_all(database.engine)
    flaky = Flaky({})
    app = create_app(database, TestClock(date.fromisoformat(START)), OPERATOR_KEY, True,
                     Gateways({"manual": flaky}))
    with TestClient(app, raise_server_exceptions=False) as api:
        api.headers["Authorization"] = f"Bearer {OPERATOR_KEY}"
        ok(api.post("/v1/customers", json={"id": "acme", "name": "Acme Ltd"}))
        paid = ok(api.post("/v1/customers/acme/payments", json={"amount": "30.00"}))
        flaky.mode = "crash"
        pending = api.post(f"/v1/payments/{paid['id']}/refunds", json={"amount": "20.00"})
        assert pending.status_code < 500, pending.text
        assert ok(api.get(f"/v1/payments/{paid['id']}"))["refunds"][0]["status"] == "pending"
        flaky.mode = "ok"
        assert work(api) == 1
        [refund] = ok(api.get(f"/v1/payments/{paid['id']}"))["refunds"]
        assert refund["status"] == "succeeded"
        assert flaky.calls[0] == flaky.calls[-1]  # the same idempotency key
        assert work(api) == 0


def test_the_test_worker_is_for_the_operator_on_the_test_clock(client_factory, db_kind):
    # API.md: operator only, test clock only; 404 otherwise, like the clock.
    real = client_factory(db_kind, test_clock=None)
    assert real.post("/v1/test/worker", json={}).status_code == 404
    api = client_factory(db_kind)
    assert ok(api.post("/v1/test/worker", json={})) == {"processed": 0}
    bad = api.post("/v1/test/worker", json={"rounds": 0})
    assert bad.status_code == 400
    assert error_of(api.post("/v1/test/worker", json={"rounds": 1, "x": 1}))["code"]


def test_a_real_server_runs_the_worker_in_the_background(client_factory, db_kind, monkeypatch):
    # Issue 8: the worker runs inside `prorata serve`, and stops with it.
    import threading

    from prorata.api import app as app_module

    started = threading.Event()

    def fake_run_forever(database, clock, gateways, stop):
        started.set()
        stop.wait()

    monkeypatch.setattr(app_module, "run_forever", fake_run_forever)
    client_factory(db_kind, test_clock=None)
    assert started.wait(10)
