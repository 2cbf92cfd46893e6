"""Hypothesis properties of the engine: proration adds up (T4/T5), refunds never exceed
charges (C5, S4, S9, S10, DESIGN refund cap), a decision is a pure function of its context
(preview = commit), and money rounding is symmetric and exact (T5)."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from prorata.domain.calendar import billing_month
from prorata.domain.engine import RateTable, decide
from prorata.domain.engine.pricing import Config, Pricer, capture_prices
from prorata.domain.errors import DomainError
from prorata.domain.model import LineKind, Status
from prorata.domain.money import round_money
from tests.unit.builders import Sim, customer, make_plan, resource, total

D = Decimal
CENT = D("0.01")
FAST = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=100, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

prices = st.decimals(min_value=D("0.0001"), max_value=D("999.9999"), places=4)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


def cut(start: date, end: date, offsets: list[int]) -> list[tuple[date, date]]:
    length = (end - start).days
    points = sorted({start, end, *(start + timedelta(days=o % length) for o in offsets)})
    return list(zip(points, points[1:], strict=False))


# --- (1) prorated pieces add up to the whole ------------------------------------------------

@FAST
@given(price=prices, units=st.integers(1, 500), billing_day=st.integers(1, 28), day=days,
       offsets=st.lists(st.integers(0, 400), max_size=6))
def test_pieces_of_a_billing_month_add_up_to_the_month(price, units, billing_day, day,
                                                       offsets):
    # SPEC T4/T5: a billing month cut into pieces, each prorated and rounded once, adds up to
    # the monthly price within one minor unit per piece.
    plan = make_plan("monthly", periods=None, resources=[resource("seats", str(price), min=0,
                                                                  max=None)])
    cfg = Config(plan, None, {"seats": units}, capture_prices(plan, None))
    p = Pricer("USD", billing_day, RateTable(), day)
    start, end = billing_month(day, billing_day)
    pieces = cut(start, end, offsets)
    amounts = [total(p.recurring(cfg, s, e, kind=LineKind.CHARGE, ref=None))
               for s, e in pieces]
    whole = round_money(Fraction(price) * units, "USD")
    assert abs(sum(amounts, D(0)) - whole) <= CENT * len(pieces)
    # and each piece is its own exact share rounded once
    for (s, e), amount in zip(pieces, amounts, strict=True):
        exact = Fraction(price) * units * (e - s).days / (end - start).days
        assert abs(amount - Decimal(exact.numerator) / Decimal(exact.denominator)) <= D("0.005")


@FAST
@given(price=prices, units=st.integers(1, 500), start=days,
       period=st.sampled_from(["P1M", "P3M", "P1Y", "P3Y", "P30D"]),
       offsets=st.lists(st.integers(0, 1200), max_size=6))
def test_pieces_of_a_subscription_period_add_up_to_the_period(price, units, start, period,
                                                              offsets):
    # SPEC T4/T5 for whole-period charging: the reference is the subscription period.
    plan = make_plan("long_term", periods=[period],
                     resources=[resource("seats", str(price), min=0, max=None)])
    from prorata.domain.engine.purchase import start_period
    end = start_period(plan, period, start)
    cfg = Config(plan, period, {"seats": units}, capture_prices(plan, period))
    p = Pricer("USD", 1, RateTable(), start)
    pieces = cut(start, end, offsets)
    amounts = [total(p.recurring(cfg, s, e, kind=LineKind.CHARGE, ref=(start, end)))
               for s, e in pieces]
    whole = round_money(Fraction(price) * units, "USD")
    assert abs(sum(amounts, D(0)) - whole) <= CENT * len(pieces)


# --- (2) refunds never exceed what was charged ----------------------------------------------

actions = st.lists(
    st.tuples(st.sampled_from([0, 0, 1, 3, 9, 20]),
              st.sampled_from(["up", "up", "down", "stop", "activate", "delete", "switch"]),
              st.sampled_from([1, 1, 2, 7, 40])),
    max_size=6)


@SLOW
@given(billing_type=st.sampled_from(["monthly", "monthly_commitment", "long_term",
                                     "reservation"]),
       price=st.decimals(min_value=D("0.01"), max_value=D("99.99"), places=2),
       setup=st.sampled_from(["0", "0", "1.25"]), billing_day=st.integers(1, 28),
       start=st.dates(min_value=date(2023, 1, 1), max_value=date(2025, 12, 31)),
       seats=st.sampled_from([1, 2, 3, 17]), steps=actions)
# three single seats charged 12/31 x 6.00 = 2.32 each; stopping all three the same day would
# refund 18 x 12/31 = 6.97 > 6.96 without the cap
@example(billing_type="monthly", price=D("6.00"), setup="0", billing_day=1,
         start=date(2024, 8, 20), seats=1, steps=[(0, "up", 1), (0, "up", 1), (0, "stop", 1)])
def test_refunds_never_exceed_charges(billing_type, price, setup, billing_day, start, seats,
                                      steps):
    # SPEC C5/S4/S8/S9/S10 + DESIGN refund cap: for any purchase followed by changes up and
    # down, switches, stops, activations and a deletion on random days, the sum of refund and
    # credit lines never exceeds the sum of charges of the subscription.
    silver = make_plan(billing_type, plan_id="silver",
                       resources=[resource("seats", str(price * 2), setup_price=setup)])
    plan = make_plan(billing_type, price=str(price),
                     resources=[resource("seats", str(price), setup_price=setup)],
                     switch_to=[{"plan": "silver", "kind": "upgrade"}])
    sim = Sim(plan, start, {"resources": {"seats": seats}}, cust=customer(billing_day),
              plans=[silver])
    day = start
    for gap, action, amount in steps:
        day += timedelta(days=gap)
        current = sim.sub.resources.get("seats", 1)
        body = {
            "up": {"type": "change_resources", "resources": {"seats": current + amount}},
            "down": {"type": "change_resources",
                     "resources": {"seats": max(1, current - amount)}},
            "stop": {"type": "stop"}, "activate": {"type": "activate"},
            "delete": {"type": "delete"}, "switch": {"type": "switch_plan", "plan": "silver"},
        }[action]
        try:
            sim.do(day, body)
        except DomainError:
            pass
        assert sim.given_back <= sim.charged, (sim.lines, sim.ops)
    sim.advance(day + timedelta(days=35))
    assert sim.given_back <= sim.charged


# --- (3) a decision depends on its context only (preview equals commit) ---------------------

bodies = st.sampled_from([
    {"type": "change_resources", "resources": {"seats": 14}},
    {"type": "change_resources", "resources": {"seats": 3}},
    {"type": "stop"}, {"type": "delete"}, {"type": "renew"},
    {"type": "prolong", "resources": {"seats": 7}},
    {"type": "switch_plan", "plan": "silver"},
    {"type": "switch_plan", "plan": "silver", "timing": "end_of_cycle"},
])


@SLOW
@given(billing_type=st.sampled_from(["monthly", "monthly_commitment", "long_term"]),
       start=st.dates(min_value=date(2023, 1, 1), max_value=date(2025, 12, 31)),
       offset=st.integers(0, 370), body=bodies, billing_day=st.integers(1, 28))
def test_deciding_twice_on_equal_contexts_gives_equal_results(billing_type, start, offset,
                                                              body, billing_day):
    # SPEC S2/S12 (preview = commit): `decide` is a function of the context; it neither
    # depends on hidden state nor changes the subscription it was given.
    silver = make_plan(billing_type, plan_id="silver", price="9.00")
    plan = make_plan(billing_type, switch_to=[{"plan": "silver", "kind": "upgrade"}],
                     settings={"manual_renewal_point": 60})
    sim = Sim(plan, start, {"resources": {"seats": 10}}, cust=customer(billing_day),
              plans=[silver])
    day = start + timedelta(days=offset)
    sim.advance(day)
    before = repr(sim.sub)
    results = []
    for _ in range(2):
        try:
            d = decide(sim.ctx(day), dict(body))
        except DomainError as exc:
            results.append(("refused", exc.code))
            continue
        op = d.operation
        results.append((d.lines, d.shown, op.type, op.status, op.params, op.amount,
                        op.effective_on, d.subscription.resources, d.subscription.period_end,
                        d.subscription.charged_until, d.subscription.status))
    assert results[0] == results[1]
    assert repr(sim.sub) == before


# --- (4) money rounding ---------------------------------------------------------------------

fractions = st.fractions(min_value=-10**9, max_value=10**9, max_denominator=10**6)


@FAST
@given(x=fractions, currency=st.sampled_from(["USD", "JPY", "KWD"]))
def test_rounding_is_symmetric_and_exact(x, currency):
    # SPEC T5 / DESIGN: half-up, symmetric around zero, once, to the minor unit.
    places = {"USD": 2, "JPY": 0, "KWD": 3}[currency]
    r = round_money(x, currency)
    assert round_money(-x, currency) == -r
    # exact: a multiple of the minor unit, at most half a unit away, ties away from zero
    unit = Fraction(1, 10**places)
    assert Fraction(r) / unit == int(Fraction(r) / unit)
    assert abs(Fraction(r) - x) <= unit / 2
    if abs(Fraction(r) - x) == unit / 2:
        assert abs(Fraction(r)) > abs(x)
    assert -r.as_tuple().exponent == places


@FAST
@given(cents_=st.integers(-10**12, 10**12))
def test_rounding_keeps_amounts_already_in_minor_units(cents_):
    # SPEC T5: rounding an amount that is already exact changes nothing.
    x = Fraction(cents_, 100)
    assert Fraction(round_money(x, "USD")) == x


# --- (5) the days paid for are the days held ------------------------------------------------

journeys = st.lists(st.tuples(
    st.integers(0, 40),
    st.sampled_from(["up", "down", "stop", "activate", "switch", "eoc", "renew",
                     "change_renewal_options", "prolong", "delete"]),
    st.integers(1, 5)), max_size=8)


@SLOW
@given(billing_type=st.sampled_from(["monthly", "monthly_commitment", "long_term",
                                     "reservation"]),
       billing_day=st.integers(1, 28), start=st.dates(date(2023, 1, 1), date(2025, 1, 1)),
       period=st.sampled_from(["P1M", "P3M", "P1Y"]), steps=journeys,
       auto_renew=st.booleans(), point=st.integers(0, 10))
def test_units_paid_for_each_day_equal_the_units_held(billing_type, billing_day, start, period,
                                                      steps, auto_renew, point):
    # SPEC T4 (the day of a change belongs to the new configuration), S3-S9: through
    # purchases, changes, prolongations, renewal orders, switches, stops and activations, the
    # net units charged for each day (charges minus refunds and credits) equal the units the
    # subscription holds that day, never counting a day twice nor leaving one unpaid.
    keep = {"stopped_retention_days": 1000}
    silver = make_plan(billing_type, plan_id="silver", periods=[period], price="9.00",
                       settings=keep, switch_to=[{"plan": "basic", "kind": "upgrade"}])
    plan = make_plan(billing_type, periods=[period],
                     switch_to=[{"plan": "silver", "kind": "upgrade"}],
                     settings={"auto_renewal_point": point, "manual_renewal_point": 20, **keep})
    sim = Sim(plan, start, {"resources": {"seats": 3}, "auto_renew": auto_renew},
              cust=customer(billing_day), plans=[silver])
    held: dict[date, int] = {}

    def snapshot(day: date) -> None:
        sub = sim.sub
        paying = sub.status is Status.ACTIVE or (
            sub.status is Status.STOPPED and not sim.plans[sub.plan].refund_on_stop)
        held[day] = sub.resources["seats"] if paying else 0

    def walk(day: date, days: int) -> date:
        for _ in range(days):
            day += timedelta(days=1)
            sim.advance(day)
            snapshot(day)
        return day

    snapshot(start)
    day = start
    for gap, action, n in steps:
        day = walk(day, gap)
        current = sim.sub.resources["seats"]
        other = "silver" if sim.sub.plan == "basic" else "basic"
        body = {"up": {"type": "change_resources", "resources": {"seats": current + n}},
                "down": {"type": "change_resources",
                         "resources": {"seats": max(1, current - n)}},
                "switch": {"type": "switch_plan", "plan": other},
                "eoc": {"type": "switch_plan", "plan": other, "timing": "end_of_cycle"},
                "renew": {"type": "renew", "resources": {"seats": n}},
                "prolong": {"type": "prolong", "resources": {"seats": n}},
                }.get(action, {"type": action})
        try:
            sim.do(day, body)
        except DomainError:
            pass
        snapshot(day)
    walk(day, 60)
    if any(ln.kind is LineKind.REFUND and ln.resource is None for ln in sim.lines):
        return  # deleted on its first day: one full-refund line (S10), not per resource
    paid: dict[date, int] = {}
    for ln in sim.lines:
        if ln.resource != "seats" or ln.kind is LineKind.FEE:
            continue
        sign = 1 if ln.kind is LineKind.CHARGE else -1
        d = ln.period_start
        while d < ln.period_end:
            paid[d] = paid.get(d, 0) + sign * ln.quantity
            d += timedelta(days=1)
    assert {d: paid.get(d, 0) for d in held} == held
