"""S3 purchase and the pricing rules it exercises (T4, T5, T6, C2, C3)."""

from datetime import date
from decimal import Decimal
from fractions import Fraction as F

import pytest

from prorata.domain.engine import SYSTEM, RateTable, purchase
from prorata.domain.errors import InvalidInput
from prorata.domain.model import LineKind, Status
from tests.unit.builders import Sim, cents, customer, make_plan, resource, total

D = Decimal


def buy(plan, day, body=None, cust=None, rates=None):
    return purchase(cust or customer(), plan, body if body is not None else
                    {"resources": {"seats": 10}}, day, SYSTEM, rates or RateTable(),
                    lambda p: f"{p}_1", "s1")


# --- S3 / T4 monthly ------------------------------------------------------------------------

def test_spec_s3_example_ordered_20_aug_billing_day_1():
    # SPEC S3: ordered 20 Aug, billing day 1: 20 Aug-1 Sep, 12/31 of a month.
    d = buy(make_plan("monthly"), date(2024, 8, 20))
    [line] = d.lines
    assert (line.period_start, line.period_end) == (date(2024, 8, 20), date(2024, 9, 1))
    assert line.amount == cents(F(60) * 12 / 31) == D("23.23")
    assert line.kind is LineKind.CHARGE and line.quantity == 10
    assert line.unit_price == D("6.00")
    assert d.subscription.charged_until == date(2024, 9, 1)
    assert d.operation.amount == D("23.23")


def test_ordered_on_the_billing_day_pays_a_full_month():
    # SPEC S3: ordered on the billing day: a full month.
    d = buy(make_plan("monthly"), date(2024, 9, 1))
    assert [(ln.period_start, ln.period_end, ln.amount) for ln in d.lines] == \
        [(date(2024, 9, 1), date(2024, 10, 1), D("60.00"))]


def test_monthly_first_charge_uses_the_customers_billing_month():
    # SPEC T3/T4: billing day 15; 20 Aug falls in [15 Aug, 15 Sep) = 31 days, 26 of them used.
    d = buy(make_plan("monthly"), date(2024, 8, 20), cust=customer(billing_day=15))
    [line] = d.lines
    assert line.period_end == date(2024, 9, 15)
    assert line.amount == cents(F(60) * 26 / 31) == D("50.32")


def test_monthly_commitment_is_charged_like_monthly_up_front():
    # SPEC C5: monthly_commitment is charged in advance on the billing day.
    d = buy(make_plan("monthly_commitment"), date(2024, 2, 10))
    assert total(d.lines) == cents(F(60) * 20 / 29) == D("41.38")


def test_first_charge_is_clipped_to_a_short_period():
    # DESIGN "Charging spans": monthly types charge [from, min(next billing day, period_end)).
    d = buy(make_plan("monthly", periods=["P30D"]), date(2024, 8, 20),
            cust=customer(billing_day=28))
    [line] = d.lines
    assert (line.period_start, line.period_end) == (date(2024, 8, 20), date(2024, 8, 28))
    assert line.amount == cents(F(60) * 8 / 31)  # billing month 28 Jul - 28 Aug = 31 days


# --- S3 whole-period types ------------------------------------------------------------------

@pytest.mark.parametrize("billing_type", ["long_term", "reservation", "non_recurring"])
def test_whole_period_types_pay_the_full_period(billing_type):
    # SPEC S3 / C5: whole period in advance.
    plan = make_plan(billing_type, periods=["P1Y"], price="60.00")
    d = buy(plan, date(2024, 8, 20))
    [line] = d.lines
    assert (line.period_start, line.period_end) == (date(2024, 8, 20), date(2025, 8, 20))
    assert line.amount == D("600.00")  # 10 x 60.00
    assert d.subscription.charged_until == date(2025, 8, 20)
    assert d.subscription.expires_on == date(2025, 8, 19)


