"""The vendor worker's batches on SQLite and PostgreSQL (SPEC V5, V1, V2): a claim takes at
most its limit, each call once; a batch's outcomes are applied in one transaction with a few
statements, successes and failures alike; a call taken over is not applied; a subscription
changed meanwhile makes the batch fall back to one outcome at a time."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update

from prorata.adapters.db import schema
from prorata.adapters.db.session import utcnow
from prorata.adapters.db.vendor_apply import BatchedApply
from prorata.adapters.db.vendor_calls import claim
from prorata.domain.model import LineKind, OpStatus, Status
from prorata.services import vendors
from prorata.services.ports import OPERATOR
from prorata.vendors import registry
from prorata.vendors.sdk import Connector, Outcome, VendorRequest
from prorata.worker.vendor_poll import LEASE, apply_many, poll_vendors
from tests.integration.test_vendor_worker import shop

TODAY = date(2024, 8, 20)


class OddFails(Connector):
    """Answers at once when called: the subscriptions with an odd number fail."""

    def call(self, request: VendorRequest) -> Outcome:
        if int(request.subscription["id"][1:]) % 2:
            return Outcome.failed("odd ones are refused")
        return Outcome.completed()


@pytest.fixture(autouse=True)
def odd_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.installed(), "odd-fails", OddFails)


def _shop(database: Any, count: int) -> list[str]:
    return shop(database, {}, count, vendor="odd-fails")


def _state(database: Any, sub_id: str) -> tuple[Status, OpStatus, int, int]:
    with database.uow(read_only=True) as uow:
        sub = uow.get_subscription(OPERATOR, sub_id)
        [op] = uow.list_operations(sub_id, 10, None).items
        refunds = sum(1 for ln in uow.lines_for_operation(op.id) if ln.kind is LineKind.REFUND)
        told = uow.connection.execute(select(schema.events.c.id).where(
            schema.events.c.subscription_id == sub_id,
            schema.events.c.type == "vendor_operation_failed")).all()
    assert sub is not None
    return sub.status, op.status, refunds, len(told)


def _expected(sub_id: str) -> tuple[Status, OpStatus, int, int]:
    if int(sub_id[1:]) % 2:  # V2: a failed purchase is deleted, reversed, told once
        return Status.DELETED, OpStatus.FAILED, 1, 1
    return Status.ACTIVE, OpStatus.COMPLETED, 0, 0


def test_a_claim_takes_at_most_its_limit_and_each_call_once(database):
    # SPEC V5: one statement claims up to `limit` due calls; a call claimed is not claimed
    # again while its lease holds.
    _shop(database, 12)
    now = vendors.now_on(TODAY)
    taken = [claim(database, now, utcnow(), force=False, limit=5, lease=LEASE)
             for _ in range(4)]
    assert [len(batch) for batch in taken] == [5, 5, 2, 0]
    ids = [call.id for batch in taken for call in batch]
    assert len(set(ids)) == 12
    assert all(call.before["id"] == call.subscription_id for batch in taken for call in batch)


def test_a_batch_is_applied_with_few_statements(database):
    # SPEC V1, V2: 40 outcomes, half failures, each applied once with fewer statements than
    # outcomes (one outcome alone needs about seven; a batch about twenty in all).
    subs = _shop(database, 40)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        statements.append(sql)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        applied = poll_vendors(database, vendors.now_on(TODAY))
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    assert applied == 40
    assert len(statements) < 40, statements
    assert [_state(database, s) for s in subs] == [_expected(s) for s in subs]
    assert poll_vendors(database, vendors.now_on(TODAY), force=True) == 0


def test_a_call_taken_over_is_not_applied_by_the_batch(database):
    # SPEC V5: the lease ran out and another worker claimed one call: this batch applies the
    # others, and that one is left to its new owner.
    subs = _shop(database, 4)
    now = vendors.now_on(TODAY)
    batch = claim(database, now, utcnow(), force=False, limit=10, lease=LEASE)
    with database.uow() as uow:
        uow.connection.execute(update(schema.vendor_calls).where(
            schema.vendor_calls.c.id == batch[0].id).values(claim="clm-other"))
        uow.commit()
    finals = [(call, Outcome.completed()) for call in batch]
    assert apply_many(database, finals, now) == 3
    taken = batch[0].subscription_id
    assert _state(database, taken)[:2] == (Status.ACTIVATING, OpStatus.PROVISIONING)
    for sub in subs:
        if sub != taken:
            assert _state(database, sub)[:2] == (Status.ACTIVE, OpStatus.COMPLETED)


def test_a_subscription_changed_meanwhile_falls_back_to_one_at_a_time(database, monkeypatch):
    # SPEC V5: the batch's optimistic lock on a subscription is lost (a concurrent write after
    # the batch read it): the batch is rolled back, then each outcome applied alone, once.
    subs = _shop(database, 6)
    real = BatchedApply.flush
    bumped: list[str] = []

    def flush_after_a_write(self: BatchedApply) -> None:
        if not bumped:
            bumped.append("s2")
            self.connection.execute(update(schema.subscriptions).where(
                schema.subscriptions.c.id == "s2").values(
                version=schema.subscriptions.c.version + 1))
        real(self)

    monkeypatch.setattr(BatchedApply, "flush", flush_after_a_write)
    assert poll_vendors(database, vendors.now_on(TODAY)) == 6
    assert bumped == ["s2"]
    assert [_state(database, s) for s in subs] == [_expected(s) for s in subs]
    later = vendors.now_on(TODAY + timedelta(days=1))
    assert poll_vendors(database, later, force=True) == 0
