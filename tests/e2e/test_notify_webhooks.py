"""Webhooks through the API and the worker (SPEC R2, R3; API.md "Notifications"): endpoints
with a secret shown once, Standard Webhooks signatures checked with the specification's
algorithm, retries with back-off under one webhook-id, the delivery log, time-outs, event
filters, disabling an endpoint that keeps failing, and URL checks that answer 4xx."""

from __future__ import annotations

import base64
import json

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import error_of
from tests.e2e.lifecycle import buy, clock, ok, op, seats_plan, setup
from tests.e2e.notifying import signature_ok, worker_round
from tests.receivers import webhook_receiver


def _shop(api: TestClient) -> None:
    setup(api, seats_plan("basic", "monthly", "6.00"))
    buy(api, "basic", 5)


def _deliveries(api: TestClient, endpoint: str) -> list[dict]:
    return ok(api.get(f"/v1/webhook-endpoints/{endpoint}/deliveries",
                      params={"limit": 100}))["data"]


def test_a_signed_delivery_per_event_with_the_secret_shown_once(api: TestClient):
    # API.md: {id, url, events, secret: whsec_…} once; Standard Webhooks body and headers.
    _shop(api)
    with webhook_receiver() as receiver:
        created = ok(api.post("/v1/webhook-endpoints", json={"url": receiver.url},
                              headers={"Idempotency-Key": "hook-1"}))
        secret = created["secret"]
        assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
        assert created["events"] == [] and created["enabled"] is True
        replay = ok(api.post("/v1/webhook-endpoints", json={"url": receiver.url},
                             headers={"Idempotency-Key": "hook-1"}))
        assert replay["id"] == created["id"] and replay["secret"] is None  # shown once
        assert "secret" not in ok(api.get(f"/v1/webhook-endpoints/{created['id']}"))
        ok(op(api, {"type": "stop"}))
        assert worker_round(api) == 1
        [request] = receiver.requests
    assert signature_ok(request, secret)
    assert not signature_ok(request, "whsec_" + base64.b64encode(b"x" * 32).decode())
    payload = json.loads(request.body)
    assert set(payload) == {"type", "timestamp", "data"}
    assert payload["type"] == "subscription_stopped"
    assert payload["data"]["subscription"] == "sub1" and payload["data"]["type"] == payload["type"]
    assert request.headers["webhook-id"].startswith("msg_")
    [delivery] = _deliveries(api, created["id"])
    assert delivery["id"] == request.headers["webhook-id"]
    assert (delivery["status"], delivery["attempts"], delivery["type"]) == \
        ("succeeded", 1, "subscription_stopped")
    assert worker_round(api) == 0  # delivered once


def test_failures_are_retried_under_one_webhook_id_with_back_off(api: TestClient):
    # SPEC R3: a non-2xx answer is retried; every retry is the same delivery (webhook-id),
    # and the log keeps every attempt.
    _shop(api)
    with webhook_receiver(statuses=[500, 503]) as receiver:
        endpoint = ok(api.post("/v1/webhook-endpoints", json={"url": receiver.url}))
        ok(op(api, {"type": "stop"}))
        assert worker_round(api, force=False) == 1
        assert worker_round(api, force=False) == 0  # backing off: not due yet
        [delivery] = _deliveries(api, endpoint["id"])
        assert delivery["status"] == "pending" and delivery["next_attempt_at"] is not None
        assert worker_round(api) == 1  # forced: the back-off is skipped
        assert worker_round(api) == 1
        assert worker_round(api) == 0
        ids = {r.headers["webhook-id"] for r in receiver.requests}
        stamps = [r.headers["webhook-timestamp"] for r in receiver.requests]
        assert len(receiver.requests) == 3 and len(ids) == 1
        assert all(signature_ok(r, endpoint["secret"]) for r in receiver.requests)
        assert stamps == sorted(stamps)
    [delivery] = _deliveries(api, endpoint["id"])
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 3
    assert [(a["attempt"], a["status_code"]) for a in delivery["log"]] == [
        (1, 500), (2, 503), (3, 200)]
    assert delivery["log"][0]["error"].startswith("HTTP 500")


def test_a_receiver_that_does_not_answer_in_time_is_a_failure(api: TestClient):
    _shop(api)
    with webhook_receiver(delay=1.5) as receiver:
        endpoint = ok(api.post("/v1/webhook-endpoints", json={"url": receiver.url}))
        ok(op(api, {"type": "stop"}))
        worker_round(api, http_timeout=0.3)
    [delivery] = _deliveries(api, endpoint["id"])
    assert delivery["status"] == "pending" and delivery["log"][0]["error"] == "timed out"


def test_an_endpoint_that_keeps_failing_is_disabled_until_enabled_again(api: TestClient):
    _shop(api)
    with webhook_receiver(statuses=[500] * 4) as receiver:
        endpoint = ok(api.post("/v1/webhook-endpoints", json={"url": receiver.url}))
        ok(op(api, {"type": "stop"}))
        for _ in range(3):
            worker_round(api, disable_after=3, disable_after_hours=0)
        found = ok(api.get(f"/v1/webhook-endpoints/{endpoint['id']}"))
        assert found["enabled"] is False and "3 failed attempts" in found["disabled_reason"]
        ok(op(api, {"type": "activate"}))
        ok(op(api, {"type": "stop"}))
        assert worker_round(api) == 0  # paused: nothing sent, nothing lost
        again = ok(api.patch(f"/v1/webhook-endpoints/{endpoint['id']}", json={"enabled": True}))
        assert again["enabled"] is True and again["disabled_reason"] is None
        assert worker_round(api) == 2  # the old delivery (one more 500) and the new stop
        assert worker_round(api) == 1
    assert [d["status"] for d in _deliveries(api, endpoint["id"])] == ["succeeded"] * 2


