"""Events through the API (SPEC R2, R3, R4): a whole life on the test clock emits each
subscription event once, however often the daily run repeats a day, and `GET /v1/events`
lists them newest first, filtered and paginated."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from fastapi.testclient import TestClient

from prorata import scheduler
from tests.e2e.conftest import error_of
from tests.e2e.lifecycle import buy, clock, ok, op, seats_plan, setup
from tests.e2e.notifying import all_events

SUBSCRIPTION_TYPES = {"subscription_expiring", "renewal_order_created", "subscription_renewed",
                      "subscription_expired", "subscription_stopped", "subscription_deleted"}


def _life(api: TestClient) -> None:
    setup(api, seats_plan("basic", "monthly", "6.00",
                          settings={"auto_renewal_point": 3, "expired_renewal_days": 5}))
    buy(api, "basic", 5)
    ok(api.post("/v1/subscriptions", json={"id": "sub2", "customer": "acme", "plan": "basic",
                                           "resources": {"seats": 1}}))
    ok(op(api, {"type": "stop"}, sub="sub2"))
    clock(api, "2025-08-21")                       # expiring, order, renewed
    ok(api.patch("/v1/subscriptions/sub1", json={"auto_renew": False}))
    clock(api, "2026-08-31")                       # expiring, expired, deleted


def test_a_life_emits_every_subscription_event_once_even_when_days_rerun(api: TestClient):
    # SPEC R2/R4, S12: every type once per occasion; running the daily run again over days
    # already done (as a second process would) emits nothing more.
    _life(api)
    first = all_events(api)
    database = api.app.state.database  # type: ignore[attr-defined]
    for day in (date(2025, 8, 5), date(2025, 8, 17), date(2025, 8, 20), date(2026, 8, 5),
                date(2026, 8, 20), date(2026, 8, 25)):
        scheduler.run_day(database, day)
        scheduler.run_day(database, day)
    assert all_events(api) == first
    first = [e for e in first if e["type"] in SUBSCRIPTION_TYPES]  # not the invoices' (B2)
    by_sub = Counter((e["subscription"], e["type"]) for e in first)
    assert by_sub == Counter({
        ("sub1", "subscription_expiring"): 2, ("sub1", "renewal_order_created"): 1,
        ("sub1", "subscription_renewed"): 1, ("sub1", "subscription_expired"): 1,
        ("sub1", "subscription_deleted"): 1, ("sub2", "subscription_stopped"): 1,
        ("sub2", "subscription_deleted"): 1})  # stopped_retention_days (90) before it expires
    assert ("sub2", "subscription_deleted", "2024-11-18") in {
        (e["subscription"], e["type"], e["created_on"]) for e in first}
    assert {e["type"] for e in first} == SUBSCRIPTION_TYPES
    days = {(e["subscription"], e["type"], e["created_on"]) for e in first}
    assert ("sub1", "subscription_expiring", "2025-08-05") in days   # R4: 14 days before
    assert ("sub1", "renewal_order_created", "2025-08-16") in days   # S5.2: 3 days before
    assert ("sub1", "subscription_renewed", "2025-08-20") in days
    assert ("sub1", "subscription_expired", "2026-08-20") in days
    assert ("sub1", "subscription_deleted", "2026-08-25") in days
    expiring = [e for e in first if e["type"] == "subscription_expiring"
                and e["subscription"] == "sub1"]
    assert [e["data"]["auto_renew"] for e in expiring] == [False, True]  # newest first


def test_events_are_listed_newest_first_with_filters_and_pages(api: TestClient):
    _life(api)
    every = all_events(api)
    assert [e["created_on"] for e in every] == sorted((e["created_on"] for e in every),
                                                      reverse=True)
    assert set(every[0]) == {"id", "object", "type", "created_on", "created_at", "customer",
                             "subscription", "data"}
    assert every[0]["created_at"].endswith("Z")
    page = ok(api.get("/v1/events", params={"limit": 2}))
    assert page["has_more"] and [e["id"] for e in page["data"]] == [e["id"] for e in every[:2]]
    after = ok(api.get("/v1/events", params={"limit": 2, "starting_after": every[1]["id"]}))
    assert [e["id"] for e in after["data"]] == [e["id"] for e in every[2:4]]
    stopped = all_events(api, type="subscription_stopped")
    assert [(e["subscription"], e["data"]["reason"]) for e in stopped] == [("sub2", "requested")]
    assert {e["subscription"] for e in all_events(api, subscription="sub2")} == {"sub2"}
    assert len(all_events(api, customer="acme")) == len(every)
    assert all_events(api, customer="nobody") == []
    assert all_events(api, subscription="bad id!") == []
    one = ok(api.get(f"/v1/events/{every[0]['id']}"))
    assert one == every[0]
    assert api.get("/v1/events/evt_missing").status_code == 404


def test_an_unknown_event_type_is_a_clear_400(api: TestClient):
    response = api.get("/v1/events", params={"type": "subscription_exploded"})
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["param"]) == ("unknown_event_type", "type")
    assert "subscription_expiring" in str(error["message"])


def test_the_expiry_notice_follows_the_plan_setting(api: TestClient):
    # SPEC R4: expiry_notice_days is a plan setting (default 14), shown resolved.
    setup(api)
    plan = ok(api.post("/v1/plans", json=seats_plan("thirty", "long_term", "60.00",
                                                    settings={"expiry_notice_days": 30})))
    assert plan["settings"]["expiry_notice_days"] == 30
    ok(api.post("/v1/subscriptions", json={"id": "s30", "customer": "acme", "plan": "thirty",
                                           "resources": {"seats": 1}, "auto_renew": False}))
    notice = date(2025, 8, 19) - timedelta(days=30)
    clock(api, (notice - timedelta(days=1)).isoformat())
    assert all_events(api, type="subscription_expiring") == []
    clock(api, notice.isoformat())
    [event] = all_events(api, type="subscription_expiring")
    assert event["data"]["days_left"] == 30 and event["data"]["auto_renew"] is False
    bad = api.patch("/v1/plans/thirty", json={"settings": {"expiry_notice_days": -1}})
    assert bad.status_code == 400
