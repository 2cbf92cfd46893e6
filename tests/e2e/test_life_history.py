"""What an operation shows matches what it wrote (SPEC S11, S3, C2): a purchase preview stores
nothing; an operation's `amount` is the sum of its lines, 0 when it wrote none, with the
quote shown when it was asked for kept under `quote`; setup fees are not charged again for
units already held before a plan switch."""

from __future__ import annotations

from decimal import Decimal

from tests.e2e.lifecycle import buy, charges, clock, ok, op, seats_plan, setup, sub
from tests.e2e.test_life_switch_stop import LADDER


def _history(api) -> list[dict]:
    return ok(api.get("/v1/subscriptions/sub1/operations"))["data"]


def _sum(lines: list[dict]) -> str:
    return str(sum((Decimal(ln["amount"]) for ln in lines), Decimal("0.00")))


def test_purchase_preview_stores_nothing(api):
    # SPEC S3 + S11: the preview is the quote of the purchase, status `preview`
    setup(api, seats_plan("hosting", "long_term", "365.00", setup_price="15.00"))
    body = {"id": "sub1", "customer": "acme", "plan": "hosting", "resources": {"seats": 2}}
    preview = ok(api.post("/v1/subscriptions", json={**body, "preview": True}))
    assert preview["status"] == "preview"
    assert preview["subscription"]["id"] == "sub1"
    assert preview["subscription"]["status"] == "active"  # what it would be
    assert api.get("/v1/subscriptions/sub1").status_code == 404
    assert charges(api) == []
    bought = ok(api.post("/v1/subscriptions", json=body))
    assert bought["status"] == "active"
    [purchase] = _history(api)
    assert preview["amount"] == purchase["amount"] == _sum(purchase["lines"]) == "760.00"
    assert [ln["amount"] for ln in preview["lines"]] == \
        [ln["amount"] for ln in purchase["lines"]]


def test_operation_preview_status_is_preview(api):
    # SPEC S11: a preview is never `completed`
    setup(api, seats_plan("hosting", "long_term", "365.00"))
    buy(api, "hosting", 1)
    preview = ok(op(api, {"type": "change_resources", "resources": {"seats": 2},
                          "preview": True}))
    assert preview["status"] == "preview" and preview["amount"] == "365.00"
    assert sub(api)["resources"] == {"seats": 1}


def test_amount_is_the_sum_of_written_lines(api):
    # SPEC S11: a stop waiting for approval, a cancelled switch wrote nothing: amount 0.00
    setup(api, seats_plan("hosting", "long_term", "365.00",
                          settings={"stop_requires_approval": True}), *LADDER)
    buy(api, "hosting", 1)
    clock(api, "2024-08-30")
    waiting = ok(op(api, {"type": "stop"}))
    assert (waiting["amount"], waiting["lines"], waiting["quote"]) == ("0.00", [], "-355.00")
    clock(api, "2024-09-04")
    approved = ok(op(api, {"type": "approve"}))
    for entry in _history(api):
        assert entry["amount"] == _sum(entry["lines"]), entry
    assert approved["amount"] == _sum(approved["lines"]) == "-350.00"


def test_cancelled_switch_shows_zero(api):
    # SPEC S8.3 + S11
    setup(api, *LADDER)
    buy(api, "silver", 2)
    scheduled = ok(op(api, {"type": "switch_plan", "plan": "bronze", "timing": "end_of_cycle"}))
    assert scheduled["amount"] == "0.00" and scheduled["quote"] == "240.00"
    ok(op(api, {"type": "cancel_switch"}))
    for entry in _history(api):
        assert entry["amount"] == _sum(entry["lines"]), entry
    [switch] = [h for h in _history(api) if h["type"] == "switch_plan"]
    assert (switch["status"], switch["amount"], switch["quote"]) == \
        ("cancelled", "0.00", "240.00")


def test_setup_fee_not_charged_again_on_switch(api):
    # SPEC C2: the high-water mark is carried across plan switches for the same resource id
    bronze = seats_plan("bronze", "long_term", "120.00", setup_price="50.00",
                        switch_to=[{"plan": "silver", "kind": "upgrade"}])
    silver = seats_plan("silver", "long_term", "240.00", setup_price="50.00")
    setup(api, bronze, silver)
    buy(api, "bronze", 2)
    done = ok(op(api, {"type": "switch_plan", "plan": "silver", "timing": "now"}))
    assert _setup(done["lines"]) == []
    more = ok(op(api, {"type": "change_resources", "resources": {"seats": 3}}))
    assert _setup(more["lines"]) == ["50.00"]  # only the third seat is new


def _setup(lines: list[dict]) -> list[str]:
    return [ln["amount"] for ln in lines if ln["description"].startswith("Setup")]


def test_trial_to_paid_starts_that_day(api):
    # SPEC S8.1 clarification: start_date becomes the switch day; expires_on from the paid plan
    paid = seats_plan("paid", "long_term", "365.00")
    trial = seats_plan("trial", "trial", "0", periods=["P30D"],
                       switch_to=[{"plan": "paid", "kind": "upgrade"}])
    setup(api, paid, trial)
    assert buy(api, "trial", 1)["start_date"] == "2024-08-20"
    clock(api, "2024-08-30")
    done = ok(op(api, {"type": "switch_plan", "plan": "paid", "period": "P1Y"}))
    assert done["amount"] == "365.00"
    s = sub(api)
    assert (s["start_date"], s["expires_on"]) == ("2024-08-30", "2025-08-29")
