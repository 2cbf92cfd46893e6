"""The daily run's deletions and the vendor (SPEC V4, V2, S9, S12): a subscription stopped past
`stopped_retention_days` is deleted through its product's connector (`simulated`, `instant`),
`deleting` until the vendor answers; a refused deletion leaves it stopped and due the next day.
On SQLite and PostgreSQL, also with two daily runs and a worker at once."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from prorata.adapters.db import schema
from prorata.domain.catalog import PlanSettings
from prorata.domain.model import Customer, Status
from prorata.scheduler.runner import run_day, run_through
from prorata.services import subscriptions, vendors
from prorata.services.ports import OPERATOR
from prorata.worker.vendor_poll import poll_vendors
from tests.dbfixtures import sample_plan
from tests.integration.vendor_race import race_two_runs_and_a_worker

TODAY = date(2024, 8, 20)
DELETION_DAY = TODAY + timedelta(days=3)  # stopped today, stopped_retention_days 3


def _stopped(database: Any, vendor: str, **vendor_settings: Any) -> None:
    """A subscription bought and stopped on `instant`; the product then moves to `vendor`."""
    with database.uow() as uow:
        uow.add_product({"id": "m365", "name": "M365", "vendor": "instant"})
        uow.add_plan(sample_plan(settings=PlanSettings(stopped_retention_days=3)))
        uow.add_customer(Customer("acme", "Acme"))
        subscriptions.create_subscription(uow, OPERATOR, {
            "id": "s1", "customer": "acme", "plan": "m365-basic",
            "resources": {"seats": 3}}, TODAY)
        subscriptions.run_operation(uow, OPERATOR, "s1", {"type": "stop"}, TODAY)
        uow.connection.execute(update(schema.products).values(
            vendor=vendor, vendor_settings=vendor_settings))
        uow.commit()


def _sub(database: Any) -> Any:
    with database.uow(read_only=True) as uow:
        return uow.get_subscription(OPERATOR, "s1")


def _rows(database: Any, table: Any, *where: Any) -> list[Any]:
    with database.uow(read_only=True) as uow:
        return list(uow.connection.execute(select(table).where(*where)).all())


def _deletes(database: Any) -> list[Any]:
    ops = schema.operations
    return _rows(database, ops, ops.c.type == "delete")


def _events(database: Any, kind: str) -> list[Any]:
    return _rows(database, schema.events, schema.events.c.type == kind)


def _poll(database: Any, day: date, rounds: int = 2) -> int:
    return sum(poll_vendors(database, vendors.now_on(day), force=True) for _ in range(rounds))


def test_a_deletion_waits_for_the_vendor_then_completes(database):
    # SPEC V4, S9, S1: the daily deletion is `deleting` (operation provisioning, not due, no
    # `subscription_deleted` yet) until the worker has the vendor's answer.
    _stopped(database, "simulated", polls=2)
    run_through(database, DELETION_DAY)
    sub = _sub(database)
    assert (sub.status, sub.due_on) == (Status.DELETING, None)
    [op] = _deletes(database)
    assert op.status == "provisioning"
    [call] = _rows(database, schema.vendor_calls)
    assert (call.operation_id, call.target_status, call.state) == (op.id, "deleted", "pending")
    assert call.request["verb"] == "delete"
    assert _events(database, "subscription_deleted") == []
    run_day(database, DELETION_DAY + timedelta(days=1))  # S1: skipped while busy
    assert _sub(database).status is Status.DELETING
    assert _poll(database, DELETION_DAY) == 1
    assert _sub(database).status is Status.DELETED
    [op] = _deletes(database)
    assert op.status == "completed"
    assert len(_events(database, "subscription_deleted")) == 1
    assert _poll(database, DELETION_DAY) == 0  # applied once


def test_a_refused_deletion_stays_stopped_and_is_tried_the_next_day(database):
    # SPEC V2 (docs/design/vendors.md): back to `stopped`, the operation failed with the
    # vendor's message, the managers told; a rerun of the day does not try again, the next
    # day's run does, with a new operation.
    _stopped(database, "simulated", polls=2, fail=["delete"], message="still in use")
    run_through(database, DELETION_DAY)
    assert _poll(database, DELETION_DAY) == 1
    sub = _sub(database)
    assert (sub.status, sub.due_on) == (Status.STOPPED, DELETION_DAY + timedelta(days=1))
    [op] = _deletes(database)
    assert (op.status, op.error_code, op.error_message) == \
        ("failed", "vendor_failed", "still in use")
    assert len(_events(database, "vendor_operation_failed")) == 1
    assert _events(database, "subscription_deleted") == []
    run_day(database, DELETION_DAY)  # a rerun of the same day
    assert len(_deletes(database)) == 1 and _sub(database).status is Status.STOPPED
    run_day(database, DELETION_DAY + timedelta(days=1))
    assert _sub(database).status is Status.DELETING
    assert len(_deletes(database)) == 2 and len(_rows(database, schema.vendor_calls)) == 2


def test_a_deletion_refused_at_once_is_applied_in_the_batch(database):
    # SPEC V2: `simulated` with polls 0 answers without the worker; the batch applies it.
    _stopped(database, "simulated", polls=0, fail=["delete"])
    run_through(database, DELETION_DAY)
    sub = _sub(database)
    assert (sub.status, sub.due_on) == (Status.STOPPED, DELETION_DAY + timedelta(days=1))
    [op] = _deletes(database)
    assert (op.status, op.error_code) == ("failed", "vendor_failed")
    assert _rows(database, schema.vendor_calls) == []


def test_an_instant_deletion_completes_in_the_batch(database):
    # SPEC V4, V3: `instant` completes at once: no vendor call, deleted that day.
    _stopped(database, "instant")
    run_through(database, DELETION_DAY)
    assert _sub(database).status is Status.DELETED
    [op] = _deletes(database)
    assert op.status == "completed"
    assert _rows(database, schema.vendor_calls) == []
    assert len(_events(database, "subscription_deleted")) == 1


def test_two_daily_runs_and_a_worker_delete_once(database):
    # SPEC V5, S12: one operation, one vendor call, one outcome, however they overlap.
    _stopped(database, "simulated", polls=2)
    run_through(database, DELETION_DAY - timedelta(days=1))
    race_two_runs_and_a_worker(database, DELETION_DAY)
    _poll(database, DELETION_DAY, rounds=3)
    assert len(_deletes(database)) == 1 and len(_rows(database, schema.vendor_calls)) == 1
    assert _sub(database).status is Status.DELETED
    assert len(_events(database, "subscription_deleted")) == 1


def test_a_non_payment_stop_goes_to_the_vendor_and_a_refusal_is_tried_again(database):
    # SPEC V4, S7, V2: the stop at the end of the grace period is `stopping` until the vendor
    # answers; refused, the subscription is active and unpaid again, the stop's refund is
    # reversed, and the next day's run stops it again (a new operation, a new call).
    with database.uow() as uow:
        uow.add_product({"id": "m365", "name": "M365", "vendor": "instant"})
        uow.add_plan(sample_plan(settings=PlanSettings(grace_period_days=3)))
        uow.add_customer(Customer("acme", "Acme", credit_limit=Decimal("40")))
        subscriptions.create_subscription(uow, OPERATOR, {
            "id": "s2", "customer": "acme", "plan": "m365-basic",
            "resources": {"seats": 5}}, TODAY)
        uow.connection.execute(update(schema.products).values(
            vendor="simulated", vendor_settings={"polls": 2, "fail": ["stop"]}))
        uow.commit()
    ops = schema.operations
    stops = (ops.c.type == "stop", ops.c.subscription_id == "s2")
    run_through(database, TODAY)
    run_through(database, date(2024, 9, 3))  # 11.61 + 30.00 charged: beyond the limit of 40
    assert _status(database, "s2") is Status.ACTIVE and _rows(database, ops, *stops) == []
    run_through(database, date(2024, 9, 4))  # unpaid since 1 Sep, grace 3 days
    assert _status(database, "s2") is Status.STOPPING
    [op] = _rows(database, ops, *stops)
    assert op.status == "provisioning"
    assert _poll(database, date(2024, 9, 4)) == 1
    assert _status(database, "s2") is Status.ACTIVE
    [op] = _rows(database, ops, *stops)
    assert (op.status, op.error_code) == ("failed", "vendor_failed")
    lines = _rows(database, schema.charge_lines, schema.charge_lines.c.operation_id == op.id)
    assert len(lines) >= 2 and sum(Decimal(ln.amount) for ln in lines) == 0
    run_day(database, date(2024, 9, 5))
    assert _status(database, "s2") is Status.STOPPING
    assert len(_rows(database, ops, *stops)) == 2


def _status(database: Any, sub_id: str) -> Status:
    with database.uow(read_only=True) as uow:
        sub = uow.get_subscription(OPERATOR, sub_id)
    assert sub is not None
    return sub.status
