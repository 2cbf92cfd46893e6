"""The worker's set-wise work on deliveries (SPEC R3), safe with several workers at once.

- `fan_out`: events not yet dispatched become deliveries — one per matching webhook endpoint
  and one per e-mail recipient — and are marked dispatched, in one transaction. A delivery
  is unique per (event, target): two workers that raced would make it once. On PostgreSQL
  the events are taken `FOR UPDATE SKIP LOCKED`, so concurrent workers share them out.
- `claim`: a conditional UPDATE takes due deliveries for this worker (a claim token and a
  lease); a row another worker claimed first is not updated again, and a lease that ran out
  (its worker died mid-send) makes the row claimable again, with the same id: the receiver
  may see a delivery twice, never under two ids.
- `record`: the outcome of each attempt, guarded by the claim token, with its log row; the
  endpoint's failure streak, and disabling an endpoint that keeps failing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

from sqlalchemy import and_, bindparam, or_, select, update

from prorata.adapters.db.notify import utc
from prorata.adapters.db.schema import (
    customers,
    deliveries,
    delivery_attempts,
    events,
    resellers,
    webhook_endpoints,
)
from prorata.adapters.db.session import utcnow
from prorata.domain.events import CUSTOMER, EVENT_TYPES
from prorata.domain.model import Event
from prorata.ids import new_id


@dataclass
class Claimed:
    """A delivery this worker holds: what to send, where, as which attempt."""

    id: str
    claim: str
    attempt: int
    endpoint_id: str | None
    url: str | None
    secret: str | None
    recipient: str | None
    event: Event
    event_created_at: datetime


@dataclass
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str | None = None
    duration_ms: int = 0
    final: bool = False  # no point in retrying


@dataclass(frozen=True)
class Policy:
    max_attempts: int
    delay: Callable[[int], timedelta]  # attempt number -> wait before the next one
    disable_after: int                  # failed attempts in a row ...
    disable_after_age: timedelta        # ... the first of them at least this old


def _skip_locked(query: Any, conn: Any, *tables: Any) -> Any:
    if conn.dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True, of=tables)
    return query  # SQLite: the write transaction holds the database lock


def _segments(path: str | None) -> list[str]:
    return [unquote(p) for p in (path or "").split("/") if p]


def fan_out(database: Any, now: datetime, *, mail: bool, limit: int = 500) -> int:
    """Deliveries for up to `limit` undispatched events; answers how many events it took."""
    with database.uow() as uow:
        conn = uow.connection
        query = select(events.c.id, events.c.type, events.c.customer_id,
                       events.c.created_at).where(events.c.dispatched_at.is_(None)) \
            .order_by(events.c.seq).limit(limit)
        taken = conn.execute(_skip_locked(query, conn, events)).all()
        if not taken:
            return 0
        endpoints = conn.execute(
            select(webhook_endpoints.c.id, webhook_endpoints.c.events,
                   webhook_endpoints.c.created_at, resellers.c.path)
            .select_from(webhook_endpoints.outerjoin(
                resellers, resellers.c.id == webhook_endpoints.c.reseller_id))
            .where(webhook_endpoints.c.deleted_at.is_(None))).all()
        owners = {r.id: r for r in conn.execute(
            select(customers.c.id, customers.c.email, resellers.c.path)
            .select_from(customers.outerjoin(resellers,
                                             resellers.c.id == customers.c.reseller_id))
            .where(customers.c.id.in_({e.customer_id for e in taken} - {None})))}
        manager_mail = _manager_addresses(conn, owners.values()) if mail else {}
        rows = []
        for event in taken:
            owner = owners.get(event.customer_id)
            path = None if owner is None else owner.path or "/"
            for ep in endpoints:
                if _at(ep.created_at) > _at(event.created_at):  # made after the event
                    continue
                if ep.events and event.type not in ep.events:
                    continue
                if ep.path is not None and (path is None or not path.startswith(ep.path)):
                    continue  # a reseller's endpoint sees its subtree's events only (P2)
                rows.append(_delivery(event.id, f"webhook:{ep.id}", now, endpoint=ep.id))
            if mail and owner is not None:
                address = owner.email if EVENT_TYPES.get(event.type, CUSTOMER) == CUSTOMER \
                    else _nearest(manager_mail, path)
                if address:
                    rows.append(_delivery(event.id, f"email:{address.lower()}", now,
                                          recipient=address))
        if rows:
            stmt = uow._upsert_insert(deliveries).on_conflict_do_nothing(
                index_elements=[deliveries.c.event_id, deliveries.c.target])
            conn.execute(stmt, rows)
        conn.execute(update(events).where(events.c.id.in_([e.id for e in taken]),
                                          events.c.dispatched_at.is_(None))
                     .values(dispatched_at=utcnow()))
        uow.commit()
    return len(taken)


def _at(value: datetime) -> datetime:
    aware = utc(value)
    assert aware is not None
    return aware


def _delivery(event_id: str, target: str, now: datetime, *, endpoint: str | None = None,
              recipient: str | None = None) -> dict[str, Any]:
    return {"id": new_id("msg"), "event_id": event_id, "target": target,
            "endpoint_id": endpoint, "recipient": recipient, "status": "pending",
            "attempts": 0, "next_attempt_at": now, "created_at": utcnow()}


def _manager_addresses(conn: Any, owners: Any) -> dict[str, str]:
    """reseller id -> e-mail, for the resellers above these customers that have one."""
    ids = {rid for o in owners for rid in _segments(o.path)}
    if not ids:
        return {}
    return {r.id: r.email for r in conn.execute(
        select(resellers.c.id, resellers.c.email).where(resellers.c.id.in_(ids),
                                                        resellers.c.email.isnot(None)))}


def _nearest(addresses: dict[str, str], path: str | None) -> str | None:
    for rid in reversed(_segments(path)):
        if rid in addresses:
            return addresses[rid]
    return None


def claim(database: Any, now: datetime, started: datetime, *, force: bool, limit: int,
          lease: timedelta) -> list[Claimed]:
    """Due deliveries for this worker. `force` ignores back-off (not other workers' leases),
    and still takes each delivery once per round: not one attempted since `started`."""
    token = new_id("clm")
    d, ep = deliveries.c, webhook_endpoints.c
    free = or_(d.claimed_until.is_(None), d.claimed_until < now)
    with database.uow() as uow:
        conn = uow.connection
        query = select(d.id).select_from(deliveries.outerjoin(
            webhook_endpoints, ep.id == d.endpoint_id)).where(
            d.status == "pending", free,
            or_(d.endpoint_id.is_(None), and_(ep.enabled.is_(True), ep.deleted_at.is_(None))))
        if force:
            query = query.where(or_(d.last_attempt_at.is_(None), d.last_attempt_at < started))
        else:
            query = query.where(d.next_attempt_at <= now)
        ids = list(conn.execute(_skip_locked(
            query.order_by(d.next_attempt_at, d.seq).limit(limit), conn, deliveries)).scalars())
        if not ids:
            return []
        conn.execute(update(deliveries).where(d.id.in_(ids), d.status == "pending", free)
                     .values(claim=token, claimed_until=now + lease, attempts=d.attempts + 1))
        e = events.c
        rows = conn.execute(
            select(d.id, d.attempts, d.endpoint_id, d.recipient, ep.url, ep.secret,
                   e.id.label("event_id"), e.type, e.data, e.customer_id, e.subscription_id,
                   e.dedup_key, e.created_on, e.created_at.label("event_created_at"))
            .select_from(deliveries.join(events, e.id == d.event_id)
                         .outerjoin(webhook_endpoints, ep.id == d.endpoint_id))
            .where(d.id.in_(ids), d.claim == token).order_by(d.seq)).all()
        uow.commit()
    return [Claimed(r.id, token, r.attempts, r.endpoint_id, r.url, r.secret, r.recipient,
                    Event(r.type, dict(r.data or {}), r.customer_id, r.subscription_id,
                          r.dedup_key, r.event_id, r.created_on),
                    utc(r.event_created_at) or now) for r in rows]


def record(database: Any, results: list[tuple[Claimed, Outcome]], now: datetime,
           policy: Policy) -> None:
    """Every outcome of a batch, in one transaction."""
    if not results:
        return
    stamp = utcnow()
    with database.uow() as uow:
        conn = uow.connection
        updates, log = [], []
        for item, out in results:
            done = out.ok or out.final or item.attempt >= policy.max_attempts
            updates.append({
                "b_id": item.id, "b_claim": item.claim,
                "status": "succeeded" if out.ok else ("failed" if done else "pending"),
                "next_attempt_at": now if done else now + policy.delay(item.attempt),
                "last_attempt_at": stamp, "last_status_code": out.status_code,
                "last_error": out.error, "delivered_at": stamp if out.ok else None,
                "claim": None, "claimed_until": None})
            log.append({"delivery_id": item.id, "attempt": item.attempt, "attempted_at": stamp,
                        "status_code": out.status_code, "error": out.error,
                        "duration_ms": out.duration_ms})
        d = deliveries.c
        # SET from the keys of `updates`; a row whose claim another worker took is left alone
        conn.execute(update(deliveries).where(d.id == bindparam("b_id"),
                                              d.claim == bindparam("b_claim")), updates)
        stmt = uow._upsert_insert(delivery_attempts).on_conflict_do_nothing(
            index_elements=[delivery_attempts.c.delivery_id, delivery_attempts.c.attempt])
        conn.execute(stmt, log)
        _streaks(conn, [(i.endpoint_id, o.ok) for i, o in results if i.endpoint_id], now,
                 policy)
        uow.commit()


def _streaks(conn: Any, outcomes: list[tuple[str, bool]], now: datetime,
             policy: Policy) -> None:
    """Each endpoint's run of failed attempts; one that keeps failing is disabled (its
    pending deliveries wait until a manager enables it again: nothing is lost)."""
    ep = webhook_endpoints.c
    ids = sorted({e for e, _ in outcomes})
    if not ids:
        return
    state = {r.id: [r.failures, utc(r.failing_since), r.enabled] for r in conn.execute(
        select(ep.id, ep.failures, ep.failing_since, ep.enabled).where(ep.id.in_(ids)))}
    for endpoint, ok in outcomes:
        failures, since, _ = state[endpoint]
        state[endpoint][:2] = [0, None] if ok else [failures + 1, since or now]
    for endpoint, (failures, since, enabled) in state.items():
        values: dict[str, Any] = {"failures": failures, "failing_since": since}
        if enabled and failures >= policy.disable_after and since is not None \
                and now - since >= policy.disable_after_age:
            values.update(enabled=False, disabled_reason=(
                f"disabled after {failures} failed attempts in a row since "
                f"{since.isoformat(timespec='seconds')}"))
        conn.execute(update(webhook_endpoints).where(ep.id == endpoint).values(**values))
