"""S4 change resources (with T4 proration, C2 setup above the high-water mark, C3 ranges)."""

from datetime import date
from decimal import Decimal
from fractions import Fraction as F

import pytest

from prorata.domain.errors import InvalidInput
from prorata.domain.model import LineKind
from tests.unit.builders import Sim, cents, make_plan, of_kind, resource, total

D = Decimal


def monthly(**kw):
    return Sim(make_plan("monthly", **kw), date(2024, 8, 20), {"resources": {"seats": 10}})


def test_increase_is_charged_for_the_rest_of_the_billing_month_from_the_change_day():
    # SPEC S4 + T4: the day of a change belongs to the new configuration: 25..31 Aug = 7 days.
    sim = monthly()
    d = sim.do(date(2024, 8, 25), {"type": "change_resources", "resources": {"seats": 15}})
    [line] = d.lines
    assert line.kind is LineKind.CHARGE and line.quantity == 5
    assert (line.period_start, line.period_end) == (date(2024, 8, 25), date(2024, 9, 1))
    assert line.amount == cents(F(30) * 7 / 31) == D("6.77")
    assert sim.sub.resources == {"seats": 15}
    # the next billing day charges the new amount in full
    sim.advance(date(2024, 9, 1))
    assert sim.lines[-1].amount == D("90.00")


def test_decrease_is_refunded_prorated_for_monthly():
    # SPEC S4 / C5 monthly: decrease allowed, prorated refund.
    sim = monthly()
    d = sim.do(date(2024, 8, 25), {"type": "change_resources", "resources": {"seats": 4}})
    [line] = d.lines
    assert line.kind is LineKind.REFUND and line.quantity == 6
    assert line.amount == -cents(F(36) * 7 / 31) == D("-8.13")
    assert d.operation.amount == D("-8.13")


def test_change_on_the_billing_day_is_a_whole_month():
    # SPEC T4: a change on the billing day covers the whole new billing month (30/30).
    sim = monthly()
    d = sim.do(date(2024, 9, 1), {"type": "change_resources", "resources": {"seats": 11}})
    assert [ln.amount for ln in d.lines] == [D("6.00")]


def test_increase_in_a_long_term_subscription_is_prorated_over_the_period():
    # SPEC S4 + T4: whole-period charging prorates over the subscription period (366 days).
    sim = Sim(make_plan("long_term", price="60.00"), date(2024, 1, 1),
              {"resources": {"seats": 10}})
    d = sim.do(date(2024, 7, 1), {"type": "change_resources", "resources": {"seats": 12}})
    assert total(d.lines) == cents(F(120) * 184 / 366) == D("60.33")


def test_setup_is_charged_only_above_the_highest_amount_held():
    # SPEC C2 + S4: setup per unit added above the highest amount held before.
    plan = make_plan("monthly", resources=[resource("seats", "6.00", setup_price="2.50")])
    sim = Sim(plan, date(2024, 9, 1), {"resources": {"seats": 5}})
    assert total(of_kind(sim.lines, LineKind.FEE)) == D("12.50")
    sim.do(date(2024, 9, 5), {"type": "change_resources", "resources": {"seats": 3}})
    d = sim.do(date(2024, 9, 10), {"type": "change_resources", "resources": {"seats": 7}})
    fees = of_kind(d.lines, LineKind.FEE)
    assert [(f.quantity, f.amount) for f in fees] == [(2, D("5.00"))]   # 7 - 5, not 7 - 3
    charges = of_kind(d.lines, LineKind.CHARGE)
    assert total(charges) == cents(F(4 * 6) * 21 / 30)                   # 10..30 Sep


def test_included_units_change_only_what_is_above_included():
    # SPEC C3 + S4: only amounts above `included` cost money.
    plan = make_plan("monthly", resources=[resource("seats", "6.00", included=5, min=0)])
    sim = Sim(plan, date(2024, 9, 1), {"resources": {"seats": 3}})
    d = sim.do(date(2024, 9, 16), {"type": "change_resources", "resources": {"seats": 7}})
    [line] = d.lines
    assert line.quantity == 2 and line.amount == cents(F(12) * 15 / 30) == D("6.00")


def test_change_resources_validates_the_request():
    # SPEC S4 + C3: ranges, unknown resources, no-op changes.
    sim = monthly()
    day = date(2024, 8, 25)
    with pytest.raises(InvalidInput) as err:
        sim.quote(day, {"type": "change_resources", "resources": {"seats": 0}})
    assert err.value.code == "amount_out_of_range"
    assert "Licenses" in err.value.message and "1..300" in err.value.message
    with pytest.raises(InvalidInput) as err:
        sim.quote(day, {"type": "change_resources", "resources": {"disk": 2}})
    assert err.value.code == "unknown_resource"
    with pytest.raises(InvalidInput) as err:
        sim.quote(day, {"type": "change_resources", "resources": {"seats": 10}})
    assert err.value.code == "no_change"
    with pytest.raises(InvalidInput) as err:
        sim.quote(day, {"type": "change_resources"})
    assert err.value.code == "resources_required"


def test_commitment_increase_is_allowed_decrease_refused():
    # SPEC S4 + C5 monthly_commitment.
    sim = Sim(make_plan("monthly_commitment"), date(2024, 8, 20), {"resources": {"seats": 10}})
    assert sim.refusal(date(2024, 8, 25), {"type": "change_resources",
                                           "resources": {"seats": 9}}) == "commitment"
    d = sim.do(date(2024, 8, 25), {"type": "change_resources", "resources": {"seats": 12}})
    assert total(d.lines) == cents(F(12) * 7 / 31)


def test_refund_of_a_decrease_never_exceeds_what_was_charged():
    # DESIGN "Refund cap": a refund never exceeds what the subscription was charged, net.
    sim = monthly()
    ctx = sim.ctx(date(2024, 8, 21))
    ctx.refundable = D("1.00")
    from prorata.domain.engine import decide
    d = decide(ctx, {"type": "change_resources", "resources": {"seats": 1}})
    assert total(d.lines) == D("-1.00")
