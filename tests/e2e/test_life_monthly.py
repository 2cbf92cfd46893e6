"""A monthly Microsoft 365 subscription's whole life over HTTP, the test clock moving day by
day: purchase, a previewed change, prolongation on billing days, the renewal window, the
automatic renewal order and its lock, changing renewal options, manual renewal, a new period."""

from __future__ import annotations

from decimal import Decimal

from tests.e2e.conftest import error_of
from tests.e2e.lifecycle import balance, buy, charges, clock, money, ok, op, seats_plan, setup, sub

PLAN = seats_plan("m365-basic", "monthly", "6.00",
                  settings={"manual_renewal_point": 15, "auto_renewal_point": 7})


def test_monthly_life(api):
    setup(api, PLAN)
    # SPEC S3: ordered 20 Aug, billing day 1 → 20 Aug–1 Sep, 12/31 of a month.
    s = buy(api, "m365-basic", 5)
    assert (s["status"], s["start_date"], s["expires_on"]) == ("active", "2024-08-20",
                                                              "2025-08-19")  # SPEC T1
    [first] = charges(api)
    assert (first["amount"], first["period_start"], first["period_end"]) == (
        str(money(Decimal(30) * 12 / 31)), "2024-08-20", "2024-09-01")

    # SPEC S4 + preview equals commit: 5 → 10 seats on 11 Sep, 20/30 days of September.
    clock(api, "2024-09-11")
    body = {"type": "change_resources", "resources": {"seats": 10}}
    preview = ok(op(api, {**body, "preview": True}))
    done = ok(op(api, body))
    assert preview["amount"] == done["amount"] == str(money(Decimal(30) * 20 / 30))
    assert [ln["amount"] for ln in preview["lines"]] == [ln["amount"] for ln in done["lines"]]
    assert len(charges(api)) == 3  # preview stored nothing

    # SPEC S7: each billing day charges the next billing month with the current amounts.
    clock(api, "2024-12-01")
    sept_on = [c for c in charges(api) if c["description"].startswith("Licenses × 10")]
    assert [c["period_start"] for c in sept_on] == ["2024-10-01", "2024-11-01", "2024-12-01"]
    assert all(c["amount"] == "60.00" for c in sept_on)

    # SPEC S7: a manual prolong applies from the next billing day; it writes nothing now
    # (amount 0.00, S11) and shows what it will charge as its quote.
    scheduled = ok(op(api, {"type": "prolong", "resources": {"seats": 12}}))
    assert (scheduled["status"], scheduled["effective_on"], scheduled["amount"],
            scheduled["quote"]) == ("scheduled", "2025-01-01", "0.00", "72.00")
    clock(api, "2025-01-01")
    assert sub(api)["resources"] == {"seats": 12}
    assert charges(api)[-1]["amount"] == "72.00"

    # SPEC S5.1: renew opens 15 days before expires_on (2025-08-19): not on 3 Aug, yes on 4 Aug.
    clock(api, "2025-08-03")
    assert "renew" not in sub(api)["available_operations"]
    assert error_of(op(api, {"type": "renew"}))["code"] == "not_in_renewal_window"
    clock(api, "2025-08-04")
    assert "renew" in sub(api)["available_operations"]

    # SPEC S5.2-S5.4: the automatic order on expires_on − 7 = 12 Aug locks the subscription.
    clock(api, "2025-08-12")
    s = sub(api)
    assert s["locked"] and s["renewal_order"]["effective_on"] == "2025-08-20"
    assert s["available_operations"] == ["change_renewal_options"]
    refused = op(api, {"type": "change_resources", "resources": {"seats": 20}})
    assert refused.status_code == 409 and error_of(refused)["code"] == "subscription_locked"

    # SPEC S5.4: change_renewal_options cancels and refunds the order, auto-renew goes off.
    before = balance(api)
    cancelled = ok(op(api, {"type": "change_renewal_options"}))
    assert Decimal(cancelled["amount"]) < 0
    assert balance(api) == before - Decimal(cancelled["amount"])
    s = sub(api)
    assert not s["locked"] and not s["auto_renew"] and "renew" in s["available_operations"]

    # A manual renewal with new amounts, then the new period starts the day after expires_on.
    order = ok(op(api, {"type": "renew", "resources": {"seats": 3}}))
    assert order["status"] == "waiting_for_provisioning"
    assert order["amount"] == str(money(Decimal(18) * 12 / 31))  # 20 Aug – 1 Sep at 3 seats
    clock(api, "2025-08-20")
    s = sub(api)
    assert (s["expires_on"], s["resources"], s["locked"]) == ("2026-08-19", {"seats": 3}, False)
    history = ok(api.get("/v1/subscriptions/sub1/operations", params={"limit": 100}))["data"]
    statuses = {(h["type"], h["status"]) for h in history}
    assert ("renew", "completed") in statuses and ("renew", "cancelled") in statuses
    # SPEC B1: the balance is the sum of the lines.
    assert balance(api) == -sum(Decimal(c["amount"]) for c in charges(api))
