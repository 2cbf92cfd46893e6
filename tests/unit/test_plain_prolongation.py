"""The daily run's fast path for plain prolongations (domain/engine/plain.py, issue 13) against
the full engine, line by line: the decisions, and the rows the scheduler encodes from them.

A key's `Plain` is learnt from one subscription (A) and used for another (B) that shares the
key but differs in everything else the generator can vary; both are compared with what
`run_day` alone decides for them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from prorata.adapters.db import folded
from prorata.adapters.db.bulk import Codec, units
from prorata.domain.engine import SYSTEM, Context, RateTable, due_on, run_day
from prorata.domain.engine import plain as plain_module
from prorata.domain.engine.plain import Hit, PlainProlongations, decisions
from prorata.domain.engine.pricing import capture_prices
from prorata.domain.model import (
    ChargeLine,
    Customer,
    LineKind,
    Status,
    Subscription,
    UnitPrice,
)
from prorata.scheduler.batch import encode_batch
from tests.unit.builders import make_plan, resource

D = Decimal
RATES = RateTable({("USD", "EUR"): [(date(2020, 1, 1), D("0.9137"))],
                   ("EUR", "USD"): [(date(2020, 1, 1), D("1.0944"))]})
CODECS = (Codec(sqlite.dialect()), Codec(postgresql.psycopg.dialect()))


def ids() -> Any:
    counter = count(1)
    return lambda prefix: f"{prefix}_{next(counter)}"


FIELDS = ("start", "charged_until", "period_end", "resources", "raise_mark", "stored_price",
          "status", "auto_renew", "next_resources", "unpaid", "shifted", "anchor_day",
          "expiry_noticed", "stopped_days")


def sub_fields(draw: Any, base: dict[str, Any] | None = None,
               field: str | None = None) -> dict[str, Any]:
    """A subscription's fields. With `base`: the same but for one field drawn again, so that
    B often shares A's key, and a key that misses an input is caught (B differs from A in
    that input only)."""
    if base is not None:
        again = field or draw(st.sampled_from(FIELDS))
        if again is None:
            return dict(base)
        return base | {again: sub_fields(draw)[again]}
    start = draw(st.dates(date(2024, 1, 1), date(2025, 6, 1)))
    charged_until = start + timedelta(days=draw(st.integers(0, 80)))
    # period ends near the charged date as often as not: where span_end and `shifted` matter
    period_end = draw(st.none() | st.integers(1, 70).map(
        lambda d: charged_until + timedelta(days=d)) | st.just(start + timedelta(days=365)))
    return {
        "start": start, "charged_until": charged_until, "period_end": period_end,
        "resources": draw(st.fixed_dictionaries({"seats": st.integers(0, 40),
                                                  "storage": st.integers(0, 40)})),
        "raise_mark": draw(st.sampled_from([0, 0, 0, -1, 3])),
        "stored_price": draw(st.sampled_from([None, None, D("6.0"), D("6.00"), D("7.5")])),
        "status": draw(st.sampled_from([Status.ACTIVE] * 4 + [Status.STOPPED])),
        "auto_renew": draw(st.sampled_from([False, False, True])),
        "next_resources": draw(st.sampled_from([False] * 9 + [True])),
        "unpaid": draw(st.sampled_from([False] * 9 + [True])),
        "shifted": draw(st.booleans()),
        "anchor_day": draw(st.integers(1, 28)),
        "expiry_noticed": draw(st.sampled_from([True, True, False])),  # in its last month
        "stopped_days": draw(st.integers(0, 60)),
    }


def make_sub(sid: str, plan: Any, f: dict[str, Any]) -> Subscription:
    prices = capture_prices(plan, "P1Y")
    if f["stored_price"] is not None:  # captured before a price change, or stored as "6.0"
        prices["seats"] = UnitPrice(f["stored_price"], D(0))
    amounts = {r.id: f["resources"][r.id] for r in plan.resources}
    sub = Subscription(
        id=sid, customer=f"cust-{sid}", plan=plan.id, period="P1Y",
        billing_type=plan.billing_type, status=f["status"], start_date=f["start"],
        period_start=f["start"], period_end=f["period_end"], anchor_day=f["anchor_day"],
        charged_until=f["charged_until"], auto_renew=f["auto_renew"],
        resources=dict(amounts), prices=prices,
        high_water={k: v + f["raise_mark"] for k, v in amounts.items()},
        next_resources=dict(amounts) if f["next_resources"] else None,
        stopped_on=f["start"] + timedelta(days=f["stopped_days"])
        if f["status"] is Status.STOPPED else None,
        unpaid_since=f["charged_until"] if f["unpaid"] else None,
        expiry_noticed=f["period_end"] if f["expiry_noticed"] else None,
        shifted=f["shifted"], version=len(sid))
    sub.due_on = due_on(sub, plan)
    return sub


@st.composite
def cases(draw: Any, field: str | None = None) -> tuple[Any, ...]:
    billing_type = draw(st.sampled_from(["monthly", "monthly", "monthly_commitment",
                                         "long_term"]))
    res = [resource("seats", str(draw(st.decimals(D("0.01"), D("99.99"), places=2))),
                    primary=True, min=0, max=None,
                    setup_price=draw(st.sampled_from(["0", "5.00"])))]
    if draw(st.booleans()):
        res.append(resource("storage", "0.1250", min=0, max=None,
                            included=draw(st.integers(0, 10))))
    plan = make_plan(billing_type, currency=draw(st.sampled_from(["USD", "EUR"])),
                     resources=res, settings={
                         "price_lock": draw(st.booleans()),
                         "auto_renewal_point": draw(st.integers(0, 30)),
                         "expiry_notice_days": draw(st.integers(0, 20)),
                         "stopped_retention_days": draw(st.integers(0, 60)),
                         "grace_period_days": draw(st.integers(0, 5))})
    cust = Customer("c1", "Acme", billing_day=draw(st.integers(1, 28)),
                    currency=draw(st.sampled_from(["USD", "EUR"])),
                    credit_limit=draw(st.sampled_from([None, None, D("100")])))
    fields_a = sub_fields(draw)
    a, b = make_sub("sA", plan, fields_a), make_sub("sB", plan, sub_fields(draw, fields_a, field))
    late = draw(st.sampled_from([0, 0, 0, 1, 2]) | st.integers(0, 35))  # mostly on the day
    today = fields_a["charged_until"] + timedelta(days=late)
    balance = draw(st.sampled_from([None, None, None, D("0"), D("-500")]))
    return plan, cust, a, b, today, balance


def context(plan: Any, cust: Customer, sub: Subscription, today: date,
            balance: Decimal | None) -> Context:
    return Context(today=today, subscription=sub, plan=plan, customer=cust, actor=SYSTEM,
                   new_id=ids(), plans={plan.id: plan}, rates=RATES, balance=balance)


def same_decisions(got: list[Any], expected: list[Any]) -> None:
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert repr(g.subscription) == repr(e.subscription)
        assert g.operation == e.operation
        assert g.lines == e.lines  # line by line: amounts, prices, periods, descriptions
        assert (g.op_updates, g.events, g.routed) == (e.op_updates, e.events, e.routed)


def rows(codec: Codec, sub: Subscription, result: Any, today: date) -> Any:
    """The encoded rows with ids replaced by their order of appearance and timestamps cut;
    a folded operation's lines are its template's, expanded as line_reads.py reads them and
    encoded as a stored line is, so that they compare with the engine's line by line."""
    batch = encode_batch(codec, [(sub, result)], today, make_id=ids())
    op_ids = {row[0]: i for i, row in enumerate([*batch.ops, *batch.folded])}
    ops = [row[1:-2] for row in batch.ops] + [row[1:-3] for row in batch.folded]
    lines = [(op_ids[row[3]], *row[1:3], *row[4:]) for row in batch.lines]
    for row in batch.folded:
        template_id, lines_json, count, kind, start, amount = batch.templates[row[-1]]
        expanded = folded.expand(row[0], row[2], row[1], today, lines_json)
        assert (template_id, count, amount) == (row[-1], len(expanded),
                                                sum(units(ln.amount) for ln in expanded))
        assert {(ln.kind.value, codec.day(ln.period_start)) for ln in expanded} == {(kind, start)}
        lines += [(op_ids[row[0]], ln.customer, ln.subscription, ln.kind.value, ln.resource,
                   ln.description, codec.day(ln.period_start), codec.day(ln.period_end),
                   ln.quantity, units(ln.unit_price), units(ln.amount), ln.currency,
                   codec.day(ln.created_on)) for ln in expanded]
    subs = {}
    for cols, values in batch.subs.items():
        for value in values:
            subs.update(zip(cols, value, strict=False))
            assert value[-2:] == (sub.id, sub.version)
    if "due_on" not in subs:  # unchanged by the engine: the fast path writes the same value
        subs["due_on"] = codec.day(sub.due_on)
    return ops, lines, subs, batch.events, batch.op_updates, batch.counts


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_plain_prolongation_is_what_the_engine_decides_and_writes(case):
    # SPEC S7 (prolongation on the billing day), T4/T5 (exact money, one rounding per line),
    # S12 (the dedup key): the fast path decides and writes what the full engine does.
    compare(*case)


