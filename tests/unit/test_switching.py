"""S8 switch plan and C6 switch targets: the Bronze -> Silver -> Gold hosting ladder of
seed 002 (upgrade/downgrade targets, now / end_of_cycle, fees, unused funds)."""

from datetime import date
from decimal import Decimal
from fractions import Fraction as F

import pytest

from prorata.domain.errors import InvalidInput
from prorata.domain.model import LineKind, OpStatus, Status
from tests.unit.builders import Sim, cents, make_plan, of_kind, resource, total

D = Decimal
BOUGHT = date(2024, 8, 1)
MID = date(2024, 8, 11)   # 11..31 Aug = 21 of 31 days left


def hosting(billing_type="monthly", *, bronze=None, silver=None, gold=None, periods=("P1Y",)):
    def sites(price, **kw):
        return [resource("sites", price, min=1, max=10, primary=True, name="Sites", **kw)]

    def plan(pid, price, targets, settings, **kw):
        return make_plan(billing_type, plan_id=pid, name=f"{pid.capitalize()} Hosting",
                         periods=periods, resources=sites(price, **kw),
                         switch_to=targets, settings=settings or {}, product="hosting")

    return {
        "bronze": plan("bronze", "10.00", [{"plan": "silver", "kind": "upgrade"},
                                           {"plan": "gold", "kind": "upgrade"}], bronze),
        "silver": plan("silver", "20.00", [{"plan": "gold", "kind": "upgrade"},
                                           {"plan": "bronze", "kind": "downgrade"}], silver),
        "gold": plan("gold", "40.00", [{"plan": "silver", "kind": "downgrade"},
                                       {"plan": "bronze", "kind": "downgrade"}], gold),
    }


def sim_on(start, plans, sites=2):
    return Sim(plans[start], BOUGHT, {"resources": {"sites": sites}},
               plans=list(plans.values()))


# --- C6 targets -----------------------------------------------------------------------------

def test_only_switch_targets_are_accepted():
    # SPEC C6: the switch targets are the only plans switch_plan accepts.
    plans = hosting()
    plans["platinum"] = make_plan(plan_id="platinum")
    sim = sim_on("bronze", plans)
    assert sim.refusal(MID, {"type": "switch_plan", "plan": "platinum"}) == \
        "not_a_switch_target"
    assert sim.refusal(MID, {"type": "switch_plan", "plan": "bronze"}) == "not_a_switch_target"
    sim.quote(MID, {"type": "switch_plan", "plan": "gold"})   # Bronze -> Gold is an upgrade


# --- S8.2 now -------------------------------------------------------------------------------

def test_upgrade_now_credits_unused_days_charges_the_same_days_and_the_fee():
    # SPEC S8.2: credit the unused days of the old plan, charge the same days of the new plan,
    # plus the target's upgrade_fee; the expiration date is unchanged.
    sim = sim_on("bronze", hosting(silver={"upgrade_fee": "5.00"}))
    expires = sim.sub.expires_on
    d = sim.do(MID, {"type": "switch_plan", "plan": "silver"})
    credit, = of_kind(d.lines, LineKind.CREDIT)
    charge, = of_kind(d.lines, LineKind.CHARGE)
    fee, = of_kind(d.lines, LineKind.FEE)
    assert credit.amount == -cents(F(20) * 21 / 31) == D("-13.55")
    assert charge.amount == cents(F(40) * 21 / 31) == D("27.10")
    assert (charge.period_start, charge.period_end) == (MID, date(2024, 9, 1))
    assert fee.amount == D("5.00")
    assert d.operation.amount == D("18.55")
    sub = sim.sub
    assert sub.plan == "silver" and sub.expires_on == expires
    assert sub.resources == {"sites": 2}                    # S8.5 carried over
    sim.advance(date(2024, 9, 1))
    assert sim.lines[-1].amount == D("40.00")               # silver from now on


def test_downgrade_now_with_credit_leaves_a_negative_net():
    # SPEC S8.2: the net may be negative; with unused_funds credit it goes to the balance.
    sim = sim_on("gold", hosting(silver={"downgrade_fee": "2.00"}))
    d = sim.do(MID, {"type": "switch_plan", "plan": "silver"})
    expected = -cents(F(80) * 21 / 31) + cents(F(40) * 21 / 31) + D("2.00")
    assert expected == D("-54.19") + D("27.10") + D("2.00")
    assert total(d.lines) == expected == D("-25.09")
    assert not [ln for ln in d.lines if ln.description == "Unused funds forfeited"]


