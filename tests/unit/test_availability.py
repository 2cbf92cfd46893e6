"""S1 statuses, S2 availability with refusal codes, and the C5 table row by row."""

from datetime import date
from decimal import Decimal
from fractions import Fraction as F

import pytest

from prorata.domain.engine import OPERATIONS
from prorata.domain.errors import OperationRefused
from prorata.domain.model import TRANSITIONAL, LineKind, Status
from tests.unit.builders import Sim, cents, make_plan, of_kind, total

D = Decimal
# --- S1 -------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", sorted(TRANSITIONAL))
def test_transitional_status_refuses_every_operation_with_subscription_busy(status):
    # SPEC S1: in a transitional status no operation is available; each is refused with
    # subscription_busy.
    sim = Sim(make_plan("monthly", switch_to=[{"plan": "gold", "kind": "upgrade"}]),
              date(2024, 8, 20), plans=[make_plan(plan_id="gold", price="9.00")])
    sim.sub.status = status
    avail = sim.available(date(2024, 8, 21))
    assert set(avail) == set(OPERATIONS)
    assert set(avail.values()) == {"subscription_busy"}
    for op in OPERATIONS:
        body = {"type": op, "resources": {"seats": 6}, "plan": "gold"}
        assert sim.refusal(date(2024, 8, 21), body) == "subscription_busy"


def test_stable_and_transitional_statuses():
    # SPEC S1: stable active/stopped/expired/deleted; six transitional ones.
    assert {s.value for s in TRANSITIONAL} == {"activating", "updating", "renewing", "switching",
                                               "stopping", "deleting"}
    assert {s.value for s in Status} - {s.value for s in TRANSITIONAL} == \
        {"active", "stopped", "expired", "deleted"}


def test_deleted_subscription_refuses_everything():
    # SPEC S10: deletion is final.
    sim = Sim(make_plan("monthly"), date(2024, 8, 20))
    sim.do(date(2024, 8, 20), {"type": "delete"})
    assert set(sim.available(date(2024, 8, 21)).values()) == {"subscription_deleted"}
    assert sim.run(date(2024, 9, 1)) == []  # no prolongation after deletion


# --- S2 -------------------------------------------------------------------------------------

def test_available_operations_of_a_fresh_monthly_subscription():
    # SPEC S2: one function gives every operation with None or the code that says why.
    sim = Sim(make_plan("monthly", switch_to=[{"plan": "gold", "kind": "upgrade"}]),
              date(2024, 8, 20), plans=[make_plan(plan_id="gold", price="9.00")])
    assert sim.available(date(2024, 8, 22)) == {
        "change_resources": None, "renew": "not_in_renewal_window", "prolong": None,
        "switch_plan": None, "stop": None, "activate": "subscription_not_stopped",
        "delete": None, "change_renewal_options": "no_renewal_order",
        "cancel_switch": "no_scheduled_switch", "approve": "nothing_to_approve",
        "reject": "nothing_to_approve",
    }


def test_decide_refuses_with_the_availability_code():
    # SPEC S2: an operation that is not available is refused with a code that says why.
    sim = Sim(make_plan("monthly"), date(2024, 8, 20))
    with pytest.raises(OperationRefused) as err:
        sim.quote(date(2024, 8, 22), {"type": "renew"})
    assert err.value.code == "not_in_renewal_window"
    assert "30 days" in err.value.message
    assert sim.refusal(date(2024, 8, 22), "switch_plan") == "no_switch_targets"
    assert sim.refusal(date(2024, 8, 22), {"type": "bogus"}) == "unknown_operation"


def test_restricted_party_refuses_change_renew_and_switch_only():
    # SPEC P6 through S2: restricted parties cannot change_resources, renew or switch_plan.
    sim = Sim(make_plan("monthly", switch_to=[{"plan": "gold", "kind": "upgrade"}],
                        settings={"manual_renewal_point": 365}),
              date(2024, 8, 20), plans=[make_plan(plan_id="gold")])
    sim.restricted = True
    avail = sim.available(date(2024, 8, 22))
    assert avail["change_resources"] == avail["renew"] == avail["switch_plan"] == \
        "restricted_party"
    assert avail["stop"] is None and avail["prolong"] is None


# --- C5, row by row -------------------------------------------------------------------------

STOP_DAY = date(2024, 8, 25)


def test_c5_monthly_stop_refunds_unused_days_and_decrease_refunds():
    # SPEC C5 monthly: stop refunds prorated unused days; decrease allowed with a refund.
    sim = Sim(make_plan("monthly"), date(2024, 8, 20), {"resources": {"seats": 10}})
    d = sim.quote(STOP_DAY, {"type": "change_resources", "resources": {"seats": 4}})
    assert total(d.lines) == -cents(F(36) * 7 / 31)  # 6 seats x 6.00 x 7/31 days
    d = sim.do(STOP_DAY, {"type": "stop"})
    [line] = d.lines
    assert line.kind is LineKind.REFUND
    assert line.amount == -cents(F(60) * 7 / 31) == D("-13.55")  # 25 Aug - 1 Sep


def test_c5_monthly_commitment_no_refund_charges_continue_and_decrease_refused():
    # SPEC C5 monthly_commitment: stop refunds nothing; monthly charges continue to term end;
    # decrease refused with `commitment`.
    sim = Sim(make_plan("monthly_commitment"), date(2024, 8, 20), {"resources": {"seats": 10}})
    assert sim.refusal(STOP_DAY, {"type": "change_resources", "resources": {"seats": 4}}) == \
        "commitment"
    d = sim.do(STOP_DAY, {"type": "stop"})
    assert d.lines == [] and sim.sub.status is Status.STOPPED
    sim.advance(date(2024, 9, 1))
    assert sim.lines[-1].period_start == date(2024, 9, 1)
    assert sim.lines[-1].amount == D("60.00")


