"""A life on the `simulated` connector with delays and failures, over HTTP on the test clock
(SPEC S1, V1-V5; API.md "Vendor connectors")."""

from __future__ import annotations

from decimal import Decimal

from tests.e2e.conftest import error_of
from tests.e2e.lifecycle import buy, charges, clock, ok, op, sub
from tests.e2e.vendorlife import event_types, history, setup_vendor, work


def _net(api, operation_id):
    return sum(Decimal(ln["amount"]) for ln in charges(api) if ln["operation"] == operation_id)


def test_a_life_with_delays_and_a_failure(api):
    # SPEC S1, V1, V2: transitional while pending, stable on completion, reversed on failure.
    setup_vendor(api, {"connector": "simulated",
                       "settings": {"polls": 2, "fail": ["change_resources"],
                                    "message": "no licenses left at the vendor"}})
    bought = buy(api, "basic", 5)
    assert bought["status"] == "activating"
    assert bought["available_operations"] == []
    refused = op(api, {"type": "change_resources", "resources": {"seats": 6}})
    assert error_of(refused)["code"] == "subscription_busy"  # SPEC S1
    assert [o["status"] for o in history(api)] == ["provisioning"]
    assert work(api) == 0            # round 1: the vendor took the order, still working
    assert sub(api)["status"] == "activating"
    assert work(api) == 1            # round 2: done
    assert sub(api)["status"] == "active"
    assert history(api)[0]["status"] == "completed"
    paid_before = sum(Decimal(ln["amount"]) for ln in charges(api))

    changed = ok(op(api, {"type": "change_resources", "resources": {"seats": 8}}))
    assert changed["status"] == "provisioning"
    assert Decimal(changed["amount"]) > 0  # charged when accepted (API.md)
    assert sub(api)["status"] == "updating"
    assert work(api, rounds=2) == 1
    failed = history(api)[0]
    assert failed["status"] == "failed"
    assert failed["error"] == {"code": "vendor_failed",
                               "message": "no licenses left at the vendor"}
    after = sub(api)
    assert after["status"] == "active" and after["resources"] == {"seats": 5}  # SPEC V2
    refunds = [ln for ln in charges(api) if ln["operation"] == changed["id"]
               and ln["kind"] == "refund"]
    assert refunds and _net(api, changed["id"]) == 0  # reversed exactly
    assert sum(Decimal(ln["amount"]) for ln in charges(api)) == paid_before
    assert "vendor_operation_failed" in event_types(api)

    ok(op(api, {"type": "stop"}))
    assert sub(api)["status"] == "stopping"
    assert "subscription_stopped" not in event_types(api)  # told when the vendor is done
    work(api, rounds=2)
    assert sub(api)["status"] == "stopped"
    assert "subscription_stopped" in event_types(api)
    ok(op(api, {"type": "activate"}))
    assert sub(api)["status"] == "activating"
    work(api, rounds=2)
    assert sub(api)["status"] == "active"
    assert work(api) == 0  # nothing left


def test_answer_in_the_request_and_purchase_failure(api):
    # SPEC V3: polls 0 answers at once; a failed purchase leaves no live subscription.
    setup_vendor(api, {"connector": "simulated", "settings": {"polls": 0, "fail": ["purchase"]}})
    bought = buy(api, "basic", 3)
    assert bought["status"] == "deleted"
    purchase = history(api)[0]
    assert purchase["type"] == "purchase" and purchase["status"] == "failed"
    assert purchase["error"]["code"] == "vendor_failed"
    assert _net(api, purchase["id"]) == 0
    assert work(api) == 0


def test_the_time_limit_fails_the_operation(api):
    # SPEC V4: after vendor_timeout_hours the operation fails and is reversed.
    setup_vendor(api, {"connector": "simulated",
                       "settings": {"polls": 1000, "vendor_timeout_hours": 24}})
    buy(api, "basic", 2)
    work(api, rounds=3)
    assert sub(api)["status"] == "activating"
    clock(api, "2024-08-22")
    assert work(api) == 1
    purchase = history(api)[0]
    assert purchase["status"] == "failed" and "time limit" in purchase["error"]["message"]
    assert sub(api)["status"] == "deleted"
    assert _net(api, purchase["id"]) == 0