def test_downgrade_now_with_forfeit_cancels_the_negative_net():
    # SPEC S8.2 + C7 unused_funds forfeit (the old plan's setting, DESIGN).
    sim = sim_on("gold", hosting(gold={"unused_funds": "forfeit"}))
    d = sim.do(MID, {"type": "switch_plan", "plan": "silver"})
    forfeited = [ln for ln in d.lines if ln.description == "Unused funds forfeited"]
    assert [ln.amount for ln in forfeited] == [D("54.19") - D("27.10")]
    assert total(d.lines) == 0


def test_switch_on_the_billing_day_with_equal_prices_nets_zero():
    # SPEC S8.2: the net may be zero.
    plans = hosting()
    plans["silver"] = make_plan(plan_id="silver", resources=[
        resource("sites", "10.00", min=1, max=10)], product="hosting")
    sim = sim_on("bronze", plans)
    d = sim.do(date(2024, 9, 1), {"type": "switch_plan", "plan": "silver"})
    assert total(d.lines) == 0 and len(d.lines) == 2


@pytest.mark.parametrize("billing_type", ["monthly_commitment", "reservation"])
def test_downgrade_refused_for_commitments(billing_type):
    # SPEC S8.2: downgrades are refused for monthly_commitment and reservation (`commitment`).
    sim = sim_on("gold", hosting(billing_type))
    assert sim.refusal(MID, {"type": "switch_plan", "plan": "silver"}) == "commitment"
    assert sim.refusal(MID, {"type": "switch_plan", "plan": "bronze",
                             "timing": "end_of_cycle"}) == "commitment"
    sim2 = sim_on("silver", hosting(billing_type))
    d = sim2.do(MID, {"type": "switch_plan", "plan": "gold"})   # upgrades are fine
    assert d.operation.status is OpStatus.COMPLETED


def test_upgrade_of_a_long_term_subscription_prorates_over_the_period():
    # SPEC S8.2 + T4 for whole-period charging (DESIGN: charge to the unchanged period end).
    plans = hosting("long_term")
    sim = Sim(plans["bronze"], date(2024, 1, 1), {"resources": {"sites": 2}},
              plans=list(plans.values()))
    d = sim.do(date(2024, 7, 1), {"type": "switch_plan", "plan": "silver"})
    assert total(of_kind(d.lines, LineKind.CREDIT)) == -cents(F(20) * 184 / 366)
    assert total(of_kind(d.lines, LineKind.CHARGE)) == cents(F(40) * 184 / 366)
    assert sim.sub.period_end == date(2025, 1, 1)


# --- S8.3 end_of_cycle ----------------------------------------------------------------------

def test_end_of_cycle_switch_is_charged_on_the_next_billing_day():
    # SPEC S8.3: scheduled for the next billing day; charged that day; fee included.
    sim = sim_on("bronze", hosting(bronze={"plan_change_timing": "end_of_cycle"},
                                   silver={"upgrade_fee": "5.00"}))
    assert sim.refusal(MID, {"type": "switch_plan", "plan": "silver", "timing": "now"}) == \
        "switch_timing_not_allowed"
    d = sim.do(MID, {"type": "switch_plan", "plan": "silver"})
    assert d.lines == [] and d.operation.status is OpStatus.SCHEDULED
    assert d.operation.effective_on == date(2024, 9, 1)
    assert total(d.shown) == D("45.00")                      # 2 x 20.00 + 5.00 fee, quoted
    assert sim.sub.plan == "bronze"
    assert sim.available(MID)["change_resources"] == "switch_already_scheduled"
    sim.advance(date(2024, 8, 31))
    assert sim.sub.plan == "bronze" and len(sim.lines) == 1
    sim.advance(date(2024, 9, 1))
    assert sim.sub.plan == "silver"
    sept = [ln for ln in sim.lines if ln.period_start == date(2024, 9, 1)]
    assert sorted(ln.amount for ln in sept) == [D("5.00"), D("40.00")]  # no bronze month
    assert sim.ops[d.operation.id].status is OpStatus.COMPLETED


def test_cancel_switch_before_the_day_keeps_the_old_plan():
    # SPEC S8.3: it can be cancelled (cancel_switch) until its charge is issued on that day.
    sim = sim_on("bronze", hosting(bronze={"plan_change_timing": "end_of_cycle"}))
    d = sim.do(MID, {"type": "switch_plan", "plan": "silver"})
    sim.do(date(2024, 8, 31), {"type": "cancel_switch"})
    assert sim.ops[d.operation.id].status is OpStatus.CANCELLED
    sim.advance(date(2024, 9, 1))
    assert sim.sub.plan == "bronze" and sim.lines[-1].amount == D("20.00")


