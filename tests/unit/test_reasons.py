"""SPEC S2 reasons before the click: `unavailable_operations` is `refusal()` for every
operation, in many states reached by random histories, and `decide` refuses with the same
code and message; dates in a reason are in its message."""

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prorata.domain.engine import (
    OPERATIONS,
    SYSTEM,
    available_operations,
    operations_both_ways,
    refusal,
    unavailable_operations,
)
from prorata.domain.errors import DomainError, OperationRefused
from tests.unit.builders import CUSTOMER, Sim, make_plan

START = date(2024, 8, 20)
TYPES = ("monthly", "monthly_commitment", "long_term", "reservation", "non_recurring",
         "trial", "payg")
BODIES = {
    "change_resources": {"resources": {"seats": 7}}, "renew": {}, "prolong": {},
    "switch_plan": {"plan": "gold", "timing": "now"}, "stop": {}, "activate": {},
    "delete": {}, "change_renewal_options": {"auto_renew": False}, "cancel_switch": {},
    "approve": {}, "reject": {},
}


def _sim(billing_type: str, approval: bool) -> Sim:
    periods = () if billing_type == "payg" else ("P1Y",)
    plan = make_plan(billing_type, periods=periods,
                     switch_to=[{"plan": "gold", "kind": "upgrade"}],
                     settings={"deletion_window_hours": 72})
    gold = make_plan(billing_type, plan_id="gold", price="9.00", periods=periods)
    body = {"resources": {}} if billing_type == "payg" else None
    sim = Sim(plan, START, body, plans=[gold])
    sim.stop_needs_approval = approval
    return sim


def _check(sim: Sim, day: date, actor: object) -> None:
    ctx = sim.ctx(day, actor)
    reasons = unavailable_operations(ctx)
    # SPEC S2: exactly the operations refusal() refuses, with the very same reason.
    assert reasons == {op: r for op in OPERATIONS if (r := refusal(ctx, op)) is not None}
    # both ways at once (a subscription's view): the same lists, in the same order
    assert operations_both_ways(ctx) == (available_operations(ctx), reasons)
    assert list(operations_both_ways(ctx)[1]) == list(reasons)
    assert available_operations(ctx) == [op for op in OPERATIONS if refusal(ctx, op) is None]
    for op, reason in reasons.items():
        assert reason.message and reason.code
        for day_given in (reason.opens_on, reason.closes_on):
            if day_given is not None:  # never only the code: the date is in the message
                assert day_given.isoformat() in reason.message
        try:
            sim.quote(day, {"type": op, **BODIES[op]}, actor)
        except OperationRefused as exc:
            assert (exc.code, exc.message) == (reason.code, reason.message)
        else:
            raise AssertionError(f"{op} was accepted though refused with {reason}")


steps = st.lists(st.tuples(st.integers(0, 120), st.sampled_from(OPERATIONS)), max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(billing_type=st.sampled_from(TYPES), approval=st.booleans(), history=steps,
       as_customer=st.booleans())
def test_unavailable_map_equals_refusal_in_many_states(billing_type, approval, history,
                                                       as_customer):
    # SPEC S2: one function; the map is refusal() for every op, in every state reached.
    sim = _sim(billing_type, approval)
    day = START
    actor = CUSTOMER if as_customer else SYSTEM
    for gap, op in history:
        day += timedelta(days=gap)
        try:
            sim.do(day, {"type": op, **BODIES[op]})
        except DomainError:
            pass
        _check(sim, day, actor)


def test_renewal_window_reason_gives_the_opening_day():
    # SPEC S5.1: renew before the window: not_in_renewal_window, opens expires_on - point.
    sim = _sim("monthly", False)
    reason = unavailable_operations(sim.ctx(START + timedelta(days=3)))["renew"]
    expires = sim.sub.expires_on
    opens = expires - timedelta(days=sim.plan.settings.manual_renewal_point)
    assert (reason.code, reason.opens_on, reason.closes_on) == \
        ("not_in_renewal_window", opens, None)
    assert f"renewal opens on {opens.isoformat()}" in reason.message


def test_deletion_window_reason_gives_the_closing_day():
    # SPEC S10: 72 hours from the purchase day: deletable on days 0-2, refused from day 3.
    sim = _sim("monthly", False)
    assert "delete" not in unavailable_operations(sim.ctx(START + timedelta(days=2)))
    sim.advance(START + timedelta(days=3))
    reason = unavailable_operations(sim.ctx(START + timedelta(days=3)))["delete"]
    assert (reason.code, reason.closes_on) == ("outside_deletion_window",
                                               START + timedelta(days=3))
    assert "2024-08-23" in reason.message