@pytest.mark.parametrize("setting,refund", [
    (None, -cents(F(600) * 184 / 366)),  # 1 Jul 2024 - 1 Jan 2025 of a 366-day period
    (False, D(0)),
])
def test_c5_long_term_stop_refund_follows_refund_on_stop(setting, refund):
    # SPEC C5 long_term: prorated unused days (setting refund_on_stop, default true).
    settings = {} if setting is None else {"refund_on_stop": setting}
    sim = Sim(make_plan("long_term", price="60.00", settings=settings), date(2024, 1, 1),
              {"resources": {"seats": 10}})
    d = sim.do(date(2024, 7, 1), {"type": "stop"})
    assert total(d.lines) == refund
    assert sim.sub.status is Status.STOPPED


def test_c5_long_term_decrease_is_refunded_over_the_period():
    # SPEC C5 long_term: decrease allowed, prorated refund over the subscription period.
    sim = Sim(make_plan("long_term", price="60.00"), date(2024, 1, 1),
              {"resources": {"seats": 10}})
    d = sim.do(date(2024, 7, 1), {"type": "change_resources", "resources": {"seats": 8}})
    assert total(d.lines) == -cents(F(120) * 184 / 366) == D("-60.33")


@pytest.mark.parametrize("billing_type", ["reservation", "non_recurring"])
def test_c5_reservation_and_non_recurring_no_refund_and_decrease_refused(billing_type):
    # SPEC C5 reservation / non_recurring: stop refunds nothing; decrease refused.
    sim = Sim(make_plan(billing_type, price="60.00"), date(2024, 1, 1),
              {"resources": {"seats": 10}})
    assert sim.refusal(date(2024, 7, 1), {"type": "change_resources",
                                          "resources": {"seats": 8}}) == "commitment"
    # an increase is still fine, prorated over the period
    d = sim.quote(date(2024, 7, 1), {"type": "change_resources", "resources": {"seats": 11}})
    assert total(d.lines) == cents(F(60) * 184 / 366)
    d = sim.do(date(2024, 7, 1), {"type": "stop"})
    assert d.lines == []


def test_c5_non_recurring_never_renews():
    # SPEC C5 non_recurring: never renews.
    sim = Sim(make_plan("non_recurring", price="60.00"), date(2024, 1, 1))
    assert sim.refusal(date(2024, 12, 31), "renew") == "not_renewable"
    sim.advance(date(2025, 1, 1))
    assert sim.sub.status is Status.EXPIRED and sim.ops_of("renew") == []


def test_c5_payg_has_no_resources_to_manage_and_stop_refunds_nothing():
    # SPEC C5 payg: no resources to manage (S4: not for payg); in arrears.
    sim = Sim(make_plan("payg", periods=None, resources=[]), date(2024, 8, 20), {})
    avail = sim.available(date(2024, 8, 21))
    assert avail["change_resources"] == "not_supported_for_billing_type"
    assert avail["prolong"] == "not_supported_for_billing_type"
    assert avail["renew"] == "endless_subscription"
    d = sim.do(date(2024, 8, 25), {"type": "stop"})
    assert d.lines == []
    sim.advance(date(2024, 10, 2))
    assert sim.lines == []  # nothing charged in advance


def test_c5_trial_only_switches_to_a_paid_plan():
    # SPEC C5 trial: free; only switch to a paid plan.
    paid = make_plan("monthly", plan_id="paid")
    sim = Sim(make_plan("trial", plan_id="trial", periods=["P30D"],
                        switch_to=[{"plan": "paid", "kind": "upgrade"}]),
              date(2024, 8, 20), plans=[paid])
    avail = sim.available(date(2024, 8, 22))
    assert avail["renew"] == "trial_requires_switch"
    assert avail["change_resources"] == "not_supported_for_billing_type"
    assert avail["prolong"] == "not_supported_for_billing_type"
    assert avail["switch_plan"] is None
    assert sim.lines == []
    sim.advance(date(2024, 9, 19))  # the trial period ends: expired, never renewed
    assert sim.sub.status is Status.EXPIRED and sim.lines == []


def test_c5_monthly_types_are_charged_on_the_billing_day_whole_period_types_are_not():
    # SPEC C5 "charged" column over three billing days.
    monthly = Sim(make_plan("monthly"), date(2024, 8, 20), {"resources": {"seats": 10}})
    monthly.advance(date(2024, 11, 1))
    assert [ln.period_start for ln in of_kind(monthly.lines, LineKind.CHARGE)] == \
        [date(2024, 8, 20), date(2024, 9, 1), date(2024, 10, 1), date(2024, 11, 1)]
    assert [ln.amount for ln in monthly.lines[1:]] == [D("60.00")] * 3
    long_term = Sim(make_plan("long_term"), date(2024, 8, 20))
    long_term.advance(date(2024, 11, 1))
    assert len(long_term.lines) == 1


def test_operations_for_a_customer_leave_out_the_managers_decisions():
    # SPEC S9: approving or rejecting a stop is a manager's; a customer could never have them,
    # so a screen for a customer does not list them as unavailable.
    from prorata.domain.engine import MANAGER_OPERATIONS, operations_for
    assert set(operations_for(True)) == set(OPERATIONS)
    assert set(operations_for(False)) == set(OPERATIONS) - {"approve", "reject"}
    assert MANAGER_OPERATIONS == {"approve", "reject"}
    assert list(operations_for(False)) == [op for op in OPERATIONS if op in operations_for(False)]