def test_an_event_filter_and_a_deleted_endpoint(api: TestClient):
    _shop(api)
    with webhook_receiver() as receiver:
        only = ok(api.post("/v1/webhook-endpoints",
                           json={"url": receiver.url, "events": ["subscription_deleted"]}))
        gone = ok(api.post("/v1/webhook-endpoints", json={"url": receiver.url + "/gone"}))
        ok(op(api, {"type": "stop"}))
        deleted = ok(api.delete(f"/v1/webhook-endpoints/{gone['id']}"))
        assert deleted["deleted"] is True
        assert api.get(f"/v1/webhook-endpoints/{gone['id']}").status_code == 404
        ok(op(api, {"type": "activate"}))
        ok(op(api, {"type": "delete"}))
        worker_round(api)
        assert [json.loads(r.body)["type"] for r in receiver.requests] == \
            ["subscription_deleted"]
        assert {r.path for r in receiver.requests} == {"/hooks"}
    listed = ok(api.get("/v1/webhook-endpoints"))["data"]
    assert [e["id"] for e in listed] == [only["id"]]


@pytest.mark.parametrize("url,code", [
    ("ftp://127.0.0.1/x", "invalid_url"),
    ("not a url", "invalid_url"),
    ("http://", "invalid_url"),
    ("http://127.0.0.1:99999/", "invalid_url"),
    pytest.param("https://" + "a" * 2100 + ".example/", "invalid_url", id="too-long"),
    ("http://no-such-host.invalid/hooks", "url_unreachable"),
    ("http://0.0.0.0/hooks", "url_not_allowed"),
])
def test_bad_urls_are_a_clear_400(api: TestClient, url: str, code: str):
    response = api.post("/v1/webhook-endpoints", json={"url": url})
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert (error["code"], error["param"]) == (code, "url")


def test_the_operator_may_block_private_networks(api: TestClient):
    # API.md: loopback receivers are allowed unless the operator blocks private ranges.
    assert ok(api.get("/v1/settings/webhooks"))["block_private_networks"] is False
    ok(api.post("/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/ok"}))
    ok(api.put("/v1/settings/webhooks", json={"block_private_networks": True}))
    for url in ("http://127.0.0.1:9/x", "http://10.1.2.3/x", "http://[::1]/x",
                "http://192.168.0.10/x", "http://localhost:9/x"):
        response = api.post("/v1/webhook-endpoints", json={"url": url})
        assert error_of(response)["code"] == "url_not_allowed", url
    _shop(api)
    ok(op(api, {"type": "stop"}))
    worker_round(api)  # the endpoint saved before: refused at delivery time too
    [endpoint] = ok(api.get("/v1/webhook-endpoints"))["data"]
    [delivery] = _deliveries(api, endpoint["id"])
    assert delivery["status"] == "pending" and "blocks" in delivery["last_error"]


def test_bad_input_changes_nothing_and_is_never_a_5xx(api: TestClient):
    cases = [
        ({"url": "http://127.0.0.1:9/", "events": ["nope"]}, "unknown_event_type",
         "events[0]"),
        ({"url": "http://127.0.0.1:9/", "reseller": "nobody"}, "resource_missing", "reseller"),
        ({"url": "http://127.0.0.1:9/", "secret": "mine"}, "unknown_parameter", "secret"),
        ({"url": 5}, "invalid_request", "url"),
    ]
    for body, code, param in cases:
        response = api.post("/v1/webhook-endpoints", json=body)
        assert response.status_code in (400, 404), response.text
        assert (error_of(response)["code"], error_of(response)["param"]) == (code, param)
    assert ok(api.get("/v1/webhook-endpoints"))["data"] == []
    assert api.patch("/v1/webhook-endpoints/we_missing", json={"enabled": True}).status_code \
        == 404
    ok(api.post("/v1/webhook-endpoints", json={"id": "mine", "url": "http://127.0.0.1:9/"}))
    again = api.post("/v1/webhook-endpoints", json={"id": "mine", "url": "http://127.0.0.1:9/"})
    assert again.status_code == 409 and error_of(again)["code"] == "resource_exists"
    bad = api.patch("/v1/webhook-endpoints/mine", json={"enabled": "yes"})
    assert bad.status_code == 400


def test_a_life_delivers_every_event_once(api: TestClient):
    # SPEC R3 end to end: the daily run's events reach the receiver once each, in order.
    setup(api, seats_plan("basic", "monthly", "6.00", settings={"auto_renewal_point": 3}))
    with webhook_receiver() as receiver:
        endpoint = ok(api.post("/v1/webhook-endpoints", json={"url": receiver.url, "events": [
            "subscription_expiring", "renewal_order_created", "subscription_renewed"]}))
        buy(api, "basic", 5)
        clock(api, "2025-08-21")
        worker_round(api)
        worker_round(api)
        payloads = [json.loads(r.body) for r in receiver.requests]
    # Sent several at a time, so not in order: receivers order by the event's own dates.
    kinds = [p["type"] for p in sorted(payloads, key=lambda p: p["data"]["created_on"])]
    assert kinds == ["subscription_expiring", "renewal_order_created", "subscription_renewed"]
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 3
    assert all(signature_ok(r, endpoint["secret"]) for r in receiver.requests)