def test_price_per_period_map_is_used_for_the_chosen_period():
    # SPEC C2: `price` may be a map {"P1Y": .., "P3Y": ..}.
    plan = make_plan("long_term", periods=["P1Y", "P3Y"],
                     resources=[resource("seats", {"P1Y": "60.00", "P3Y": "150.00"})])
    d = buy(plan, date(2024, 1, 1), {"period": "P3Y", "resources": {"seats": 2}})
    assert total(d.lines) == D("300.00")
    assert d.subscription.period_end == date(2027, 1, 1)


def test_trial_is_free_and_never_auto_renews():
    # SPEC S3: trials are free; C5 trial.
    d = buy(make_plan("trial", periods=["P30D"]), date(2024, 8, 20))
    assert d.lines == []
    assert d.subscription.period_end == date(2024, 9, 19)
    assert d.subscription.auto_renew is False


def test_payg_charges_nothing_up_front():
    # SPEC C5: payg is charged in arrears.
    plan = make_plan("payg", periods=None, resources=[])
    d = buy(plan, date(2024, 8, 20), {})
    assert d.lines == [] and d.subscription.charged_until is None
    assert d.subscription.period_end is None and d.subscription.expires_on is None


def test_non_recurring_never_auto_renews():
    # SPEC C5: non_recurring never renews.
    d = buy(make_plan("non_recurring"), date(2024, 8, 20), {"auto_renew": True})
    assert d.subscription.auto_renew is False


# --- C2 setup, C3 included ------------------------------------------------------------------

def test_setup_fees_are_charged_per_unit_on_purchase():
    # SPEC S3 + C2: setup fees plus the first charging period.
    plan = make_plan("monthly", resources=[resource("seats", "6.00", setup_price="2.50")])
    d = buy(plan, date(2024, 9, 1), {"resources": {"seats": 4}})
    fees = [ln for ln in d.lines if ln.kind is LineKind.FEE]
    assert [(f.quantity, f.amount) for f in fees] == [(4, D("10.00"))]
    assert total(d.lines) == D("10.00") + D("24.00")


def test_included_units_are_free():
    # SPEC C3: cost = max(amount - included, 0) x price.
    plan = make_plan("monthly", resources=[resource("seats", "6.00", included=3)])
    d = buy(plan, date(2024, 9, 1), {"resources": {"seats": 5}})
    [line] = d.lines
    assert (line.quantity, line.amount) == (2, D("12.00"))
    d = buy(plan, date(2024, 9, 1), {"resources": {"seats": 2}})
    assert d.lines == []


def test_purchase_refuses_amounts_out_of_range_unknown_resources_and_periods():
    # SPEC S3 validates ranges (C3).
    plan = make_plan("monthly")
    with pytest.raises(InvalidInput) as err:
        buy(plan, date(2024, 9, 1), {"resources": {"seats": 301}})
    assert err.value.code == "amount_out_of_range" and err.value.param == "resources[seats]"
    with pytest.raises(InvalidInput) as err:
        buy(plan, date(2024, 9, 1), {"resources": {"disks": 1}})
    assert err.value.code == "unknown_resource"
    with pytest.raises(InvalidInput) as err:
        buy(plan, date(2024, 9, 1), {"period": "P3Y"})
    assert err.value.code == "period_not_offered"
    with pytest.raises(InvalidInput) as err:
        buy(plan, date(2024, 9, 1), {"resources": {"seats": 2.5}})
    assert err.value.code == "invalid_amount"


def test_resource_not_given_takes_its_min():
    # DESIGN: a resource not given on purchase takes its min.
    plan = make_plan("monthly", resources=[resource("seats", "6.00", min=3)])
    d = buy(plan, date(2024, 9, 1), {})
    assert d.subscription.resources == {"seats": 3}
    assert total(d.lines) == D("18.00")


