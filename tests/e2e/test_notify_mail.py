"""E-mail through a real SMTP server started by the test (aiosmtpd; SPEC R2, API.md: with
PRORATA_SMTP_URL every event is mailed to the customer's `email`, rendered from its
template): multipart text + HTML, the applicable template, manager events to the reseller,
nothing without an address, retries when the server is down."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from prorata.domain.model import Event
from prorata.notify.config import NotifyConfig
from tests.e2e.lifecycle import buy, ok, op, seats_plan, setup
from tests.e2e.notifying import worker_round
from tests.receivers import smtp_server


def _shop(api: TestClient, email: str | None = "it@acme.example") -> None:
    setup(api, seats_plan("basic", "monthly", "6.00"))
    ok(api.patch("/v1/customers/acme", json={"name": "Acme <b>Ltd</b>", "email": email}))
    buy(api, "basic", 5)


def test_an_event_is_mailed_to_the_customer_as_text_and_html(api: TestClient):
    _shop(api)
    ok(api.put("/v1/templates/subscription_stopped", json={
        "subject": "Stopped: {{ subscription.id }}",
        "body": "Dear {{ customer.name }},\n\nstopped on {{ data.stopped_on }}.\nBye"}))
    ok(op(api, {"type": "stop"}))
    with smtp_server() as box:
        assert worker_round(api, smtp_url=box.url, mail_from="Shop <shop@example.com>") == 1
        assert worker_round(api, smtp_url=box.url) == 0  # once
    [msg] = box.messages
    assert box.envelopes == [("shop@example.com", ["it@acme.example"])]
    assert (msg["Subject"], msg["To"]) == ("Stopped: sub1", "it@acme.example")
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")  # SMTP lines
    html = msg.get_body(("html",)).get_content()
    assert text == "Dear Acme <b>Ltd</b>,\n\nstopped on 2024-08-20.\nBye\n"
    assert "<p>Dear Acme &lt;b&gt;Ltd&lt;/b&gt;,</p>" in html and "<br>" in html
    assert msg["Message-ID"].startswith("<msg_")


def test_no_address_no_mail_and_no_smtp_no_mail(api: TestClient):
    _shop(api, email=None)
    ok(op(api, {"type": "stop"}))
    with smtp_server() as box:
        assert worker_round(api, smtp_url=box.url) == 0
    assert box.messages == []
    ok(api.patch("/v1/customers/acme", json={"email": "it@acme.example"}))
    ok(op(api, {"type": "activate"}))
    ok(op(api, {"type": "stop"}))
    assert worker_round(api) == 0  # no PRORATA_SMTP_URL: no e-mail deliveries at all


def test_manager_events_go_to_the_nearest_resellers_address(api: TestClient):
    # Seed 003 / SPEC B4: managers are told when consumption is processed.
    setup(api)
    ok(api.post("/v1/resellers", json={"id": "nw", "name": "Northwind",
                                       "email": "billing@nw.example"}))
    ok(api.post("/v1/resellers", json={"id": "nw-east", "name": "NW East", "parent": "nw"}))
    ok(api.post("/v1/customers", json={"id": "east", "name": "East Co", "reseller": "nw-east",
                                       "email": "it@east.example"}))
    database = api.app.state.database  # type: ignore[attr-defined]
    with database.uow() as uow:  # as the usage import will emit it
        uow.add_events([Event("consumption_processed", {"month": "2024-08-01", "records": 3},
                              customer="east", created_on=date(2024, 8, 20))])
        uow.commit()
    with smtp_server() as box:
        worker_round(api, smtp_url=box.url)
    [msg] = box.messages
    assert msg["To"] == "billing@nw.example"
    assert "East Co (east)" in msg.get_body(("plain",)).get_content()


def test_a_server_that_is_down_is_retried(api: TestClient):
    _shop(api)
    ok(op(api, {"type": "stop"}))
    with smtp_server() as box:
        down = box.url.rsplit(":", 1)[0] + ":1"
        assert worker_round(api, smtp_url=down) == 1
        assert box.messages == []
        assert worker_round(api, smtp_url=box.url) == 1
        assert worker_round(api, smtp_url=box.url) == 0
    assert len(box.messages) == 1


def test_smtp_url_from_the_environment(monkeypatch):
    monkeypatch.setenv("PRORATA_SMTP_URL", "smtp://mail.example:2525")
    monkeypatch.setenv("PRORATA_WEBHOOK_TIMEOUT", "2.5")
    config = NotifyConfig.from_env()
    assert (config.smtp_url, config.http_timeout) == ("smtp://mail.example:2525", 2.5)
