"""The vendor worker on SQLite and PostgreSQL (SPEC V1, V2, V4, V5): two workers at once, a
worker killed between the vendor's answer and its commit, back-off and the time limit."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from prorata.adapters.db import schema
from prorata.adapters.db.schema import vendor_calls
from prorata.domain.model import Customer, LineKind, OpStatus, Status
from prorata.services import subscriptions, vendors
from prorata.services.ports import OPERATOR
from prorata.vendors import registry
from prorata.vendors.sdk import Connector, Outcome, TemporaryError, VendorRequest
from prorata.worker import vendor_poll
from prorata.worker.vendor_poll import LEASE, poll_vendors
from tests.dbfixtures import sample_plan

TODAY = date(2024, 8, 20)


class Recording(Connector):
    """Answers pending first, then what `settings["answer"]` says; records every call."""

    calls: list[str] = []
    lock = threading.Lock()

    def call(self, request: VendorRequest) -> Outcome:
        with self.lock:
            self.calls.append(request.operation_id)
        return Outcome.pending(f"ref-{request.operation_id}")

    def poll(self, reference: str, request: VendorRequest, attempt: int) -> Outcome:
        with self.lock:
            self.calls.append(request.operation_id)
        time.sleep(self.settings.get("delay", 0))
        if self.settings.get("answer") == "fail":
            return Outcome.failed("refused by the vendor")
        if self.settings.get("answer") == "never":
            return Outcome.pending(reference)
        return Outcome.completed()


@pytest.fixture
def recording(monkeypatch: pytest.MonkeyPatch) -> type[Recording]:
    monkeypatch.setitem(registry.installed(), "recording", Recording)
    monkeypatch.setattr(Recording, "calls", [])
    return Recording


def shop(database: Any, settings: dict[str, Any], count: int = 1,
         vendor: str = "recording") -> list[str]:
    """`count` subscriptions of one customer to a product of `vendor`, ids s0, s1, …"""
    with database.uow() as uow:
        uow.add_product({"id": "m365", "name": "M365", "vendor": vendor,
                         "vendor_settings": settings})
        uow.add_plan(sample_plan())
        uow.add_customer(Customer("acme", "Acme"))
        for n in range(count):
            subscriptions.create_subscription(uow, OPERATOR, {
                "id": f"s{n}", "customer": "acme", "plan": "m365-basic",
                "resources": {"seats": 3}}, TODAY)
        uow.commit()
    return [f"s{n}" for n in range(count)]


def _state(database: Any, sub_id: str) -> tuple[Status, OpStatus, int, int]:
    with database.uow(read_only=True) as uow:
        sub = uow.get_subscription(OPERATOR, sub_id)
        [op] = uow.list_operations(sub_id, 10, None).items
        lines = uow.lines_for_operation(op.id)
        events = uow.connection.execute(select(schema.events.c.id).where(
            schema.events.c.subscription_id == sub_id,
            schema.events.c.type == "vendor_operation_failed")).all()
    refunds = sum(1 for ln in lines if ln.kind is LineKind.REFUND)
    return sub.status, op.status, refunds, len(events)


def _calls_left(database: Any) -> int:
    with database.uow(read_only=True) as uow:
        return uow.pending_vendor_calls()


def test_pending_purchase_is_activating_and_completes_once(database, recording):
    # SPEC S1, V1: transitional while the vendor works, stable once it is done.
    [sub] = shop(database, {})
    now = vendors.now_on(TODAY)
    assert _state(database, sub)[:2] == (Status.ACTIVATING, OpStatus.PROVISIONING)
    assert poll_vendors(database, now) == 0          # called: pending
    assert poll_vendors(database, now) == 0          # back-off: not due yet
    assert recording.calls == ["op" + recording.calls[0][2:]]
    assert poll_vendors(database, now + timedelta(seconds=31)) == 1
    assert _state(database, sub)[:2] == (Status.ACTIVE, OpStatus.COMPLETED)
    assert _calls_left(database) == 0
    assert poll_vendors(database, now + timedelta(hours=1), force=True) == 0


def test_two_workers_apply_every_outcome_once(database, recording, monkeypatch):
    # SPEC V5: two workers at once; each call is claimed by one; failures reversed once.
    monkeypatch.setattr(vendor_poll, "BATCH", 2)  # small claims, so both get a share
    subs = shop(database, {"answer": "fail", "delay": 0.02}, count=12)
    now = vendors.now_on(TODAY)
    poll_vendors(database, now)  # every call made, all pending
    later = now + timedelta(minutes=5)
    applied: list[int] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        barrier.wait()
        applied.append(poll_vendors(database, later))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(applied) == len(subs) and min(applied) > 0  # both took part
    for sub in subs:
        status, op_status, refunds, told = _state(database, sub)
        assert (status, op_status) == (Status.DELETED, OpStatus.FAILED)
        assert (refunds, told) == (1, 1)  # reversed and told exactly once (V2, V5)
    assert len(recording.calls) == 2 * len(subs)  # one call and one poll each, no more
    assert _calls_left(database) == 0


class Killed(BaseException):
    """Stands for the process dying: not an Exception, so nothing catches it."""


def test_a_worker_killed_before_its_commit_is_taken_over(database, recording, monkeypatch):
    # SPEC V5: the vendor answered, the worker died before committing; another worker asks
    # again after the lease and applies the answer once.
    [sub] = shop(database, {"answer": "fail"})
    now = vendors.now_on(TODAY)
    poll_vendors(database, now)
    real = vendors.apply_failure

    def die(*args: Any, **kwargs: Any) -> None:
        raise Killed

    monkeypatch.setattr(vendors, "apply_failure", die)
    with pytest.raises(Killed):
        poll_vendors(database, now + timedelta(minutes=1))
    monkeypatch.setattr(vendors, "apply_failure", real)
    assert _state(database, sub)[:3] == (Status.ACTIVATING, OpStatus.PROVISIONING, 0)
    assert poll_vendors(database, now + timedelta(minutes=2)) == 0  # its lease still holds
    assert poll_vendors(database, now + timedelta(minutes=2) + LEASE) == 1
    assert _state(database, sub) == (Status.DELETED, OpStatus.FAILED, 1, 1)
    assert recording.calls[1] == recording.calls[2]  # asked again about the same operation
    assert poll_vendors(database, now + timedelta(hours=2), force=True) == 0


def test_the_time_limit_fails_the_operation_and_reverses_it(database, recording):
    # SPEC V4: vendor_timeout_hours, then failed (V2).
    [sub] = shop(database, {"answer": "never", "vendor_timeout_hours": 2})
    now = vendors.now_on(TODAY)
    assert poll_vendors(database, now) == 0
    assert poll_vendors(database, now + timedelta(hours=1)) == 0
    assert _state(database, sub)[:2] == (Status.ACTIVATING, OpStatus.PROVISIONING)
    assert poll_vendors(database, now + timedelta(hours=3)) == 1
    status, op_status, refunds, _ = _state(database, sub)
    assert (status, op_status, refunds) == (Status.DELETED, OpStatus.FAILED, 1)
    with database.uow(read_only=True) as uow:
        row = uow.connection.execute(select(vendor_calls)).one()
    assert row.state == "done" and "time limit" in row.last_error


class Raising(Connector):
    """Breaks in the way `settings["how"]` says, in the request or in the worker."""

    def immediate(self, request: VendorRequest) -> Outcome | None:
        if self.settings.get("how") == "request":
            raise RuntimeError("boom in the request")
        if self.settings.get("how") == "garbage":
            return "yes"  # type: ignore[return-value]
        return None

    def call(self, request: VendorRequest) -> Outcome:
        if self.settings.get("how") == "temporary":
            raise TemporaryError("vendor down")
        raise ValueError("boom in the worker")


@pytest.mark.parametrize(("how", "reason"), [
    ("request", "boom in the request"), ("garbage", "garbage"),
    ("worker", "ValueError: boom in the worker")])
def test_a_connector_that_raises_fails_its_operation_with_the_reason(database, monkeypatch,
                                                                     how, reason):
    # Issue 8: never a 5xx, never stuck in a transitional status; charges reversed (V2).
    monkeypatch.setitem(registry.installed(), "recording", Raising)
    [sub] = shop(database, {"how": how})
    poll_vendors(database, vendors.now_on(TODAY))
    assert _state(database, sub) == (Status.DELETED, OpStatus.FAILED, 1, 1)
    with database.uow(read_only=True) as uow:
        [op] = uow.list_operations(sub, 10, None).items
    assert op.error_code == "vendor_failed" and reason in (op.error_message or "")


def test_a_temporary_error_is_retried_until_the_time_limit(database, monkeypatch):
    # SPEC V4: retry with back-off; the time limit ends it.
    monkeypatch.setitem(registry.installed(), "recording", Raising)
    [sub] = shop(database, {"how": "temporary", "vendor_timeout_hours": 1})
    now = vendors.now_on(TODAY)
    for minutes in (0, 1, 2, 4, 8):
        assert poll_vendors(database, now + timedelta(minutes=minutes)) == 0
    assert _state(database, sub)[:2] == (Status.ACTIVATING, OpStatus.PROVISIONING)
    with database.uow(read_only=True) as uow:
        row = uow.connection.execute(select(vendor_calls)).one()
    assert row.attempts == 5 and row.last_error == "temporary: vendor down"
    assert poll_vendors(database, now + timedelta(hours=2)) == 1
    assert _state(database, sub) == (Status.DELETED, OpStatus.FAILED, 1, 1)
