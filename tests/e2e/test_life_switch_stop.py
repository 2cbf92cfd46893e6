"""Seed 002's Bronze → Silver → Gold hosting ladder, and stop/approve/activate/delete, over
HTTP on a moving test clock (SPEC S8, S9, S10, C6)."""

from __future__ import annotations

from decimal import Decimal

from tests.e2e.conftest import error_of
from tests.e2e.lifecycle import buy, charges, clock, money, ok, op, seats_plan, setup, sub

LADDER = [
    seats_plan("bronze", "long_term", "120.00",
               switch_to=[{"plan": "silver", "kind": "upgrade"}]),
    seats_plan("silver", "long_term", "240.00", settings={"upgrade_fee": "10.00",
                                                          "downgrade_fee": "5.00"},
               switch_to=[{"plan": "gold", "kind": "upgrade"},
                          {"plan": "bronze", "kind": "downgrade"}]),
    seats_plan("gold", "long_term", "480.00", settings={"upgrade_fee": "20.00"},
               switch_to=[{"plan": "silver", "kind": "downgrade"}]),
]


def test_upgrade_now_credits_unused_days_and_keeps_the_expiry(api):
    # SPEC S8.2, C6: credit the old plan's unused days, charge the new plan's, add the fee.
    setup(api, *LADDER)
    buy(api, "bronze", 1)  # 2024-08-20 … 2025-08-19, 365 days
    clock(api, "2024-09-19")  # 30 days used, 335 left
    assert error_of(op(api, {"type": "switch_plan", "plan": "gold"}))["code"] == \
        "not_a_switch_target"
    recs = ok(api.get("/v1/subscriptions/sub1/recommendations"))["data"]
    assert [r["plan"] for r in recs] == ["silver"]  # SPEC R1
    body = {"type": "switch_plan", "plan": "silver", "timing": "now"}
    preview = ok(op(api, {**body, "preview": True}))
    done = ok(op(api, body))
    credit = money(Decimal(-120) * 335 / 365)
    charge = money(Decimal(240) * 335 / 365)
    assert done["amount"] == preview["amount"] == str(credit + charge + Decimal("10.00"))
    assert recs[0]["amount"] == done["amount"]
    s = sub(api)
    assert (s["plan"], s["expires_on"]) == ("silver", "2025-08-19")


def test_end_of_cycle_switch_can_be_cancelled_until_its_day(api):
    # SPEC S8.3: scheduled for the renewal, cancellable until its charge is issued.
    setup(api, *LADDER)
    buy(api, "silver", 2)
    scheduled = ok(op(api, {"type": "switch_plan", "plan": "bronze", "timing": "end_of_cycle"}))
    assert (scheduled["status"], scheduled["effective_on"]) == ("scheduled", "2025-08-20")
    assert "cancel_switch" in sub(api)["available_operations"]
    ok(op(api, {"type": "cancel_switch"}))
    assert sub(api)["scheduled_switch"] is None
    ok(op(api, {"type": "switch_plan", "plan": "bronze", "timing": "end_of_cycle"}))
    clock(api, "2025-08-20")
    s = sub(api)
    assert (s["plan"], s["expires_on"], s["status"]) == ("bronze", "2026-08-19", "active")
    assert error_of(op(api, {"type": "cancel_switch"}))["code"] == "no_scheduled_switch"
    last = [c for c in charges(api) if c["period_start"] == "2025-08-20"]
    # the new year on Bronze; the fee is the target's downgrade_fee (S8.2), Bronze has none
    assert [c["amount"] for c in last] == ["240.00"]


def test_stop_waits_for_approval_then_refunds_unused_days(api):
    # SPEC S9: stop_requires_approval; approve performs the stop; activate charges again.
    plan = seats_plan("hosting", "long_term", "365.00",
                      settings={"stop_requires_approval": True})
    setup(api, plan)
    buy(api, "hosting", 1)
    clock(api, "2024-08-30")  # 10 days used of 365
    waiting = ok(op(api, {"type": "stop"}))
    assert waiting["status"] == "waiting_for_approval"
    assert sub(api)["status"] == "active"
    assert error_of(op(api, {"type": "stop"}))["code"] == "stop_pending_approval"
    approved = ok(op(api, {"type": "approve"}))
    assert approved["amount"] == "-355.00"
    assert sub(api)["status"] == "stopped"
    history = ok(api.get("/v1/subscriptions/sub1/operations"))["data"]
    assert [h["status"] for h in history if h["type"] == "stop"] == ["completed"]
    clock(api, "2024-09-09")
    activated = ok(op(api, {"type": "activate"}))
    assert activated["amount"] == "345.00"  # 345 days left of 365
    assert sub(api)["status"] == "active"


def test_rejected_stop_leaves_the_subscription_running(api):
    # SPEC S9: a manager may reject a stop waiting for approval.
    setup(api, seats_plan("hosting", "long_term", "365.00",
                          settings={"stop_requires_approval": True}))
    buy(api, "hosting", 1)
    ok(op(api, {"type": "stop"}))
    ok(op(api, {"type": "reject"}))
    assert sub(api)["status"] == "active"
    [stop] = [h for h in ok(api.get("/v1/subscriptions/sub1/operations"))["data"]
              if h["type"] == "stop"]
    assert stop["status"] == "cancelled" and stop["error"]["code"] == "rejected"


def test_delete_within_the_window(api):
    # SPEC S10: the first day refunds everything; after the window, delete is refused.
    setup(api, seats_plan("hosting", "long_term", "365.00", setup_price="15.00"))
    buy(api, "hosting", 1)
    deleted = ok(op(api, {"type": "delete", "preview": True}))
    assert deleted["amount"] == "-380.00"  # the year and the setup fee
    clock(api, "2024-08-27")  # 7 days = 168 hours: outside
    assert error_of(op(api, {"type": "delete"}))["code"] == "outside_deletion_window"
