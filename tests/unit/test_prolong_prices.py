"""S7 prolongation (automatic on the billing day, manual before it) and C8 price lock."""

from datetime import date
from decimal import Decimal
from fractions import Fraction as F

from prorata.domain.model import OpStatus, Status
from prorata.domain.plans import patch_plan
from tests.unit.builders import Sim, cents, customer, make_plan, total

D = Decimal


def monthly(billing_type="monthly", **kw):
    return Sim(make_plan(billing_type, **kw), date(2024, 8, 20), {"resources": {"seats": 10}})


# --- S7 -------------------------------------------------------------------------------------

def test_prolongation_on_each_billing_day_with_the_current_amounts():
    # SPEC S7: on each billing day the scheduler charges the next billing month.
    sim = monthly()
    sim.advance(date(2024, 8, 31))
    assert len(sim.lines) == 1
    decisions = sim.advance(date(2024, 9, 1))
    [d] = decisions
    assert d.operation.type == "prolong" and d.operation.status is OpStatus.COMPLETED
    assert d.operation.dedup_key == "prolong:s1:2024-09-01"
    [line] = d.lines
    assert (line.period_start, line.period_end, line.amount) == \
        (date(2024, 9, 1), date(2024, 10, 1), D("60.00"))
    assert sim.sub.charged_until == date(2024, 10, 1)


def test_prolongation_follows_the_customers_billing_day():
    # SPEC S7 + T3: billing day 15.
    sim = Sim(make_plan("monthly"), date(2024, 8, 20), {"resources": {"seats": 10}},
              cust=customer(billing_day=15))
    sim.advance(date(2024, 9, 14))
    assert len(sim.lines) == 1
    sim.advance(date(2024, 9, 15))
    assert (sim.lines[-1].period_start, sim.lines[-1].period_end) == \
        (date(2024, 9, 15), date(2024, 10, 15))


def test_last_month_of_the_term_is_clipped_to_the_period_end():
    # DESIGN "Charging spans": the prolongation is clipped to the period end.
    sim = monthly()
    sim.sub.auto_renew = False
    sim.advance(date(2025, 8, 1))
    last = sim.lines[-1]
    assert (last.period_start, last.period_end) == (date(2025, 8, 1), date(2025, 8, 20))
    assert last.amount == cents(F(60) * 19 / 31) == D("36.77")
    # the whole term adds up to twelve months: 12/31 + 11 months + 19/31
    assert total(sim.lines) == D("720.00")
    assert sim.available(date(2025, 8, 2))["prolong"] == "nothing_to_prolong"


def test_manual_prolong_records_amounts_applied_from_the_next_billing_day():
    # SPEC S7: a manual prolong before the billing day records new amounts that apply from
    # that billing day.
    sim = monthly()
    d = sim.do(date(2024, 9, 10), {"type": "prolong", "resources": {"seats": 12}})
    assert d.lines == []                                       # nothing charged yet
    assert [(ln.period_start, ln.amount) for ln in d.shown] == [(date(2024, 10, 1), D("72.00"))]
    assert d.operation.status is OpStatus.SCHEDULED
    assert d.operation.effective_on == date(2024, 10, 1)
    assert sim.sub.resources == {"seats": 10}                  # still 10 until then
    assert sim.sub.next_resources == {"seats": 12}
    sim.advance(date(2024, 9, 30))
    assert sim.lines[-1].period_start == date(2024, 9, 1)
    sim.advance(date(2024, 10, 1))
    assert sim.lines[-1].amount == D("72.00") and sim.sub.resources == {"seats": 12}
    assert sim.ops[d.operation.id].status is OpStatus.COMPLETED
    sim.advance(date(2024, 11, 1))
    assert sim.lines[-1].amount == D("72.00")


def test_second_manual_prolong_supersedes_the_first():
    # SPEC S7 / S11: only the last recorded amounts apply; the first entry is cancelled.
    sim = monthly()
    first = sim.do(date(2024, 9, 10), {"type": "prolong", "resources": {"seats": 12}})
    sim.do(date(2024, 9, 12), {"type": "prolong", "resources": {"seats": 4}})
    assert sim.ops[first.operation.id].status is OpStatus.CANCELLED
    sim.advance(date(2024, 10, 1))
    assert sim.lines[-1].amount == D("24.00")


def test_manual_prolong_cannot_decrease_a_commitment():
    # SPEC S7 + C5 monthly_commitment.
    sim = monthly("monthly_commitment")
    assert sim.refusal(date(2024, 9, 10), {"type": "prolong", "resources": {"seats": 9}}) == \
        "commitment"


def test_prolong_is_only_for_monthly_types():
    # SPEC S7: prolong (monthly, monthly_commitment).
    sim = Sim(make_plan("long_term"), date(2024, 8, 20))
    assert sim.refusal(date(2024, 9, 10), "prolong") == "not_supported_for_billing_type"


def test_stopped_monthly_is_not_prolonged():
    # SPEC S9: stop pauses monthly charging.
    sim = monthly()
    sim.do(date(2024, 8, 25), {"type": "stop"})
    sim.advance(date(2024, 10, 2))
    assert all(ln.period_start < date(2024, 9, 1) for ln in sim.lines)
    assert sim.sub.status is Status.STOPPED


# --- C8 -------------------------------------------------------------------------------------

def _reprice(sim, price):
    sim.plans["basic"] = patch_plan(sim.plans["basic"],
                                    {"resources": [{"id": "seats", "price": price}]})


def test_price_lock_keeps_purchase_prices_until_renewal():
    # SPEC C8 with price_lock: prices captured at purchase are kept until the next renewal,
    # then the renewal captures the new ones.
    plan = make_plan("monthly", periods=["P3M"], price="6.00")
    sim = Sim(plan, date(2024, 9, 1), {"resources": {"seats": 10}})
    _reprice(sim, "8.00")
    sim.advance(date(2024, 11, 1))
    assert [ln.amount for ln in sim.lines] == [D("60.00")] * 3      # Sep, Oct, Nov at 6.00
    sim.advance(date(2024, 11, 30))                                # auto renewal order
    assert sim.lines[-1].amount == D("80.00")                       # Dec at the new 8.00
    sim.advance(date(2025, 1, 1))
    assert sim.lines[-1].amount == D("80.00")
    assert sim.sub.prices["seats"].price == D("8.00")


def test_without_price_lock_new_prices_apply_from_the_next_charging_period():
    # SPEC C8 without price_lock: never retroactive, new prices from the next charging period.
    plan = make_plan("monthly", periods=["P3M"], price="6.00", settings={"price_lock": False})
    sim = Sim(plan, date(2024, 9, 1), {"resources": {"seats": 10}})
    sim.advance(date(2024, 9, 14))
    _reprice(sim, "8.00")
    # a mid-month increase is charged for the current month at the price that month was
    # charged with (the new price is not retroactive)
    d = sim.do(date(2024, 9, 16), {"type": "change_resources", "resources": {"seats": 11}})
    assert total(d.lines) == cents(F(6) * 15 / 30) == D("3.00")
    sim.advance(date(2024, 10, 1))
    assert sim.lines[-1].amount == D("88.00")                       # Oct at 8.00 x 11
    assert [ln.amount for ln in sim.lines[:1]] == [D("60.00")]      # Sep untouched


def test_manual_prolong_quote_uses_the_prices_that_will_apply():
    # SPEC C8 + S7: under price lock the prolong quote uses the captured prices.
    sim = monthly()
    _reprice(sim, "8.00")
    d = sim.quote(date(2024, 9, 10), {"type": "prolong", "resources": {"seats": 12}})
    assert total(d.shown) == D("72.00")
