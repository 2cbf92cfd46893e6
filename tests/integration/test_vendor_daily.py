"""The daily run and the vendor (SPEC V4, V2, V5, S1): renewals taking effect go through the
connector, transitional subscriptions wait for their outcome, an approved stop calls the
vendor; on SQLite and PostgreSQL, with two daily runs and a worker at once."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from prorata.adapters.db import schema
from prorata.domain.catalog import PlanSettings
from prorata.domain.model import Customer, OpStatus, Status
from prorata.scheduler.runner import run_day, run_through
from prorata.services import subscriptions, vendors
from prorata.services.ports import OPERATOR
from prorata.vendors import registry
from prorata.worker.vendor_poll import poll_vendors
from tests.dbfixtures import sample_plan
from tests.integration.test_vendor_worker import Recording
from tests.integration.vendor_race import race_two_runs_and_a_worker

TODAY = date(2024, 8, 20)


@pytest.fixture
def recording(monkeypatch: pytest.MonkeyPatch) -> type[Recording]:
    monkeypatch.setitem(registry.installed(), "recording", Recording)
    monkeypatch.setattr(Recording, "calls", [])
    return Recording


def _shop(database: Any, answer: str, **settings: Any) -> str:
    """A subscription bought on `instant`; the product then moves to the recording vendor."""
    with database.uow() as uow:
        uow.add_product({"id": "m365", "name": "M365", "vendor": "instant"})
        uow.add_plan(sample_plan(settings=PlanSettings(**settings)))
        uow.add_customer(Customer("acme", "Acme"))
        subscriptions.create_subscription(uow, OPERATOR, {
            "id": "s1", "customer": "acme", "plan": "m365-basic",
            "resources": {"seats": 3}}, TODAY)
        uow.connection.execute(update(schema.products).values(
            vendor="recording", vendor_settings={"answer": answer}))
        uow.commit()
    return "s1"


def _sub(database: Any) -> Any:
    with database.uow(read_only=True) as uow:
        return uow.get_subscription(OPERATOR, "s1")


def _op(database: Any, op_id: str) -> Any:
    with database.uow(read_only=True) as uow:
        return uow.get_operation(op_id)


def _rows(database: Any, table: Any, *where: Any) -> list[Any]:
    with database.uow(read_only=True) as uow:
        return list(uow.connection.execute(select(table).where(*where)).all())


def _to_renewal_day(database: Any) -> tuple[str, date]:
    """Runs the days up to the one the auto-renewal order takes effect on."""
    run_through(database, _sub(database).expires_on)
    order = _sub(database).renewal_order
    assert order is not None
    run_through(database, order.effective_on)
    return order.operation_id, order.effective_on


def test_a_renewal_taking_effect_waits_for_the_vendor(database, recording):
    # SPEC V4, S1: the daily run's renewal is `renewing` until the vendor carried it out.
    _shop(database, "ok")
    old_end = _sub(database).period_end
    op_id, day = _to_renewal_day(database)
    sub = _sub(database)
    assert (sub.status, sub.due_on) == (Status.RENEWING, None)
    assert _op(database, op_id).status is OpStatus.PROVISIONING
    [call] = _rows(database, schema.vendor_calls)
    assert (call.operation_id, call.target_status) == (op_id, "active")
    assert _rows(database, schema.events, schema.events.c.type == "subscription_renewed") == []
    run_day(database, day + timedelta(days=1))  # S1: skipped while busy
    assert _sub(database).status is Status.RENEWING
    now = vendors.now_on(day + timedelta(days=1))
    assert poll_vendors(database, now, force=True) == 0  # called: pending
    assert poll_vendors(database, now, force=True) == 1
    sub = _sub(database)
    assert sub.status is Status.ACTIVE and sub.period_end > old_end
    assert sub.due_on is not None  # scheduled again
    assert _op(database, op_id).status is OpStatus.COMPLETED
    assert len(_rows(database, schema.events,
                     schema.events.c.type == "subscription_renewed")) == 1
    assert recording.calls == [op_id, op_id]


def test_a_failed_renewal_is_reversed_and_the_subscription_expires(database, recording):
    # SPEC V2 for a renewal (docs/design/vendors.md): the order is dropped and its charge
    # reversed exactly; the old period ends, so the next daily run expires it (S6).
    _shop(database, "fail")
    old_end = _sub(database).period_end
    op_id, day = _to_renewal_day(database)
    now = vendors.now_on(day)
    poll_vendors(database, now, force=True)
    assert poll_vendors(database, now, force=True) == 1
    sub = _sub(database)
    assert (sub.status, sub.period_end, sub.renewal_order) == (Status.ACTIVE, old_end, None)
    op = _op(database, op_id)
    assert (op.status, op.error_code, op.error_message) == \
        (OpStatus.FAILED, "vendor_failed", "refused by the vendor")
    lines = _rows(database, schema.charge_lines, schema.charge_lines.c.operation_id == op_id)
    assert len(lines) >= 2 and sum(Decimal(ln.amount) for ln in lines) == 0
    assert len(_rows(database, schema.events,
                     schema.events.c.type == "vendor_operation_failed")) == 1
    run_day(database, day + timedelta(days=1))
    assert _sub(database).status is Status.EXPIRED


def test_instant_renewals_write_no_vendor_call(database, recording):
    # SPEC V4: the common case completes in the batch, as before.
    _shop(database, "ok")
    with database.uow() as uow:
        uow.connection.execute(update(schema.products).values(vendor="instant"))
        uow.commit()
    op_id, _ = _to_renewal_day(database)
    assert _sub(database).status is Status.ACTIVE
    assert _op(database, op_id).status is OpStatus.COMPLETED
    assert _rows(database, schema.vendor_calls) == [] and recording.calls == []


def test_two_daily_runs_and_a_worker_apply_the_renewal_once(database, recording):
    # SPEC V5, S12: one vendor call, one outcome, however the runs and the worker overlap.
    _shop(database, "ok")
    run_through(database, _sub(database).expires_on)
    day = _sub(database).renewal_order.effective_on
    run_through(database, day - timedelta(days=1))
    race_two_runs_and_a_worker(database, day)
    for _ in range(3):
        poll_vendors(database, vendors.now_on(day), force=True)
    assert len(_rows(database, schema.vendor_calls)) == 1
    assert _sub(database).status is Status.ACTIVE
    assert len(_rows(database, schema.events,
                     schema.events.c.type == "subscription_renewed")) == 1


def test_an_approved_stop_calls_the_vendor(database, recording):
    # SPEC V4: the stop that `approve` completes is a vendor stop; the request completes with it.
    _shop(database, "ok", stop_requires_approval=True)
    with database.uow() as uow:
        asked = subscriptions.run_operation(uow, OPERATOR, "s1", {"type": "stop"}, TODAY)
        answer = subscriptions.run_operation(uow, OPERATOR, "s1", {"type": "approve"}, TODAY)
        uow.commit()
    assert asked["status"] == "waiting_for_approval"
    assert answer["status"] == "provisioning" and _sub(database).status is Status.STOPPING
    assert _op(database, asked["id"]).status is OpStatus.WAITING_FOR_APPROVAL
    now = vendors.now_on(TODAY)
    poll_vendors(database, now, force=True)
    assert poll_vendors(database, now, force=True) == 1
    assert _sub(database).status is Status.STOPPED
    assert _op(database, asked["id"]).status is OpStatus.COMPLETED
    assert recording.calls == [answer["id"], answer["id"]]


def test_a_failed_approved_stop_leaves_the_request_waiting(database, recording):
    # SPEC V2: back to active with the stop request still waiting, so it can be approved again.
    _shop(database, "fail", stop_requires_approval=True)
    with database.uow() as uow:
        asked = subscriptions.run_operation(uow, OPERATOR, "s1", {"type": "stop"}, TODAY)
        subscriptions.run_operation(uow, OPERATOR, "s1", {"type": "approve"}, TODAY)
        uow.commit()
    now = vendors.now_on(TODAY)
    poll_vendors(database, now, force=True)
    assert poll_vendors(database, now, force=True) == 1
    sub = _sub(database)
    assert (sub.status, sub.stop_request) == (Status.ACTIVE, asked["id"])
    assert _op(database, asked["id"]).status is OpStatus.WAITING_FOR_APPROVAL


@pytest.mark.parametrize("answer", ["ok", "fail"])
def test_a_scheduled_switch_goes_through_the_vendor(database, recording, answer):
    # SPEC V4, V2: the end-of-cycle switch is `switching` until the vendor answers; a failure
    # drops the scheduled switch, keeps the plan and reverses the switch's charges.
    from prorata.domain.catalog import SwitchTarget

    _shop(database, answer)
    with database.uow() as uow:
        basic = sample_plan()
        gold = replace(basic.resources[0], price=Decimal("9.00"))
        uow.add_plan(sample_plan("m365-gold", name="Gold", resources=(gold,)))
        uow.update_plan(sample_plan(switch_to=(SwitchTarget("m365-gold", "upgrade"),)))
        asked = subscriptions.run_operation(uow, OPERATOR, "s1", {
            "type": "switch_plan", "plan": "m365-gold", "timing": "end_of_cycle"}, TODAY)
        uow.commit()
    day = _sub(database).scheduled_switch.effective_on
    run_through(database, day)
    assert _sub(database).status is Status.SWITCHING
    [call] = _rows(database, schema.vendor_calls)
    switch = _op(database, call.operation_id)
    assert (switch.type, switch.status) == ("switch_plan", OpStatus.PROVISIONING)
    assert switch.params["scheduled"] == asked["id"]
    now = vendors.now_on(day)
    poll_vendors(database, now, force=True)
    assert poll_vendors(database, now, force=True) == 1
    sub = _sub(database)
    assert sub.status is Status.ACTIVE and sub.scheduled_switch is None
    if answer == "ok":
        assert (sub.plan, _op(database, switch.id).status) == ("m365-gold", OpStatus.COMPLETED)
        return
    assert (sub.plan, _op(database, switch.id).status) == ("m365-basic", OpStatus.FAILED)
    lines = _rows(database, schema.charge_lines,
                  schema.charge_lines.c.operation_id == switch.id)
    assert len(lines) >= 2 and sum(Decimal(ln.amount) for ln in lines) == 0
    run_day(database, day + timedelta(days=1))  # not tried again (its dedup key is spent)
    assert len(_rows(database, schema.vendor_calls)) == 1