def test_purchase_records_the_subscription_state():
    # SPEC S3 / S11: the purchase is a completed history entry.
    d = buy(make_plan("monthly"), date(2024, 8, 20))
    sub = d.subscription
    assert sub.status is Status.ACTIVE and sub.auto_renew is True
    assert (sub.start_date, sub.period_start, sub.period_end) == \
        (date(2024, 8, 20), date(2024, 8, 20), date(2025, 8, 20))
    assert sub.prices["seats"].price == D("6.00")
    assert d.operation.type == "purchase" and d.operation.status.value == "completed"
    assert d.operation.actor == "system:scheduler"
    assert d.operation.params == {"plan": "basic", "period": "P1Y", "resources": {"seats": 10}}


# --- T5: one rounding per line, totals are sums of rounded lines ----------------------------

def test_each_line_is_rounded_once_and_totals_sum_rounded_lines():
    # SPEC T5: two lines of 0.005 each round to 0.01 each; the total is 0.02 (rounding the
    # exact total 0.01 would give 0.01).
    plan = make_plan("monthly", resources=[resource("a", "0.0050", min=0),
                                           resource("b", "0.0050", min=0)])
    d = buy(plan, date(2024, 9, 1), {"resources": {"a": 1, "b": 1}})
    assert [ln.amount for ln in d.lines] == [D("0.01"), D("0.01")]
    assert total(d.lines) == D("0.02")


# --- T6: conversion per line at the rate of the charge date ---------------------------------

def test_purchase_in_another_currency_converts_each_line():
    # SPEC T6: USD plan, EUR customer, rate 0.9 on 20 Aug; exact amount x rate, rounded once.
    rates = RateTable({("USD", "EUR"): [(date(2024, 8, 1), D("0.9"))]})
    d = buy(make_plan("monthly"), date(2024, 8, 20), cust=customer(currency="EUR"), rates=rates)
    [line] = d.lines
    assert line.currency == "EUR"
    assert line.amount == cents(F(60) * 12 / 31 * F("0.9")) == D("20.90")
    assert line.unit_price == D("5.4000")


def test_conversion_is_per_line_from_the_exact_amount():
    # SPEC T5/T6: each line: exact plan amount x rate, rounded once in the customer's currency.
    # 1.0050 x 0.9 = 0.9045 -> 0.90 per line (rounding first would give 1.01 x 0.9 -> 0.91);
    # the total is the sum of the two rounded lines, 1.80 (the converted exact total 1.809
    # would round to 1.81).
    rates = RateTable({("USD", "EUR"): [(date(2024, 8, 1), D("0.9"))]})
    plan = make_plan("monthly", resources=[resource("a", "1.0050", min=0),
                                           resource("b", "1.0050", min=0)])
    d = buy(plan, date(2024, 9, 1), {"resources": {"a": 1, "b": 1}},
            cust=customer(currency="EUR"), rates=rates)
    assert [ln.amount for ln in d.lines] == [D("0.90"), D("0.90")]
    assert total(d.lines) == D("1.80")


def test_prolongation_uses_the_rate_effective_on_its_own_day():
    # SPEC T6: the rate effective on the charge date (new rate from 1 Sep).
    rates = RateTable({("USD", "EUR"): [(date(2024, 8, 1), D("0.9")),
                                        (date(2024, 9, 1), D("0.8"))]})
    sim = Sim(make_plan("monthly"), date(2024, 8, 20), {"resources": {"seats": 10}},
              cust=customer(currency="EUR"), rates=rates)
    assert sim.lines[0].amount == cents(F(60) * 12 / 31 * F("0.9"))
    sim.advance(date(2024, 9, 1))
    assert sim.lines[-1].amount == cents(F(60) * F("0.8")) == D("48.00")
    assert sim.lines[-1].period_start == date(2024, 9, 1)


def test_missing_rate_refuses_the_purchase():
    # SPEC T6: a customer is billed in its own currency at the operator's rate.
    with pytest.raises(Exception) as err:
        buy(make_plan("monthly"), date(2024, 8, 20), cust=customer(currency="EUR"))
    assert getattr(err.value, "code", None) == "exchange_rate_missing"