def test_seeded_failure_rate_is_deterministic(api):
    # SPEC V3: the same seed gives the same failures.
    setup_vendor(api, {"connector": "simulated",
                       "settings": {"polls": 1, "failure_rate": 0.5, "seed": 7}})
    for n in range(6):
        buy_body = {"id": f"s{n}", "customer": "acme", "plan": "basic",
                    "resources": {"seats": 1}}
        ok(api.post("/v1/subscriptions", json=buy_body))
    assert work(api) == 6
    first = [sub(api, f"s{n}")["status"] for n in range(6)]
    assert set(first) == {"active", "deleted"}  # seed 7 draws both outcomes for these ids


def test_connectors_and_bad_vendor_settings(api):
    # SPEC V1: unknown connector and bad settings are 400s, never 5xx.
    names = [c["name"] for c in ok(api.get("/v1/connectors"))["data"]]
    assert {"instant", "simulated"} <= set(names)
    unknown = api.post("/v1/products", json={"name": "X", "vendor": "nope"})
    assert unknown.status_code == 400 and error_of(unknown)["code"] == "unknown_connector"
    for settings in ({"polls": -1}, {"polls": "x"}, {"failure_rate": 2}, {"fail": ["fly"]},
                     {"bogus": 1}, {"vendor_timeout_hours": 0}, {"message": ""}):
        bad = api.post("/v1/products", json={"name": "X", "vendor": {
            "connector": "simulated", "settings": settings}})
        assert bad.status_code == 400, settings
        assert error_of(bad)["code"] == "invalid_connector_settings"
    bad = api.post("/v1/products", json={"name": "X", "vendor": {"connector": "instant",
                                                                  "settings": {"a": 1}}})
    assert error_of(bad)["code"] == "invalid_connector_settings"
    made = ok(api.post("/v1/products", json={"name": "Y", "vendor": {
        "connector": "simulated", "settings": {"polls": 3}}}))
    assert made["vendor"] == "simulated" and made["vendor_settings"] == {"polls": 3}


def test_a_subscription_transitional_over_a_billing_day_is_prolonged_once_active(api):
    # SPEC S1 + S7: the daily run leaves a busy subscription alone; once the vendor is done,
    # the billing months it missed are charged (it is scheduled again).
    setup_vendor(api, {"connector": "simulated",
                       "settings": {"polls": 2, "vendor_timeout_hours": 24 * 30}})
    buy(api, "basic", 4)
    clock(api, "2024-09-02")  # the billing day passes while the vendor works
    assert sub(api)["status"] == "activating"
    work(api, rounds=2)
    assert sub(api)["status"] == "active"
    clock(api, "2024-10-02")
    starts = sorted(ln["period_start"] for ln in charges(api) if ln["kind"] == "charge")
    assert starts == ["2024-08-20", "2024-09-01", "2024-10-01"]


def _renewal_day(api):
    """Runs the clock to the day after `expires_on`: the auto-renewal order takes effect."""
    from datetime import date, timedelta

    expires = date.fromisoformat(sub(api)["expires_on"])
    clock(api, (expires + timedelta(days=1)).isoformat())
    return expires


def test_the_daily_run_renews_through_the_vendor(api):
    # SPEC V4, S1: the scheduler's renewal is `renewing` until the worker has the answer.
    setup_vendor(api, {"connector": "simulated", "settings": {"polls": 1}})
    buy(api, "basic", 5)
    work(api, rounds=2)
    expires = _renewal_day(api)
    assert sub(api)["status"] == "renewing"
    assert "subscription_renewed" not in event_types(api)
    assert work(api, rounds=2) == 1
    renewed = sub(api)
    assert renewed["status"] == "active" and renewed["expires_on"] > expires.isoformat()
    assert "subscription_renewed" in event_types(api)


def test_a_renewal_the_vendor_refuses_is_reversed_and_expires(api):
    # SPEC V2 for a renewal (docs/design/vendors.md): order dropped, charge reversed, expired.
    from datetime import date, timedelta

    setup_vendor(api, {"connector": "simulated",
                       "settings": {"polls": 1, "fail": ["renew"], "message": "no stock"}})
    buy(api, "basic", 5)
    work(api, rounds=2)
    expires = _renewal_day(api)
    renewal = next(o for o in history(api) if o["type"] == "renew")
    assert renewal["status"] == "provisioning"
    assert work(api, rounds=2) == 1
    failed = next(o for o in history(api) if o["id"] == renewal["id"])
    assert failed["error"] == {"code": "vendor_failed", "message": "no stock"}
    assert _net(api, renewal["id"]) == 0
    clock(api, (expires + timedelta(days=2)).isoformat())
    assert sub(api)["status"] == "expired"
    assert date.fromisoformat(sub(api)["expires_on"]) == expires
