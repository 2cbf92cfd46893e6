"""Usage rules without a database (SPEC B4, T3, T5, C8): record checks, billing months, the
exact rating of aggregates."""

from __future__ import annotations

import io
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prorata.domain.engine.context import RateTable
from prorata.domain.engine.pricing import Pricer
from prorata.domain.errors import InvalidInput
from prorata.domain.model import UnitPrice
from prorata.domain.plans import build_plan
from prorata.domain.usage import (
    SCALE,
    Bucket,
    RecordChecker,
    RecordRules,
    by_billing_month,
    format_scaled,
    meter_price,
    scaled,
    usage_line,
)
from prorata.services.usage_input import MAX_LINE, csv_records
from tests.dbfixtures import sample_subscription

RULES = RecordRules("az1", "acme", frozenset({"vm"}), date(2024, 8, 20), date(2024, 8, 31))


def _plan(**settings: object) -> object:
    return build_plan({"name": "Azure", "billing_type": "payg", "currency": "USD",
                       "settings": settings,
                       "resources": [{"id": "vm", "name": "VM", "price": "0.0125"}]},
                      "azure", "azure-payg")


def test_scaled_is_exact_and_strict() -> None:
    assert scaled("1.5", "p", "q") == 1_500_000
    assert scaled(Decimal("0.000001"), "p", "q") == 1
    assert scaled(7, "p", "q") == 7 * SCALE
    for bad, code in [("-1", "invalid_amount"), ("1.0000001", "too_many_decimals"),
                      ("1e3", "invalid_amount"), ("1000000000", "amount_too_large"),
                      (1.5, "invalid_amount"), (True, "invalid_amount"), ("", "invalid_amount")]:
        with pytest.raises(InvalidInput) as err:
            scaled(bad, "p", "q")
        assert err.value.code == code, bad
    assert format_scaled(88 * SCALE) == "88" and format_scaled(1_250_000) == "1.25"


def test_fast_and_slow_paths_agree() -> None:
    # check_many inlines the common case; it must give what check gives
    checker = RecordChecker(RULES)
    raws = [("l2", "a", "2024-08-21", "vm", "", "1.5", ""),
            ("l3", "b", "2024-08-21", "vm", "reservation", Decimal("2"), "0.25"),
            ("l4", "c", "2024-08-22", "vm", None, 3, None),
            ("l5", "d", "2024-08-22", "vm", "third_party", " 4 ", "1")]
    fast = checker.check_many(raws, False)
    slow = [RecordChecker(RULES).check(*r[1:], r[0], False) for r in raws]
    assert fast == slow
    assert fast[0] == ("az1", "a", "acme", "2024-08-21", "vm", "usage", 1_500_000, 0)


@pytest.mark.parametrize(("raw", "code", "param"), [
    (("l9", "a", "2024-08-19", "vm", "", "1", ""), "date_outside_subscription", "l9"),
    (("l9", "a", "2024-09-01", "vm", "", "1", ""), "date_outside_subscription", "l9"),
    (("l9", "a", "2024-W35-1", "vm", "", "1", ""), "invalid_date", "l9"),
    (("l9", "a", ["2024-08-21"], "vm", "", "1", ""), "invalid_date", "l9"),
    (("l9", "a", "2024-08-21", ["vm"], "", "1", ""), "unknown_meter", "l9"),
    (("l9", "a\n", "2024-08-21", "vm", "", "1", ""), "invalid_record_id", "l9"),
    (("l9", 5, "2024-08-21", "vm", "", "1", ""), "invalid_record_id", "l9"),
    (("l9", "a", "2024-08-21", "vm", "spot", "1", ""), "invalid_category", "l9"),
    (("l9", "a", "2024-08-21", "vm", [], "1", ""), "invalid_category", "l9"),
    (("l9", "a", "2024-08-21", "vm", ["usage"], "1", ""), "invalid_category", "l9"),
    (("l9", "a", "2024-08-21", "vm", "", "1", ["1"]), "invalid_amount", "l9"),
    (("l9", "a", "2024-08-21", "vm", "", "-0.5", ""), "invalid_amount", "l9"),
])
def test_refusals_name_the_place(raw: tuple[object, ...], code: str, param: str) -> None:
    with pytest.raises(InvalidInput) as err:
        RecordChecker(RULES).check_many([raw], False)
    assert (err.value.code, err.value.param) == (code, param)


def test_billing_months_follow_the_billing_day() -> None:
    # SPEC T3: a billing month starts on the customer's billing day
    rows = [(date(2024, 8, 4), "vm", "usage", 1, 0, 1), (date(2024, 8, 5), "vm", "usage", 2, 0, 1),
            (date(2024, 9, 4), "vm", "usage", 4, 5, 2)]
    buckets = by_billing_month(rows, 5)
    assert [(b.month, b.month_end, b.quantity, b.cost, b.records) for b in buckets] == [
        (date(2024, 7, 5), date(2024, 8, 5), 1, 0, 1),
        (date(2024, 8, 5), date(2024, 9, 5), 6, 5, 3)]


def test_price_lock() -> None:
    # SPEC C8: the captured price while the plan locks prices, else the plan's price now
    plan = _plan()
    sub = sample_subscription(prices={"vm": UnitPrice(Decimal("0.01"), Decimal(0))})
    assert meter_price(sub, plan, "vm") == Decimal("0.01")
    assert meter_price(sub, _plan(price_lock=False), "vm") == Decimal("0.0125")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=50),
       st.sampled_from(["internal", "external"]),
       st.decimals(min_value=0, max_value=100, places=2))
def test_rate_the_sum_round_once(quantities: list[int], rating: str, markup: Decimal) -> None:
    # SPEC T5: the line is the exact aggregate rounded half-up once
    plan = _plan(payg_rating=rating, markup_percent=str(markup))
    sub = sample_subscription(start_date=date(2024, 8, 20), prices={})
    bucket = Bucket(date(2024, 8, 1), date(2024, 9, 1), "vm", "usage",
                    quantity=sum(quantities), cost=sum(quantities), records=len(quantities))
    line = usage_line(Pricer("USD", 1, RateTable(), date(2024, 9, 1)), sub, plan, bucket)
    total = Decimal(sum(quantities)) / SCALE
    factor = Decimal("0.0125") if rating == "internal" else 1 + markup / 100
    assert line.amount == (total * factor).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert line.period_start == date(2024, 8, 20)  # clipped to the subscription's start


def test_csv_line_limit_and_header() -> None:
    head = b"id,date,meter,category,quantity,cost\n"
    assert list(csv_records(io.BytesIO(head))) == []
    ok = list(csv_records(io.BytesIO(b"\xef\xbb\xbf" + head + b"a,2024-08-21,vm,,1,\n")))
    assert ok == [("line 2", "a", "2024-08-21", "vm", "", "1", "")]
    with pytest.raises(InvalidInput) as err:
        list(csv_records(io.BytesIO(head + b"a,b" + b"x" * MAX_LINE + b"\nb\n")))
    assert (err.value.code, err.value.param) == ("line_too_long", "line 2")
    with pytest.raises(InvalidInput) as err:
        list(csv_records(io.BytesIO(head + b"x" * (MAX_LINE + 1))))
    assert (err.value.code, err.value.param) == ("line_too_long", "line 2")
