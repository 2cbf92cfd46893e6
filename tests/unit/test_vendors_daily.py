"""The daily run's vendor routing (SPEC V4): what it looks at, and that the common case does
not touch the database at all."""

from __future__ import annotations

from datetime import date
from typing import Any

from prorata.domain.engine import Decision, OpUpdate
from prorata.domain.engine.common import copy_sub
from prorata.domain.model import Customer, Operation, OpStatus, PendingOrder, Status
from prorata.services.vendors_daily import DailyRouter
from tests.dbfixtures import sample_plan, sample_subscription

DAY = date(2025, 8, 20)
PLANS = {"m365-basic": sample_plan()}


class Products:
    """A connection that answers the products query once, and counts the queries."""

    def __init__(self, vendor: str | None) -> None:
        self.vendor, self.queries = vendor, 0

    def execute(self, _: Any) -> list[Any]:
        self.queries += 1
        row = type("Row", (), {"id": "m365", "vendor": self.vendor,
                               "vendor_settings": {"polls": 1}})
        return [row]


def _prolong(sub: Any) -> Decision:
    op = Operation(id="op1", subscription=sub.id, type="prolong", status=OpStatus.COMPLETED,
                   actor="system", params={}, effective_on=DAY, created_on=DAY)
    return Decision(copy_sub(sub), op)


def test_a_batch_without_renewals_or_switches_reads_nothing():
    # SPEC V4: prolongation and charges do not call the vendor; no query is made.
    sub = sample_subscription()
    decisions = [_prolong(sub)]
    conn = Products("simulated")
    assert DailyRouter().route(conn, sub, decisions, PLANS, Customer("acme", "Acme")) \
        == decisions
    assert conn.queries == 0 and decisions[0].routed is None


def _renewal(vendor: str | None) -> tuple[list[Decision], Products, DailyRouter]:
    sub = sample_subscription()
    sub.renewal_order = PendingOrder(operation_id="op-r", kind="renewal", plan="m365-basic",
                                     period="P1Y", resources={"seats": 5}, effective_on=DAY)
    new = copy_sub(sub, renewal_order=None, period_start=DAY, period_end=date(2026, 8, 20))
    later = _prolong(new)
    decisions = [Decision(new, None, op_updates=[OpUpdate("op-r", OpStatus.COMPLETED)]), later]
    conn, router = Products(vendor), DailyRouter()
    return router.route(conn, sub, decisions, PLANS, Customer("acme", "Acme")), conn, router


def test_an_instant_renewal_is_stored_as_decided():
    # SPEC V4: the `instant` connector completes; the day's later steps stay.
    decisions, conn, _ = _renewal("instant")
    assert len(decisions) == 2 and decisions[0].subscription.status is Status.ACTIVE
    assert conn.queries == 1


def test_a_pending_renewal_is_transitional_and_cuts_the_day():
    # SPEC V4, S1: renewing, the order provisioning, not due, the later steps dropped.
    decisions, _, _ = _renewal("simulated")
    [d] = decisions
    assert (d.subscription.status, d.subscription.due_on) == (Status.RENEWING, None)
    assert d.op_updates == [OpUpdate("op-r", OpStatus.PROVISIONING)]
    assert d.routed.operation_id == "op-r" and d.routed.target_status is Status.ACTIVE
    assert d.routed.before.renewal_order is None  # the failure rule: the order is dropped
    assert d.routed.request.verb == "renew"


def _system_op(sub: Any, op_type: str, **params: Any) -> Operation:
    return Operation(id=f"op-{op_type}", subscription=sub.id, type=op_type,
                     status=OpStatus.COMPLETED, actor="system:scheduler", params=params,
                     effective_on=DAY, created_on=DAY)


def test_a_non_payment_stop_goes_to_the_vendor():
    # SPEC V4, S7: the stop at the end of the grace period stops the vendor's service too;
    # a failure returns to the subscription as it was (active, still unpaid).
    sub = sample_subscription()
    stopped = copy_sub(sub, status=Status.STOPPED, stopped_on=DAY)
    decision = Decision(stopped, _system_op(sub, "stop", reason="non_payment"))
    [d] = DailyRouter().route(Products("simulated"), sub, [decision], PLANS,
                              Customer("acme", "Acme"))
    assert (d.subscription.status, d.operation.status) == (Status.STOPPING,
                                                           OpStatus.PROVISIONING)
    assert d.routed.request.verb == "stop" and d.routed.target_status is Status.STOPPED
    assert d.routed.before is sub


def test_an_expiry_does_not_call_the_vendor():
    # SPEC V4 names no expiry (docs/design/vendors.md): stored as decided, nothing read.
    sub = sample_subscription()
    expired = copy_sub(sub, status=Status.EXPIRED)
    decisions = [Decision(expired, _system_op(sub, "expire"))]
    conn = Products("simulated")
    assert DailyRouter().route(conn, sub, decisions, PLANS, Customer("acme", "Acme")) \
        == decisions
    assert conn.queries == 0 and decisions[0].subscription.status is Status.EXPIRED