def test_cancel_switch_is_too_late_once_the_charge_is_issued():
    # SPEC S8.3: after the charge is issued it cannot be cancelled.
    sim = sim_on("bronze", hosting(bronze={"plan_change_timing": "end_of_cycle"}))
    sim.do(MID, {"type": "switch_plan", "plan": "silver"})
    assert sim.refusal(date(2024, 9, 1), "cancel_switch") == "no_scheduled_switch"
    assert sim.sub.plan == "silver"


def test_end_of_cycle_for_a_whole_period_plan_takes_effect_at_renewal():
    # DESIGN "Switch timing": whole-period types switch at the period end.
    plans = hosting("long_term", bronze={"plan_change_timing": "end_of_cycle"})
    sim = Sim(plans["bronze"], date(2024, 1, 1), {"resources": {"sites": 2}},
              plans=list(plans.values()))
    d = sim.do(date(2024, 7, 1), {"type": "switch_plan", "plan": "silver"})
    assert d.operation.effective_on == date(2025, 1, 1)
    sim.advance(date(2025, 1, 1))
    assert sim.sub.plan == "silver"
    assert (sim.sub.period_start, sim.sub.period_end) == (date(2025, 1, 1), date(2026, 1, 1))
    assert sim.lines[-1].amount == D("40.00")
    assert sim.sub.status is Status.ACTIVE


# --- S8.1 from a trial ----------------------------------------------------------------------

def test_trial_switch_is_immediate_and_charged_as_a_new_purchase():
    # SPEC S8.1: the paid period starts that day and is charged as a new purchase (S3).
    paid = make_plan("monthly", plan_id="paid", price="6.00")
    trial = make_plan("trial", plan_id="trial", periods=["P30D"],
                      switch_to=[{"plan": "paid", "kind": "upgrade"}])
    sim = Sim(trial, date(2024, 8, 10), {"resources": {"seats": 10}}, plans=[paid])
    d = sim.do(date(2024, 8, 20), {"type": "switch_plan", "plan": "paid", "timing": "renewal"})
    assert total(d.lines) == cents(F(60) * 12 / 31) == D("23.23")
    sub = sim.sub
    assert sub.plan == "paid" and sub.period_start == date(2024, 8, 20)
    assert sub.period_end == date(2025, 8, 20) and sub.auto_renew is True
    assert d.operation.params["timing"] == "now"
    # SPEC S8.1 clarification: the paid subscription starts that day
    assert (sub.start_date, sub.expires_on) == (date(2024, 8, 20), date(2025, 8, 19))
    assert sub.anchor_day == 20 and sub.high_water == {"seats": 10}


def test_trial_cannot_switch_to_another_trial():
    # SPEC S8.1 / C5: only to a paid plan.
    trial2 = make_plan("trial", plan_id="trial2", periods=["P30D"])
    trial = make_plan("trial", plan_id="trial", periods=["P30D"],
                      switch_to=[{"plan": "trial2", "kind": "upgrade"}])
    sim = Sim(trial, date(2024, 8, 10), plans=[trial2])
    assert sim.refusal(date(2024, 8, 20), {"type": "switch_plan", "plan": "trial2"}) == \
        "not_a_switch_target"


# --- S8.5 carry-over ------------------------------------------------------------------------

def test_amounts_carry_over_where_they_fit_otherwise_must_be_given():
    # SPEC S8.5: current amounts carry over where they fit the new plan's ranges; otherwise
    # the request must give them. Resources new to the plan take their min.
    plans = hosting()
    plans["gold"] = make_plan(plan_id="gold", product="hosting", resources=[
        resource("sites", "40.00", min=5, max=50),
        resource("ssl", "1.00", min=1, max=5)])
    sim = sim_on("bronze", plans, sites=2)
    with pytest.raises(InvalidInput) as err:
        sim.quote(MID, {"type": "switch_plan", "plan": "gold"})
    assert err.value.code == "resources_required" and err.value.param == "resources[sites]"
    d = sim.do(MID, {"type": "switch_plan", "plan": "gold", "resources": {"sites": 6}})
    assert sim.sub.resources == {"sites": 6, "ssl": 1}
    assert d.operation.params["resources"] == {"sites": 6, "ssl": 1}
    sim3 = sim_on("bronze", hosting(), sites=3)
    sim3.do(MID, {"type": "switch_plan", "plan": "silver"})
    assert sim3.sub.resources == {"sites": 3}
