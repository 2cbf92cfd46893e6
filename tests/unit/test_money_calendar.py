"""§1 Time and money: T1-T6 on the pure helpers (money.py, calendar.py, RateTable)."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from prorata.domain.calendar import (
    add_duration,
    billing_month,
    expires_on,
    next_billing_day,
    parse_duration,
    split_by_billing_month,
)
from prorata.domain.engine import RateTable
from prorata.domain.errors import DomainError, InvalidInput
from prorata.domain.money import format_amount, format_price, parse_decimal, round_money

D = Decimal


# --- T1 -------------------------------------------------------------------------------------

def test_expires_on_is_the_last_day_of_a_half_open_period():
    # SPEC T1: ordered 2020-05-15 for one year, it expires on 2021-05-14.
    end = add_duration(date(2020, 5, 15), parse_duration("P1Y"))
    assert end == date(2021, 5, 15)
    assert expires_on(end) == date(2021, 5, 14)


def test_endless_period_has_no_expiry():
    # SPEC T1/T2: no period = endless.
    assert expires_on(None) is None


# --- T2 -------------------------------------------------------------------------------------

def test_adding_months_clips_to_month_end_and_keeps_the_anchor():
    # SPEC T2: 2024-01-31 + P1M = 2024-02-29, then 2024-03-31 (anchor 31 kept).
    p1m = parse_duration("P1M")
    feb = add_duration(date(2024, 1, 31), p1m, 31)
    assert feb == date(2024, 2, 29)
    assert add_duration(feb, p1m, 31) == date(2024, 3, 31)
    # without the anchor the clipped day would drift to the 29th
    assert add_duration(feb, p1m) == date(2024, 3, 29)


@pytest.mark.parametrize("code,start,end", [
    ("P1M", date(2023, 1, 31), date(2023, 2, 28)),
    ("P3M", date(2024, 11, 30), date(2025, 2, 28)),
    ("P1Y", date(2024, 2, 29), date(2025, 2, 28)),
    ("P3Y", date(2021, 6, 10), date(2024, 6, 10)),
    ("P30D", date(2024, 2, 15), date(2024, 3, 16)),
])
def test_iso_durations(code, start, end):
    # SPEC T2: P1M, P3M, P1Y, P3Y, P30D.
    assert add_duration(start, parse_duration(code), start.day) == end


@pytest.mark.parametrize("bad", ["1M", "P", "P0M", "PXM", "", None, 3])
def test_invalid_durations_are_refused(bad):
    # SPEC T2
    with pytest.raises(InvalidInput) as err:
        parse_duration(bad)
    assert err.value.code == "invalid_period"


# --- T3 -------------------------------------------------------------------------------------

def test_billing_month_runs_from_billing_day_to_billing_day():
    # SPEC T3: [billing day of month M, billing day of month M+1).
    assert billing_month(date(2024, 8, 20), 1) == (date(2024, 8, 1), date(2024, 9, 1))
    assert billing_month(date(2024, 8, 20), 25) == (date(2024, 7, 25), date(2024, 8, 25))
    assert billing_month(date(2024, 8, 25), 25) == (date(2024, 8, 25), date(2024, 9, 25))
    assert billing_month(date(2024, 1, 3), 28) == (date(2023, 12, 28), date(2024, 1, 28))


def test_next_billing_day_is_strictly_after():
    # SPEC T3
    assert next_billing_day(date(2024, 8, 1), 1) == date(2024, 9, 1)
    assert next_billing_day(date(2024, 8, 31), 1) == date(2024, 9, 1)
    assert next_billing_day(date(2024, 12, 15), 15) == date(2025, 1, 15)


# --- T4 -------------------------------------------------------------------------------------

def test_split_by_billing_month_gives_days_and_month_lengths():
    # SPEC T4: each piece is prorated over the billing month it falls in.
    pieces = split_by_billing_month(date(2024, 1, 20), date(2024, 3, 5), 1)
    assert pieces == [
        (date(2024, 1, 20), date(2024, 2, 1), 31),
        (date(2024, 2, 1), date(2024, 3, 1), 29),
        (date(2024, 3, 1), date(2024, 3, 5), 31),
    ]
    assert sum((e - s).days for s, e, _ in pieces) == (date(2024, 3, 5) - date(2024, 1, 20)).days


# --- T5 -------------------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [
    (Fraction(1, 200), D("0.01")),          # 0.005 -> half up
    (Fraction(-1, 200), D("-0.01")),        # symmetric
    (Fraction(1049, 100000), D("0.01")),    # 0.01049
    (Fraction(60 * 12, 31), D("23.23")),    # 23.2258...
    (Fraction(-60 * 12, 31), D("-23.23")),
    (D("2.675"), D("2.68")),                # exact: a float would give 2.67
    (D("1.0049999"), D("1.00")),
    (0, D("0.00")),
])
def test_round_money_half_up_to_the_minor_unit(value, expected):
    # SPEC T5: rounded once, half-up, to the currency's minor unit.
    assert round_money(value, "USD") == expected


def test_round_money_respects_minor_units_of_the_currency():
    # SPEC T5: the currency's minor unit (JPY 0, KWD 3).
    assert round_money(Fraction(5, 2), "JPY") == D("3")
    assert round_money(Fraction(-5, 2), "JPY") == D("-3")
    assert round_money(Fraction(12345, 10000), "KWD") == D("1.235")
    assert format_amount(D("3"), "JPY") == "3"
    assert format_amount(D("1.5"), "EUR") == "1.50"


def test_unit_prices_carry_at_most_four_decimals_and_floats_are_refused():
    # SPEC T5: unit prices up to 4 decimals; amounts cross the API as decimal strings.
    assert parse_decimal("0.1234", "price") == D("0.1234")
    with pytest.raises(InvalidInput) as err:
        parse_decimal("0.12345", "price")
    assert err.value.code == "too_many_decimals"
    with pytest.raises(InvalidInput) as err:
        parse_decimal(0.1, "price")
    assert err.value.code == "invalid_amount"
    with pytest.raises(InvalidInput):
        parse_decimal("-1", "price")
    assert parse_decimal("-1", "x", allow_negative=True) == D("-1")
    assert format_price(D("6")) == "6.00"
    assert format_price(D("0.1230")) == "0.123"


# --- T6 -------------------------------------------------------------------------------------

def test_rate_table_uses_the_rate_effective_on_the_day():
    # SPEC T6: the operator's exchange rate effective on the charge date.
    rates = RateTable({("USD", "EUR"): [(date(2024, 9, 1), D("0.95")),
                                        (date(2024, 1, 1), D("0.90"))]})
    assert rates.rate("USD", "EUR", date(2024, 8, 31)) == D("0.90")
    assert rates.rate("USD", "EUR", date(2024, 9, 1)) == D("0.95")
    assert rates.rate("USD", "USD", date(2000, 1, 1)) == D("1")
    with pytest.raises(DomainError) as err:
        rates.rate("USD", "EUR", date(2023, 12, 31))
    assert err.value.code == "exchange_rate_missing"
