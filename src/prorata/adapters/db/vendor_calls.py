"""The durable vendor calls (SPEC V1, V5): one row per operation waiting for its vendor.

Claims follow the deliveries' pattern in a single statement: a conditional UPDATE that sets a
claim token and a lease (`claimed_until`) on the rows of a `FOR UPDATE SKIP LOCKED` selection
(PostgreSQL; SQLite's write transaction holds the database lock), returning what the worker
needs, so that workers do not queue behind each other nor read the call again. An outcome is
applied in the transaction that flips `state` from pending to done under the same claim token
(`finish`, `finish_many`): a worker whose lease ran out and whose call was taken over finds
zero rows and applies nothing, so every outcome is applied once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, bindparam, case, or_, select, update

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
    before: dict[str, Any]  # the snapshot of the subscription before the operation (V2)


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

    def pending_vendor_calls(self) -> int:
        return len(self.connection.execute(select(vendor_calls.c.id).where(
            vendor_calls.c.state == "pending")).all())


def claim(database: Any, now: datetime, started: datetime, *, force: bool, limit: int,
          lease: Any) -> list[ClaimedCall]:
    """Calls due for this worker, claimed and read in one statement (`UPDATE … WHERE id IN
    (due ids, SKIP LOCKED) … RETURNING`), `before` included so that applying the outcome need
    not read the call again. `force` (the test worker) ignores back-off, not other workers'
    leases, and takes each call once per round: not one polled since `started`."""
    token = new_id("clm")
    c = vendor_calls.c
    free = or_(c.claimed_until.is_(None), c.claimed_until < now)
    d = _DUE.c  # an alias: the subquery must not be correlated with the updated table
    with database.uow() as uow:
        conn = uow.connection
        due = select(d.id).where(d.state == "pending", or_(d.claimed_until.is_(None),
                                                          d.claimed_until < now))
        if force:
            due = due.where(or_(d.last_polled_at.is_(None), d.last_polled_at < started))
        else:
            due = due.where(d.next_poll_at <= now)
        ids = _skip_locked(due.order_by(d.next_poll_at).limit(limit), conn, _DUE).cte("ids")
        if conn.dialect.name == "postgresql":
            # Evaluated once: as `IN (subquery)` the planner may run a LIMIT … SKIP LOCKED
            # subquery once per row it scans, claiming far more than `limit` rows.
            ids = ids.prefix_with("MATERIALIZED")
        rows = conn.execute(update(vendor_calls)
                            .where(c.id.in_(select(ids.c.id)), c.state == "pending", free)
                            .values(claim=token, claimed_until=now + lease,
                                    attempts=c.attempts + 1, last_polled_at=utcnow())
                            .returning(*_CLAIMED)).all()
        uow.commit()
    rows.sort(key=lambda r: (utc(r.next_poll_at) or now, r.id))
    return [ClaimedCall(r.id, token, r.operation_id, r.subscription_id, r.connector,
                        dict(r.settings or {}), dict(r.request), r.target_status, r.reference,
                        r.attempts, utc(r.deadline) or now, dict(r.before or {}))
            for r in rows]


_DUE = vendor_calls.alias("due")
_CLAIMED = (vendor_calls.c.id, vendor_calls.c.operation_id, vendor_calls.c.subscription_id,
            vendor_calls.c.connector, vendor_calls.c.settings, vendor_calls.c.request,
            vendor_calls.c.target_status, vendor_calls.c.reference, vendor_calls.c.attempts,
            vendor_calls.c.deadline, vendor_calls.c.before, vendor_calls.c.next_poll_at)


def finish(conn: Any, call: ClaimedCall, error: str | None = None) -> bool:
    """Marks the call done under this worker's claim; False if it was taken over or done."""
    return call.id in finish_many(conn, [(call, error)])


def finish_many(conn: Any, calls: list[tuple[ClaimedCall, str | None]]) -> set[str]:
    """`finish` for a batch, in one statement: the ids this worker still held, now done (the
    outcomes it must apply in this transaction); the others were taken over."""
    if not calls:
        return set()
    c = vendor_calls.c
    errors = {call.id: error for call, error in calls if error is not None}
    mine = or_(*(and_(c.id.in_([call.id for call, _ in group]), c.claim == token)
                 for token, group in _by_token(calls).items()))
    last_error = case(errors, value=c.id, else_=None) if errors else None
    result = conn.execute(update(vendor_calls).where(mine, c.state == "pending")
                          .values(state="done", finished_at=utcnow(), claim=None,
                                  claimed_until=None, last_error=last_error)
                          .returning(c.id))
    return set(result.scalars())


def _by_token(calls: list[tuple[ClaimedCall, str | None]]) -> \
        dict[str, list[tuple[ClaimedCall, str | None]]]:
    groups: dict[str, list[tuple[ClaimedCall, str | None]]] = {}
    for item in calls:
        groups.setdefault(item[0].token, []).append(item)
    return groups


def reschedule_many(database: Any,
                    waits: list[tuple[ClaimedCall, str | None, datetime, str | None]]) -> int:
    """Still pending: remember the vendor's reference, release the claim, wait. One
    transaction and one executemany for the batch; answers how many were still this
    worker's."""
    if not waits:
        return 0
    c = vendor_calls.c
    stmt = update(vendor_calls).where(
        c.id == bindparam("b_id"), c.claim == bindparam("b_claim"), c.state == "pending") \
        .values(reference=bindparam("b_reference"), next_poll_at=bindparam("b_next"),
                claim=None, claimed_until=None, last_error=bindparam("b_error"))
    with database.uow() as uow:
        result = uow.connection.execute(stmt, [
            {"b_id": call.id, "b_claim": call.token, "b_reference": reference,
             "b_next": next_poll_at, "b_error": error}
            for call, reference, next_poll_at, error in waits])
        uow.commit()
    return int(result.rowcount)
