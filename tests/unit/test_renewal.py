"""S5 renewal points and renewal orders, S6 expiry and renewal of an expired subscription
(seed 001 renewal points, seed 003 constant / shifted)."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction as F

import pytest

from prorata.domain.model import LineKind, OpStatus, Status
from tests.unit.builders import Sim, cents, customer, make_plan, total

D = Decimal
BOUGHT = date(2024, 1, 1)            # P1Y: period_end 2025-01-01, expires_on 2024-12-31
EXPIRES = date(2024, 12, 31)


def sim_with(settings=None, billing_type="monthly", **kw):
    plan = make_plan(billing_type, settings=settings or {}, **kw)
    return Sim(plan, BOUGHT, {"resources": {"seats": 10}})


# --- S5.1 manual renewal point --------------------------------------------------------------

def test_manual_renewal_point_15_opens_on_day_minus_15():
    # SPEC S5.1, seed 001: manual renewal point 15 -> not on day -16, yes on day -15.
    sim = sim_with({"manual_renewal_point": 15, "auto_renewal_point": 7})
    assert sim.sub.expires_on == EXPIRES
    assert sim.available(EXPIRES - timedelta(days=16))["renew"] == "not_in_renewal_window"
    assert sim.refusal(EXPIRES - timedelta(days=16), "renew") == "not_in_renewal_window"
    assert sim.available(EXPIRES - timedelta(days=15))["renew"] is None


def test_manual_renew_creates_an_order_for_a_chosen_period_and_amounts():
    # SPEC S5.1 + S5.3: renew creates a renewal order, charged now, waiting for the day
    # after expires_on; the new period starts there.
    plan = make_plan("long_term", periods=["P1Y", "P3Y"], price="60.00",
                     settings={"manual_renewal_point": 15})
    sim = Sim(plan, BOUGHT, {"resources": {"seats": 10}})
    d = sim.do(date(2024, 12, 20), {"type": "renew", "period": "P3Y",
                                    "resources": {"seats": 4}})
    assert d.operation.status is OpStatus.WAITING_FOR_PROVISIONING
    assert d.operation.effective_on == date(2025, 1, 1)
    [line] = d.lines
    assert (line.period_start, line.period_end) == (date(2025, 1, 1), date(2028, 1, 1))
    assert line.amount == D("240.00")   # 4 x 60.00, the whole new period
    assert sim.sub.locked and sim.sub.resources == {"seats": 10}
    sim.advance(date(2024, 12, 31))
    assert sim.sub.period_end == date(2025, 1, 1) and sim.sub.status is Status.ACTIVE
    sim.advance(date(2025, 1, 1))
    sub = sim.sub
    assert (sub.period_start, sub.period_end, sub.period) == \
        (date(2025, 1, 1), date(2028, 1, 1), "P3Y")
    assert sub.expires_on == date(2027, 12, 31)
    assert sub.resources == {"seats": 4} and not sub.locked
    assert sim.ops[d.operation.id].status is OpStatus.COMPLETED
    assert len(sim.lines) == 2   # nothing charged again on the effective day


# --- S5.2 automatic renewal point -----------------------------------------------------------

@pytest.mark.parametrize("point", [0, 7])
def test_automatic_renewal_order_is_created_on_expires_on_minus_point(point):
    # SPEC S5.2, seed 001: 0 = on the expiration date; 7 = seven days before.
    sim = sim_with({"manual_renewal_point": 15, "auto_renewal_point": point})
    order_day = EXPIRES - timedelta(days=point)
    sim.advance(order_day - timedelta(days=1))
    assert sim.sub.renewal_order is None and sim.ops_of("renew") == []
    sim.advance(order_day)
    [op] = sim.ops_of("renew")
    assert op.status is OpStatus.WAITING_FOR_PROVISIONING
    assert op.created_on == order_day and op.actor == "system:scheduler"
    assert op.params == {"period": "P1Y", "resources": {"seats": 10}, "automatic": True}
    # S5.3: charged when created: the first charging span of the new period (monthly type)
    order_lines = sim.op_lines[op.id]
    assert [(ln.period_start, ln.period_end, ln.amount) for ln in order_lines] == \
        [(date(2025, 1, 1), date(2025, 2, 1), D("60.00"))]
    # takes effect the day after expires_on
    sim.advance(EXPIRES)
    assert sim.sub.period_end == date(2025, 1, 1) and sim.sub.locked
    sim.advance(date(2025, 1, 1))
    assert sim.sub.period_start == date(2025, 1, 1)
    assert sim.sub.expires_on == date(2025, 12, 31)
    assert sim.sub.status is Status.ACTIVE and not sim.sub.locked
    assert sim.ops[op.id].status is OpStatus.COMPLETED
    # the new period's first month is not charged twice; February is prolonged as usual
    assert [ln for ln in sim.lines if ln.period_start == date(2025, 1, 1)] == order_lines
    sim.advance(date(2025, 2, 1))
    assert sim.lines[-1].period_start == date(2025, 2, 1)


def test_no_automatic_renewal_without_auto_renew():
    # SPEC S5.2: only with auto-renew on; otherwise S6: expired the next day.
    plan = make_plan("monthly")
    sim = Sim(plan, BOUGHT, {"resources": {"seats": 10}, "auto_renew": False})
    sim.advance(EXPIRES)
    assert sim.ops_of("renew") == [] and sim.sub.status is Status.ACTIVE
    sim.advance(date(2025, 1, 1))
    assert sim.sub.status is Status.EXPIRED


# --- S5.4 the lock --------------------------------------------------------------------------

def test_waiting_renewal_order_locks_the_subscription():
    # SPEC S5.4, seed 001: once the order exists, change_resources, switch_plan, prolong and a
    # second renew are unavailable (subscription_locked).
    plan = make_plan("monthly", settings={"manual_renewal_point": 15, "auto_renewal_point": 7},
                     switch_to=[{"plan": "gold", "kind": "upgrade"}])
    sim = Sim(plan, BOUGHT, {"resources": {"seats": 10}}, plans=[make_plan(plan_id="gold")])
    day = date(2024, 12, 24)
    before = sim.available(day - timedelta(days=1))
    assert before["change_resources"] is None and before["renew"] is None
    avail = sim.available(day)
    for op in ("change_resources", "switch_plan", "prolong", "renew"):
        assert avail[op] == "subscription_locked"
        assert sim.refusal(day, {"type": op, "resources": {"seats": 11}, "plan": "gold"}) == \
            "subscription_locked"
    assert avail["change_renewal_options"] is None


def test_change_renewal_options_cancels_refunds_and_turns_auto_renew_off():
    # SPEC S5.4: cancels the order, refunds its charge, turns auto-renew off; the customer
    # can then renew manually with a new configuration.
    sim = sim_with({"manual_renewal_point": 15, "auto_renewal_point": 7})
    sim.advance(date(2024, 12, 24))
    [order_op] = sim.ops_of("renew")
    d = sim.do(date(2024, 12, 26), {"type": "change_renewal_options"})
    assert [(ln.kind, ln.amount) for ln in d.lines] == [(LineKind.REFUND, D("-60.00"))]
    assert total(sim.op_lines[order_op.id]) + total(d.lines) == 0
    assert sim.ops[order_op.id].status is OpStatus.CANCELLED
    assert sim.sub.renewal_order is None and sim.sub.auto_renew is False
    assert sim.available(date(2024, 12, 26))["change_resources"] is None
    # the scheduler does not create another order (auto-renew is off)
    sim.advance(date(2024, 12, 27))
    assert len(sim.ops_of("renew")) == 1
    # renew manually with new amounts
    d = sim.do(date(2024, 12, 27), {"type": "renew", "resources": {"seats": 3}})
    assert total(d.lines) == D("18.00")
    sim.advance(date(2025, 1, 1))
    assert sim.sub.resources == {"seats": 3} and sim.sub.period_start == date(2025, 1, 1)


def test_change_renewal_options_needs_an_order():
    # SPEC S5.4
    sim = sim_with()
    assert sim.refusal(date(2024, 6, 1), "change_renewal_options") == "no_renewal_order"


# --- S5.5 switch on renewal -----------------------------------------------------------------

def test_switch_on_renewal_opens_at_the_delayed_switch_point_and_turns_auto_renew_off():
    # SPEC S5.5: a renewal order on the new plan from expires_on - delayed_switch_point.
    gold = make_plan("monthly", plan_id="gold", price="9.00")
    plan = make_plan("monthly", settings={"delayed_switch_point": 20},
                     switch_to=[{"plan": "gold", "kind": "upgrade"}])
    sim = Sim(plan, BOUGHT, {"resources": {"seats": 10}}, plans=[gold])
    body = {"type": "switch_plan", "plan": "gold", "timing": "renewal"}
    assert sim.refusal(EXPIRES - timedelta(days=21), body) == "not_in_switch_window"
    d = sim.do(EXPIRES - timedelta(days=20), body)
    assert d.operation.status is OpStatus.WAITING_FOR_PROVISIONING
    assert sim.sub.auto_renew is False and sim.sub.locked
    assert total(d.lines) == D("90.00")   # gold, January 2025: 10 x 9.00
    sim.advance(date(2025, 1, 1))
    assert sim.sub.plan == "gold" and sim.sub.period_start == date(2025, 1, 1)
    sim.advance(date(2025, 2, 1))
    assert sim.lines[-1].amount == D("90.00")


def test_switch_on_renewal_disabled_when_point_is_null():
    # SPEC C7: delayed_switch_point null = no switch on renewal.
    gold = make_plan("monthly", plan_id="gold")
    plan = make_plan("monthly", settings={"delayed_switch_point": None},
                     switch_to=[{"plan": "gold", "kind": "upgrade"}])
    sim = Sim(plan, BOUGHT, plans=[gold])
    assert sim.refusal(date(2024, 12, 30), {"type": "switch_plan", "plan": "gold",
                                            "timing": "renewal"}) == "switch_on_renewal_disabled"


# --- T2 through renewals --------------------------------------------------------------------

def test_monthly_periods_keep_the_anchor_day_through_renewals():
    # SPEC T2: 2024-01-31 + P1M = 2024-02-29, then 2024-03-31.
    plan = make_plan("long_term", periods=["P1M"], price="31.00")
    sim = Sim(plan, date(2024, 1, 31), {"resources": {"seats": 1}})
    assert sim.sub.period_end == date(2024, 2, 29)
    assert sim.sub.expires_on == date(2024, 2, 28)
    sim.advance(date(2024, 2, 29))
    assert (sim.sub.period_start, sim.sub.period_end) == (date(2024, 2, 29), date(2024, 3, 31))
    sim.advance(date(2024, 3, 31))
    assert sim.sub.period_end == date(2024, 4, 30)
    sim.advance(date(2024, 4, 30))
    assert sim.sub.period_end == date(2024, 5, 31)


# --- S6 expiry and renewal of an expired subscription (seed 003) ----------------------------

SEED_ORDERED = date(2020, 5, 15)
SEED_RENEWED = date(2021, 5, 21)


def seed_003(mode, billing_type="monthly", price="6.00"):
    plan = make_plan(billing_type, price=price, settings={"expired_renewal_mode": mode})
    sim = Sim(plan, SEED_ORDERED, {"resources": {"seats": 10}, "auto_renew": False})
    assert sim.sub.expires_on == date(2021, 5, 14)   # T1
    sim.advance(date(2021, 5, 14))
    assert sim.sub.status is Status.ACTIVE
    sim.advance(date(2021, 5, 15))                    # not renewed: expired the next day
    assert sim.sub.status is Status.EXPIRED
    assert sim.available(date(2021, 5, 20))["renew"] is None
    return sim


def test_seed_003_constant_keeps_the_expiration_date_and_reduces_the_first_payment():
    # SPEC S6 constant, seed 003: renewed 2021-05-21 -> expires on 2022-05-14; the customer
    # pays only from the renewal date (21 May - 1 Jun = 11/31 instead of 17/31).
    sim = seed_003("constant")
    d = sim.do(SEED_RENEWED, {"type": "renew"})
    sub = sim.sub
    assert sub.status is Status.ACTIVE                  # takes effect at once
    assert (sub.period_start, sub.period_end) == (date(2021, 5, 15), date(2022, 5, 15))
    assert sub.expires_on == date(2022, 5, 14)
    [line] = d.lines
    assert (line.period_start, line.period_end) == (SEED_RENEWED, date(2021, 6, 1))
    assert line.amount == cents(F(60) * 11 / 31) == D("21.29")
    assert line.amount < cents(F(60) * 17 / 31)         # reduced
    assert d.operation.status is OpStatus.COMPLETED


def test_seed_003_shifted_starts_a_full_period_on_the_renewal_date():
    # SPEC S6 shifted, seed 003: new period 2021-05-21 ... 2022-05-20; first payment reduced to
    # the next billing day, the last increased by the same stub: the term's price is 12 months.
    sim = seed_003("shifted")
    d = sim.do(SEED_RENEWED, {"type": "renew"})
    sub = sim.sub
    assert (sub.period_start, sub.expires_on) == (SEED_RENEWED, date(2022, 5, 20))
    assert total(d.lines) == cents(F(60) * 11 / 31) == D("21.29")
    sim.advance(date(2022, 5, 20))
    term = [ln for ln in sim.lines if ln.period_start >= SEED_RENEWED]
    last = term[-1]
    # SPEC S6 clarification: the last payment is one line, a month plus the stub; the term
    # keeps its 12 payments (first 11/31, 10 months, last 1 + 20/31)
    assert (last.period_start, last.period_end) == (date(2022, 4, 1), date(2022, 5, 21))
    assert last.amount == cents(F(60) + F(60) * 20 / 31) == D("98.71")
    assert len(term) == 12
    assert total(term) == D("720.00")
    assert sim.sub.charged_until == date(2022, 5, 21)


def test_shifted_last_payment_billing_day_15():
    # SPEC S6 clarification: 31.00 a month, billing day 15: first 05-21 → 06-15 (25.00), last
    # one line 2022-04-15 → 05-21 (37.00), not a month plus a separate 6.00 stub
    plan = make_plan("monthly", price="31.00", settings={"expired_renewal_mode": "shifted"})
    sim = Sim(plan, SEED_ORDERED, {"resources": {"seats": 1}, "auto_renew": False},
              cust=customer(billing_day=15))
    sim.advance(date(2021, 5, 15))
    d = sim.do(SEED_RENEWED, {"type": "renew"})
    assert [(ln.period_start, ln.period_end, ln.amount) for ln in d.lines] == [
        (SEED_RENEWED, date(2021, 6, 15), D("25.00"))]
    sim.advance(date(2022, 5, 20))
    term = [ln for ln in sim.lines if ln.period_start >= SEED_RENEWED]
    assert (term[-1].period_start, term[-1].period_end, term[-1].amount) == (
        date(2022, 4, 15), date(2022, 5, 21), D("37.00"))
    assert len(term) == 12 and total(term) == D("372.00")


def test_seed_003_long_term_constant_and_shifted():
    # SPEC S6 for whole-period charging: constant charges the rest of the kept period
    # (359/365 days), shifted charges a full new period.
    sim = seed_003("constant", "long_term", "60.00")
    d = sim.do(SEED_RENEWED, {"type": "renew"})
    assert total(d.lines) == cents(F(600) * 359 / 365) == D("590.14")
    assert sim.sub.expires_on == date(2022, 5, 14)
    sim = seed_003("shifted", "long_term", "60.00")
    d = sim.do(SEED_RENEWED, {"type": "renew"})
    assert total(d.lines) == D("600.00")
    assert sim.sub.expires_on == date(2022, 5, 20)


def test_expired_renewal_window_closes_and_the_subscription_is_deleted():
    # SPEC S6: for expired_renewal_days it can still be renewed; after that, deleted.
    plan = make_plan("monthly", settings={"expired_renewal_days": 10})
    sim = Sim(plan, SEED_ORDERED, {"resources": {"seats": 10}, "auto_renew": False})
    sim.advance(date(2021, 5, 24))
    assert sim.sub.status is Status.EXPIRED
    assert sim.available(date(2021, 5, 24))["renew"] is None
    sim.advance(date(2021, 5, 25))   # period_end 15 May + 10 days
    assert sim.sub.status is Status.DELETED
    [op] = sim.ops_of("delete")
    assert op.params == {"reason": "expired"} and op.created_on == date(2021, 5, 25)


def test_expired_subscription_refuses_changes():
    # SPEC S6 / S2: an expired subscription can only be renewed.
    sim = seed_003("constant")
    avail = sim.available(date(2021, 5, 16))
    assert avail["renew"] is None
    assert avail["change_resources"] == avail["prolong"] == avail["stop"] == \
        "subscription_not_active"
