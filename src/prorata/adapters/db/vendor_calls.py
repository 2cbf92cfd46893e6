"""The durable vendor calls (SPEC V1, V5): one row per operation waiting for its vendor.

Claims follow the deliveries' pattern: a conditional UPDATE that sets a claim token and a
lease (`claimed_until`), after a `FOR UPDATE SKIP LOCKED` selection on PostgreSQL so that
workers do not queue behind each other; SQLite's write transaction holds the database lock.
An outcome is applied in the transaction that flips `state` from pending to done under the
same claim token (`finish`): a worker whose lease ran out and whose call was taken over
finds zero rows and applies nothing, so every outcome is applied once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import or_, select, update

from prorata.adapters.db import mapping as m
from prorata.adapters.db.deliveries import _skip_locked
from prorata.adapters.db.notify import utc
from prorata.adapters.db.schema import vendor_calls
from prorata.adapters.db.session import utcnow
from prorata.domain.model import Subscription
from prorata.ids import new_id

_DATES = ("start_date", "period_start", "period_end", "charged_until", "stopped_on",
          "expired_on", "unpaid_since", "due_on", "expiry_noticed")


@dataclass(frozen=True, slots=True)
class ClaimedCall:
    id: str
    token: str
    operation_id: str
    subscription_id: str
    connector: str
    settings: dict[str, Any]
    request: dict[str, Any]
    target_status: str
    reference: str | None
    attempts: int      # including this one
    deadline: datetime


def snapshot(sub: Subscription) -> dict[str, Any]:
    return m.jsonable(m.subscription_values(sub) | {"id": sub.id, "customer_id": sub.customer})


def restore(data: dict[str, Any], version: int) -> Subscription:
    """The subscription as it was before the operation (V2), at the current `version`."""
    values = {k: (date.fromisoformat(v) if k in _DATES and v else v) for k, v in data.items()}
    return m.row_to_subscription(SimpleNamespace(**values, version=version))


class VendorCallStore:
    """Mixed into the unit of work: the request path writes a call with its operation."""

    connection: Any

    def add_vendor_call(self, *, operation_id: str, before: Subscription, connector: str,
                        settings: dict[str, Any], request: dict[str, Any], target_status: str,
                        now: datetime, deadline: datetime) -> str:
        call_id = new_id("vc")
        self.connection.execute(vendor_calls.insert().values(
            id=call_id, operation_id=operation_id, subscription_id=before.id,
            connector=connector, settings=m.jsonable(settings), request=m.jsonable(request),
            before=snapshot(before), target_status=target_status, state="pending",
            attempts=0, next_poll_at=now, deadline=deadline, created_at=utcnow()))
        return call_id

    def vendor_call_before(self, operation_id: str) -> dict[str, Any] | None:
        return self.connection.execute(select(vendor_calls.c.before).where(
            vendor_calls.c.operation_id == operation_id)).scalar()

    def pending_vendor_calls(self) -> int:
        return len(self.connection.execute(select(vendor_calls.c.id).where(
            vendor_calls.c.state == "pending")).all())


def claim(database: Any, now: datetime, started: datetime, *, force: bool, limit: int,
          lease: Any) -> list[ClaimedCall]:
    """Calls due for this worker. `force` (the test worker) ignores back-off, not other
    workers' leases, and takes each call once per round: not one polled since `started`."""
    token = new_id("clm")
    c = vendor_calls.c
    free = or_(c.claimed_until.is_(None), c.claimed_until < now)
    with database.uow() as uow:
        conn = uow.connection
        query = select(c.id).where(c.state == "pending", free)
        if force:
            query = query.where(or_(c.last_polled_at.is_(None), c.last_polled_at < started))
        else:
            query = query.where(c.next_poll_at <= now)
        ids = list(conn.execute(_skip_locked(query.order_by(c.next_poll_at).limit(limit),
                                             conn, vendor_calls)).scalars())
        if not ids:
            return []
        conn.execute(update(vendor_calls).where(c.id.in_(ids), c.state == "pending", free)
                     .values(claim=token, claimed_until=now + lease, attempts=c.attempts + 1,
                             last_polled_at=utcnow()))
        rows = conn.execute(select(vendor_calls).where(c.id.in_(ids), c.claim == token)
                            .order_by(c.next_poll_at)).all()
        uow.commit()
    return [ClaimedCall(r.id, token, r.operation_id, r.subscription_id, r.connector,
                        dict(r.settings or {}), dict(r.request), r.target_status, r.reference,
                        r.attempts, utc(r.deadline) or now) for r in rows]


def finish(conn: Any, call: ClaimedCall, error: str | None = None) -> bool:
    """Marks the call done under this worker's claim; False if it was taken over or done."""
    c = vendor_calls.c
    result = conn.execute(update(vendor_calls).where(
        c.id == call.id, c.claim == call.token, c.state == "pending")
        .values(state="done", finished_at=utcnow(), claim=None, claimed_until=None,
                last_error=error))
    return bool(result.rowcount == 1)


def reschedule(database: Any, call: ClaimedCall, *, reference: str | None,
               next_poll_at: datetime, error: str | None) -> bool:
    """Still pending: remember the vendor's reference, release the claim, wait."""
    c = vendor_calls.c
    with database.uow() as uow:
        result = uow.connection.execute(update(vendor_calls).where(
            c.id == call.id, c.claim == call.token, c.state == "pending")
            .values(reference=reference, next_poll_at=next_poll_at, claim=None,
                    claimed_until=None, last_error=error))
        uow.commit()
    return bool(result.rowcount == 1)