@pytest.mark.parametrize("field", FIELDS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_subscription_differing_in_one_field_is_decided_as_the_engine_does(field, data):
    # SPEC S7, T4/T5: B differs from A in `field` only — a key that missed an input the
    # prolongation reads (the period end, `shifted`, the high-water mark …) would give B
    # A's lines
    compare(*data.draw(cases(field)))


def compare(plan: Any, cust: Customer, a: Subscription, b: Subscription, today: date,
            balance: Decimal | None) -> None:
    cache = PlainProlongations()
    for sub in (a, b):
        expected = run_day(context(plan, cust, replace(sub), today, balance))
        found = cache.find(context(plan, cust, replace(sub), today, balance))
        if not isinstance(found, Hit):
            same_decisions(found, expected)
            continue
        event("a plain prolongation from its key")  # --hypothesis-show-statistics: how often
        assert sub is b  # the first subscription of a key is always decided in full
        same_decisions(decisions(context(plan, cust, replace(sub), today, balance), found),
                       expected)
        for codec in CODECS:
            assert rows(codec, sub, found, today) == rows(codec, sub, expected, today)


def plain_case(**changes: Any) -> tuple[Any, ...]:
    plan = make_plan("monthly", resources=[resource("seats", "6.00", primary=True, min=0,
                                                    max=None, setup_price="5.00")])
    start = date(2025, 3, 15)
    sub = Subscription(
        id="sA", customer="c1", plan=plan.id, period="P1Y", billing_type=plan.billing_type,
        status=Status.ACTIVE, start_date=start, period_start=start,
        period_end=date(2026, 3, 15), anchor_day=15, charged_until=date(2025, 9, 1),
        auto_renew=True, resources={"seats": 3}, prices=capture_prices(plan, "P1Y"),
        high_water={"seats": 3})
    for name, value in changes.items():
        setattr(sub, name, value)
    return plan, Customer("c1", "Acme"), sub, replace(sub, id="sB", version=4)


def test_the_second_subscription_of_a_plain_key_is_a_hit_with_its_own_ids():
    # SPEC S7, S12: same lines, its own operation and dedup key
    plan, cust, a, b = plain_case()
    cache, day = PlainProlongations(), date(2025, 9, 1)
    assert not isinstance(cache.find(context(plan, cust, replace(a), day, None)), Hit)
    hit = cache.find(context(plan, cust, replace(b), day, None))
    assert isinstance(hit, Hit) and hit.due_on == date(2025, 10, 1)
    [got] = decisions(context(plan, cust, replace(b), day, None), hit)
    assert got.operation.dedup_key == "prolong:sB:2025-09-01"
    assert got.operation.subscription == "sB" and [ln.amount for ln in got.lines] == [D("18.00")]


def test_a_hit_is_written_folded_and_the_engines_own_decision_is_not():
    # SPEC B1, issue 13: the hit's operation names its lines' template and writes no line
    # row; the first subscription of the key, decided by the engine, stores its lines
    plan, cust, a, b = plain_case()
    cache, day = PlainProlongations(), date(2025, 9, 1)
    first = cache.find(context(plan, cust, replace(a), day, None))
    hit = cache.find(context(plan, cust, replace(b), day, None))
    for codec in CODECS:
        engine = encode_batch(codec, [(a, first)], day, make_id=ids())
        assert (len(engine.ops), len(engine.lines), engine.folded) == (1, 1, [])
        batch = encode_batch(codec, [(b, hit), (replace(b, id="sC"), hit)], day, make_id=ids())
        assert (batch.ops, batch.lines, len(batch.folded)) == ([], [], 2)
        [template] = batch.templates.values()
        assert batch.folded[0][-1] == batch.folded[1][-1] == template[0]
        assert template[2:] == (1, "charge", codec.day(date(2025, 9, 1)), 180000)
        assert batch.counts == {"prolong": 2, "lines": 2}


def test_lines_that_differ_in_kind_period_or_currency_are_not_folded():
    # SPEC B1: a template's kind, period start and currency are read from its row, so only
    # lines sharing them are folded; at most nine (a position is one digit)
    line = ChargeLine(LineKind.CHARGE, "Seats", date(2025, 9, 1), date(2025, 10, 1), 3,
                      D("6.00"), D("18.00"), "USD", "seats")
    assert folded.template([line, replace(line, resource="disk")]) is not None
    for other in (replace(line, kind=LineKind.FEE), replace(line, period_start=None),
                  replace(line, currency="EUR")):
        assert folded.template([line, other]) is None
    assert folded.template([line] * 9) is not None
    assert folded.template([line] * 10) is None and folded.template([]) is None
    assert folded.split_id("op_1.9") == ("op_1", 9)
    assert [folded.split_id(i) for i in ("ln_1", "op_1.0", "op_1.10", ".1")] == [None] * 4


def test_setup_above_the_high_water_mark_is_not_plain():
    # SPEC C2: the prolongation raises the high-water mark, a column the fast path never
    # writes, so every subscription of that key goes to the full engine
    plan, cust, a, b = plain_case(high_water={"seats": 1})
    cache, day = PlainProlongations(), date(2025, 9, 1)
    for sub in (a, b):
        found = cache.find(context(plan, cust, replace(sub), day, None))
        assert not isinstance(found, Hit)
        assert found[0].subscription.high_water == {"seats": 3}


def test_a_customer_with_a_credit_limit_and_a_balance_is_never_plain():
    # SPEC S7: the charge may leave the prolongation unpaid (grace), decided in full
    plan, cust, a, b = plain_case()
    cust = replace(cust, credit_limit=D("10"))
    cache, day = PlainProlongations(), date(2025, 9, 1)
    for sub in (a, b):
        found = cache.find(context(plan, cust, replace(sub), day, D("0")))
        assert not isinstance(found, Hit)


def test_a_shifted_last_month_is_not_given_the_lines_of_an_unshifted_one():
    # SPEC S6 shifted + T5: in a shifted period the last billing month runs on to the period
    # end in one line; the same subscription unshifted is charged to the billing day only
    plan, cust, a, _ = plain_case(period_end=date(2025, 10, 15), auto_renew=False,
                                  expiry_noticed=date(2025, 10, 15))
    b = replace(a, id="sB", shifted=True)
    cache, day = PlainProlongations(), date(2025, 9, 1)
    cache.find(context(plan, cust, replace(a), day, None))
    found = cache.find(context(plan, cust, replace(b), day, None))
    expected = run_day(context(plan, cust, replace(b), day, None))
    assert expected[0].lines[0].period_end == date(2025, 10, 15)
    got = decisions(context(plan, cust, replace(b), day, None), found) \
        if isinstance(found, Hit) else found
    same_decisions(got, expected)


def test_the_cache_of_keys_is_bounded(monkeypatch):
    # issue 13 (bounded memory): a day of all-different keys does not grow the cache past
    # MAX_KEYS; it starts again, and a key learnt again still gives the engine's decision
    monkeypatch.setattr(plain_module, "MAX_KEYS", 3)
    plan, cust, a, _ = plain_case()
    cache, day = PlainProlongations(), date(2025, 9, 1)
    for seats in range(1, 8):
        sub = replace(a, id=f"s{seats}", resources={"seats": seats}, high_water={"seats": seats})
        cache.find(context(plan, cust, sub, day, None))
        assert len(cache.known) <= 3
    b = replace(a, id="sB", resources={"seats": 7}, high_water={"seats": 7})
    found = cache.find(context(plan, cust, replace(b), day, None))
    assert isinstance(found, Hit)
    same_decisions(decisions(context(plan, cust, replace(b), day, None), found),
                   run_day(context(plan, cust, replace(b), day, None)))
