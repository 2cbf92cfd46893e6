"""S9 stop / approve / reject / activate, S10 delete, S11 history, S12 exactly once."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction as F

import pytest

from prorata.domain.engine import due_on
from prorata.domain.model import LineKind, OpStatus, Status
from tests.unit.builders import CUSTOMER, Sim, cents, make_plan, resource, total

D = Decimal
BOUGHT = date(2024, 8, 20)


def monthly(settings=None, **kw):
    return Sim(make_plan("monthly", settings=settings or {}, **kw), BOUGHT,
               {"resources": {"seats": 10}})


# --- S9 stop / approval ---------------------------------------------------------------------

def test_stop_with_approval_waits_then_approve_stops_and_refunds():
    # SPEC S9: with stop_requires_approval a stop waits as waiting_for_approval until a
    # manager approves it.
    sim = monthly({"stop_requires_approval": True})
    d = sim.do(date(2024, 8, 25), {"type": "stop"}, actor=CUSTOMER)
    assert d.operation.status is OpStatus.WAITING_FOR_APPROVAL
    assert d.lines == [] and total(d.shown) == -cents(F(60) * 7 / 31)
    assert sim.sub.status is Status.ACTIVE and sim.sub.stop_request == d.operation.id
    assert sim.refusal(date(2024, 8, 25), "stop") == "stop_pending_approval"
    assert sim.refusal(date(2024, 8, 26), "approve", actor=CUSTOMER) == "managers_only"
    a = sim.do(date(2024, 8, 26), {"type": "approve"})
    assert sim.sub.status is Status.STOPPED
    assert total(a.lines) == -cents(F(60) * 6 / 31) == D("-11.61")   # refunded from approval
    assert sim.ops[d.operation.id].status is OpStatus.COMPLETED


def test_reject_cancels_the_stop_request():
    # SPEC S9: a manager rejects it; the subscription stays active.
    sim = monthly({"stop_requires_approval": True})
    d = sim.do(date(2024, 8, 25), {"type": "stop"}, actor=CUSTOMER)
    sim.do(date(2024, 8, 26), {"type": "reject", "reason": "call us first"})
    assert sim.ops[d.operation.id].status is OpStatus.CANCELLED
    assert sim.sub.status is Status.ACTIVE and sim.sub.stop_request is None
    assert sim.lines[1:] == []
    assert sim.refusal(date(2024, 8, 26), "reject") == "nothing_to_approve"


def test_customer_group_can_require_stop_approval():
    # SPEC S9: stop_requires_approval on the plan, or on the customer's group.
    sim = monthly()
    sim.stop_needs_approval = True
    d = sim.do(date(2024, 8, 25), {"type": "stop"})
    assert d.operation.status is OpStatus.WAITING_FOR_APPROVAL


def test_stop_without_approval_is_immediate():
    # SPEC S9
    sim = monthly()
    d = sim.do(date(2024, 8, 25), {"type": "stop"})
    assert d.operation.status is OpStatus.COMPLETED
    assert sim.sub.status is Status.STOPPED and sim.sub.stopped_on == date(2024, 8, 25)
    assert sim.refusal(date(2024, 8, 26), "stop") == "subscription_not_active"


# --- S9 activate ----------------------------------------------------------------------------

def test_activate_charges_the_rest_of_the_billing_month():
    # SPEC S9: activate charges the rest of the current charging period where the stop
    # refunded it.
    sim = monthly()
    sim.do(date(2024, 8, 25), {"type": "stop"})
    d = sim.do(date(2024, 8, 28), {"type": "activate"})
    assert total(d.lines) == cents(F(60) * 4 / 31) == D("7.74")
    assert sim.sub.status is Status.ACTIVE and sim.sub.charged_until == date(2024, 9, 1)
    sim.advance(date(2024, 9, 1))
    assert sim.lines[-1].amount == D("60.00")


def test_activate_after_a_skipped_billing_day():
    # SPEC S9: nothing is charged while stopped; activation charges from that day.
    sim = monthly()
    sim.do(date(2024, 8, 25), {"type": "stop"})
    d = sim.do(date(2024, 9, 10), {"type": "activate"})
    [line] = d.lines
    assert (line.period_start, line.period_end) == (date(2024, 9, 10), date(2024, 10, 1))
    assert line.amount == cents(F(60) * 21 / 30) == D("42.00")
    assert not [ln for ln in sim.lines if ln.period_start == date(2024, 9, 1)]


def test_activate_long_term_charges_the_rest_of_the_period():
    # SPEC S9 for whole-period charging.
    sim = Sim(make_plan("long_term", price="60.00"), date(2024, 1, 1),
              {"resources": {"seats": 10}})
    stop = sim.do(date(2024, 7, 1), {"type": "stop"})
    d = sim.do(date(2024, 9, 1), {"type": "activate"})   # within the 90 retention days
    assert total(stop.lines) == -cents(F(600) * 184 / 366)
    assert total(d.lines) == cents(F(600) * 122 / 366) == D("200.00")


def test_activate_commitment_charges_nothing_more():
    # SPEC S9: the commitment was never refunded, so activation adds nothing.
    sim = Sim(make_plan("monthly_commitment"), BOUGHT, {"resources": {"seats": 10}})
    sim.do(date(2024, 8, 25), {"type": "stop"})
    sim.advance(date(2024, 9, 1))
    d = sim.do(date(2024, 9, 10), {"type": "activate"})
    assert d.lines == []
    assert sum(1 for ln in sim.lines if ln.period_start == date(2024, 9, 1)) == 1


def test_activate_refused_once_the_period_has_ended():
    # DESIGN "Stop": activation is refused once the period has ended.
    sim = Sim(make_plan("monthly", periods=["P1M"]), BOUGHT, {"resources": {"seats": 1}})
    sim.do(date(2024, 8, 25), {"type": "stop"})
    sim.advance(date(2024, 9, 20))
    assert sim.sub.status is Status.EXPIRED
    assert sim.refusal(date(2024, 9, 21), "activate") == "subscription_not_stopped"


# --- S9 retention ---------------------------------------------------------------------------

def test_stopped_subscription_is_deleted_after_the_retention_days():
    # SPEC S9: a subscription stopped for stopped_retention_days is deleted.
    sim = Sim(make_plan("monthly", periods=None, settings={"stopped_retention_days": 90}),
              BOUGHT, {"resources": {"seats": 10}})
    sim.do(date(2024, 8, 25), {"type": "stop"})
    deleted_on = date(2024, 8, 25) + timedelta(days=90)
    sim.advance(deleted_on - timedelta(days=1))
    assert sim.sub.status is Status.STOPPED
    sim.advance(deleted_on)
    assert sim.sub.status is Status.DELETED
    [op] = sim.ops_of("delete")
    assert op.params == {"reason": "stopped"} and op.created_on == date(2024, 11, 23)


def test_stopped_subscription_expires_at_its_period_end():
    # DESIGN "Stop": at its period end a stopped subscription expires like an active one.
    sim = Sim(make_plan("monthly", periods=["P1M"]), BOUGHT, {"resources": {"seats": 1}})
    sim.do(date(2024, 8, 25), {"type": "stop"})
    sim.advance(date(2024, 9, 19))
    assert sim.sub.status is Status.STOPPED
    sim.advance(date(2024, 9, 20))
    assert sim.sub.status is Status.EXPIRED


# --- S10 delete -----------------------------------------------------------------------------

def test_delete_on_the_first_day_refunds_everything_charged():
    # SPEC S10: within the first 24 hours the last charge is refunded in full (setup too).
    plan = make_plan("monthly", resources=[resource("seats", "6.00", setup_price="2.50")])
    sim = Sim(plan, BOUGHT, {"resources": {"seats": 10}})
    charged = total(sim.lines)
    assert charged == cents(F(60) * 12 / 31) + D("25.00")
    d = sim.do(BOUGHT, {"type": "delete"})
    assert [ln.kind for ln in d.lines] == [LineKind.REFUND]
    assert total(d.lines) == -charged
    assert sim.sub.status is Status.DELETED


def test_delete_later_refunds_the_unused_days():
    # SPEC S10: later, its unused days are refunded (23 Aug - 1 Sep = 9/31).
    sim = monthly()
    d = sim.do(date(2024, 8, 23), {"type": "delete"})
    assert total(d.lines) == -cents(F(60) * 9 / 31) == D("-17.42")


@pytest.mark.parametrize("hours,last_ok", [(168, 6), (48, 1), (24, 0)])
def test_delete_refused_outside_the_deletion_window(hours, last_ok):
    # SPEC S10 + DESIGN: (today - anchor) x 24 h < deletion_window_hours.
    sim = monthly({"deletion_window_hours": hours})
    assert sim.available(BOUGHT + timedelta(days=last_ok))["delete"] is None
    assert sim.refusal(BOUGHT + timedelta(days=last_ok + 1), "delete") == \
        "outside_deletion_window"


def test_deletion_window_reopens_with_a_new_period():
    # SPEC S10: within deletion_window_hours of the start of the current period.
    sim = Sim(make_plan("long_term", price="60.00"), date(2024, 1, 1),
              {"resources": {"seats": 10}})
    sim.advance(date(2024, 12, 31))                     # auto renewal order (point 0)
    sim.advance(date(2025, 1, 2))
    assert sim.sub.period_start == date(2025, 1, 1)
    d = sim.do(date(2025, 1, 2), {"type": "delete"})
    assert total(d.lines) == -cents(F(600) * 364 / 365) == D("-598.36")


def test_delete_on_the_first_day_of_a_renewed_period_refunds_the_renewal():
    # SPEC S10: "the last charge" is the renewal's when deleted on the new period's first day.
    sim = Sim(make_plan("long_term", price="60.00"), date(2024, 1, 1),
              {"resources": {"seats": 10}})
    sim.advance(date(2025, 1, 1))
    d = sim.do(date(2025, 1, 1), {"type": "delete"})
    assert total(d.lines) == D("-600.00")


def test_stopped_subscription_can_be_deleted_without_a_second_refund():
    # SPEC S10 + S9: the stop already refunded the unused days.
    sim = monthly()
    sim.do(date(2024, 8, 22), {"type": "stop"})
    d = sim.do(date(2024, 8, 23), {"type": "delete"})
    assert d.lines == []
    assert sim.given_back == cents(F(60) * 10 / 31)


# --- S11 change history ---------------------------------------------------------------------

def test_every_operation_is_kept_with_type_actor_params_status_and_amount():
    # SPEC S11
    sim = monthly()
    d = sim.do(date(2024, 8, 25), {"type": "change_resources", "resources": {"seats": 11}},
               actor=CUSTOMER)
    op = d.operation
    assert (op.type, op.actor, op.status) == ("change_resources", "customer:c1",
                                              OpStatus.COMPLETED)
    assert op.params == {"resources": {"seats": 11}}
    assert op.created_on == op.effective_on == date(2024, 8, 25)
    assert op.amount == total(d.lines) and op.currency == "USD"
    sim.advance(date(2024, 9, 1))
    assert [o.type for o in sim.ops.values()] == ["purchase", "change_resources", "prolong"]


def test_restricted_auto_renewal_is_skipped_and_recorded():
    # SPEC P6 + S11: automatic renewal is skipped and the skip is recorded with its reason.
    sim = monthly({"auto_renewal_point": 7})
    sim.restricted = True
    sim.advance(date(2025, 8, 12))
    [op] = sim.ops_of("renew")
    assert op.status is OpStatus.SKIPPED and op.error_code == "restricted_party"
    assert sim.sub.renewal_order is None
    sim.advance(date(2025, 8, 20))
    assert sim.sub.status is Status.EXPIRED


# --- S12 exactly once -----------------------------------------------------------------------

def test_running_a_day_twice_does_nothing_the_second_time():
    # SPEC S12: every scheduled action happens exactly once per subscription and date,
    # however often the scheduler runs (Sim asserts dedup keys are never repeated).
    sim = monthly({"auto_renewal_point": 7, "manual_renewal_point": 15})
    day = BOUGHT
    while day <= date(2025, 9, 2):
        day += timedelta(days=1)
        sim.run(day)
        assert sim.run(day) == [], day
    keys = [op.dedup_key for op in sim.ops.values() if op.dedup_key]
    assert len(keys) == len(set(keys)) > 12
    assert "auto_renew:s1:2025-08-20" in keys


def test_due_on_is_never_later_than_the_next_day_with_work():
    # SPEC S12 (scheduler selection): the daily run finds nothing to do before `due_on`.
    plan = make_plan("monthly", periods=["P3M"], settings={"auto_renewal_point": 5,
                                                           "manual_renewal_point": 10})
    sim = Sim(plan, BOUGHT, {"resources": {"seats": 10}})
    sim.sub.due_on = due_on(sim.sub, plan)
    day = BOUGHT
    worked = []
    while day < date(2025, 3, 1):
        day += timedelta(days=1)
        expected = sim.sub.due_on
        decisions = sim.run(day)
        if decisions:
            worked.append(day)
            assert expected is not None and expected <= day, (day, expected)
    assert worked[:3] == [date(2024, 9, 1), date(2024, 10, 1), date(2024, 11, 1)]
    assert date(2024, 11, 14) in worked   # expires_on 19 Nov - 5: the renewal order
    assert date(2024, 11, 20) in worked   # the renewal takes effect


def test_stop_refund_is_capped_at_what_was_charged():
    # DESIGN "Refund cap": three single seats charged 6.00 x 12/31 = 2.32 each (6.96); a stop
    # the same day would refund 18.00 x 12/31 = 6.97 without the cap.
    sim = Sim(make_plan("monthly"), BOUGHT, {"resources": {"seats": 1}})
    sim.do(BOUGHT, {"type": "change_resources", "resources": {"seats": 2}})
    sim.do(BOUGHT, {"type": "change_resources", "resources": {"seats": 3}})
    assert [ln.amount for ln in sim.lines] == [cents(F(6) * 12 / 31)] * 3 == [D("2.32")] * 3
    d = sim.do(BOUGHT, {"type": "stop"})
    assert cents(F(18) * 12 / 31) == D("6.97")
    assert total(d.lines) == D("-6.96")
