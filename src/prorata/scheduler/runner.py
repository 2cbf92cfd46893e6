"""The daily run. For each day: batches of the subscriptions due (their `due_on` has come) are
claimed one page at a time (leases.py: several processes share a day this way, and memory
holds the batches in flight, not the day), decided by the pure engine and written with bulk
statements; writer threads write and commit the batches, in order, while the next one is
decided (pipeline.py). A batch's lease is marked done in the transaction that writes it.

Exactly once (S12) comes from the database, not from memory: every action that creates history
inserts an operation with a unique dedup key, and every subscription update is guarded by its
version. A batch that loses a race with a concurrent run is rolled back and decided again from
the fresh state; a crash loses at most the uncommitted batches (those in flight and the one
being decided, two in flight on PostgreSQL), and the day is only marked done when every
batch is."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool

from prorata.adapters.db import mapping as m
from prorata.adapters.db.bulk import (
    Codec,
    bulk_cache,
    load_customers,
    load_subscriptions,
    subscription_columns,
)
from prorata.adapters.db.schema import (
    exchange_rates,
    plans,
    scheduler_days,
)
from prorata.adapters.db.session import utcnow
from prorata.domain.catalog import Plan
from prorata.domain.engine import SYSTEM, Context, Decision, RateTable, due_on
from prorata.domain.engine.common import copy_sub
from prorata.domain.engine.plain import Hit, PlainProlongations, charged
from prorata.domain.model import TRANSITIONAL, Customer, Subscription
from prorata.ids import new_id
from prorata.scheduler import restrictions as party_rules
from prorata.scheduler.balances import RunBalances
from prorata.scheduler.batch import Encoded, LostRace, encode_batch, write_batch
from prorata.scheduler.gc_pause import fewer_collections
from prorata.scheduler.ids import BulkIds
from prorata.scheduler.leases import LEASE, Claim, Leases, prune
from prorata.scheduler.pipeline import lost_race, overlapped
from prorata.scheduler.usage import charge_usage
from prorata.services import invoicing
from prorata.services.vendors_daily import DailyRouter

log = logging.getLogger(__name__)
BATCH = 5000  # subscriptions per transaction: fewer commits and customer reads, ~30 MB
RETRIES = 5


class DayContext:
    """What every subscription of a day shares: the catalog, the rates, the restrictions."""

    def __init__(self, uow: Any, day: date) -> None:
        conn = uow.connection
        self.day = day
        self.plans: dict[str, Plan] = {
            row.id: m.plan_from_json(row.data) for row in conn.execute(select(plans))}
        pairs: dict[tuple[str, str], list[tuple[date, Any]]] = {}
        for row in conn.execute(select(exchange_rates)):
            pairs.setdefault((row.src, row.dst), []).append(
                (row.effective_from, Decimal(row.rate)))
        self.rates = RateTable(pairs)
        self.is_restricted: Callable[[Customer, Plan], bool] = party_rules.for_day(conn)  # P6
        self.plan_for = party_rules.plans_for_day(conn, self.plans)  # P3: a subtree's grace
        self.codec = Codec(conn.dialect)  # one per run: it remembers parsed JSON texts
        self.router = DailyRouter()  # V4: reads the products only if something is routed
        self.plain = PlainProlongations()  # issue 13: what plain prolongations write, per key


def _decide(shared: DayContext, sub: Subscription, customer: Customer,
            balances: dict[str, Decimal], make_id: Callable[[str], str] = new_id,
            conn: Any = None) -> list[Any] | Hit:
    if sub.status in TRANSITIONAL:  # busy with its vendor: the outcome schedules it again
        return [Decision(copy_sub(sub, due_on=None), None)]
    plan = shared.plan_for(sub.plan, customer)
    ctx = Context(today=shared.day, subscription=sub, plan=plan, customer=customer,
                  actor=SYSTEM, new_id=make_id, plans=shared.plans, rates=shared.rates,
                  restricted=shared.is_restricted(customer, plan),
                  balance=balances.get(customer.id))
    decisions = shared.plain.find(ctx)  # the full engine, unless a plain prolongation
    if isinstance(decisions, Hit):  # written from its key's rows (batch.encode_batch)
        if customer.id in balances:
            balances[customer.id] -= charged(decisions)
        return decisions
    if decisions:  # V4: renewals and switches taking effect go through the connector
        decisions = shared.router.route(conn, sub, decisions, shared.plans, customer)
    if customer.id in balances:  # later subscriptions of the batch see these charges
        balances[customer.id] -= sum((ln.amount for d in decisions for ln in d.lines),
                                     Decimal(0))
    if decisions:
        return decisions
    # Nothing to do after all (a rule changed since due_on was computed): move it on.
    later = copy_sub(sub)
    nxt = due_on(sub, plan)
    later.due_on = nxt if nxt is not None and nxt > shared.day else None
    if later.due_on is None and nxt is not None:
        later.due_on = shared.day + timedelta(days=1)
    return [Decision(later, None)]


@dataclass
class _Decided:
    claim: Claim
    batch: Encoded


class _Run:
    """The three ways a batch is handled (see pipeline.py): decided on a read-only unit of
    work, written on the writer's, or redone in one transaction after a lost race."""

    def __init__(self, database: Any, shared: DayContext, leases: Leases) -> None:
        self.database = database
        self.shared = shared
        self.leases = leases
        self.balances = RunBalances()
        self.ids = BulkIds()  # decide and redo run on the caller's thread only

    def decide(self, claim: Claim) -> _Decided:
        """Decided and encoded on this thread: the writer's only sends the rows."""
        with self.database.uow(read_only=True) as uow, bulk_cache(uow.connection):
            results = self._decide_in(uow.connection, claim.ids, claim.take_rows())
        batch = encode_batch(self.shared.codec, results, self.shared.day, make_id=self.ids)
        batch.counts["subscriptions"] = len(results)
        return _Decided(claim, batch)

    def _decide_in(self, conn: Any, ids: list[str], rows: list[Any] | None = None) -> \
            list[tuple[Subscription, Any]]:
        """`rows`: the batch's rows as read with its claim (Claim.rows), else read here."""
        shared = self.shared
        subs = load_subscriptions(conn, shared.codec, ids, shared.day) if rows is None \
            else [shared.codec.subscription(row) for row in rows]
        custs = load_customers(conn, shared.codec, {s.customer for s in subs})
        balances = self.balances.for_customers(conn, custs)
        return [(s, _decide(shared, s, custs[s.customer], balances, self.ids, conn))
                for s in subs]

    def write(self, uow: Any, decided: _Decided) -> Counter[str]:
        counts = write_batch(uow, decided.batch, self.shared.day)
        if not self.leases.finish(uow.connection, decided.claim, counts["subscriptions"]):
            raise LostRace("the batch was done by a process that took its lease over")
        return Counter(counts)

    def redo(self, claim: Claim) -> Counter[str]:
        """Read, decide and write in one transaction, from fresh state and fresh balances."""
        last: Exception | None = None
        ids = claim.ids
        for attempt in range(RETRIES):
            self.balances.forget()
            try:
                with self.database.uow(batch=True) as uow, bulk_cache(uow.connection):
                    if self.leases.is_done(uow.connection, claim):
                        return Counter()  # taken over and done by another process
                    results = self._decide_in(uow.connection, ids)
                    counts = write_batch(uow, results, self.shared.day, make_id=self.ids)
                    if not self.leases.finish(uow.connection, claim, len(results)):
                        raise LostRace("the batch's lease was finished meanwhile")
                    uow.commit()
                    counts["subscriptions"] = len(results)
                    return Counter(counts)
            except Exception as exc:
                if not lost_race(exc):
                    raise
                last = exc
                log.info("batch lost a race (%s); retrying, attempt %d", exc, attempt + 1)
        # Any OperationalError counts as a lost race: keep the last one as the cause, so that
        # a database that is simply failing is not reported as contention only.
        raise RuntimeError(f"a batch of {len(ids)} subscriptions kept losing races") from last


def _can_overlap(database: Any) -> bool:
    """An in-memory SQLite database is one shared connection: no second thread on it."""
    return not isinstance(database.engine.pool, StaticPool)


def _writers(database: Any) -> int:
    """PostgreSQL: two writers, one sending a batch while the other commits the previous one.
    SQLite has one write lock: a second writer would only wait for it."""
    return 2 if database.engine.dialect.name == "postgresql" else 1


def run_day(database: Any, day: date, *, batch_size: int = BATCH,
            lease: timedelta = LEASE,
            progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """All scheduled work of one day, shared with any other process running it (each takes
    batches as it goes: `subscriptions` in the report is this process's share). Safe to run
    again or concurrently. `progress(n)`: n batches of this process committed so far."""
    prune(database, day)  # lease rows of days long done
    with database.uow(read_only=True) as uow:
        shared = DayContext(uow, day)
    leases = Leases(database, day, size=batch_size, lease=lease,
                    columns=subscription_columns(shared.codec))

    committed = 0

    def done(_: int) -> None:
        nonlocal committed
        committed += 1
        if progress is not None:
            progress(committed)

    run = _Run(database, shared, leases)
    totals: Counter[str] = Counter()
    try:
        with fewer_collections():
            while True:
                if _can_overlap(database):
                    totals += overlapped(database, run, leases.claims(), done,
                                         writers=_writers(database))
                else:
                    for i, claim in enumerate(leases.claims()):
                        totals += run.redo(claim)
                        done(i)
                if not leases.others_busy:
                    break
                leases.wait()  # for other processes' batches: done, or expired and ours
    except BaseException:
        _release(leases)
        raise
    totals.update(charge_usage(database, day))  # B4: consumption, in arrears
    totals.update(invoicing.issue_for_run(database, day))  # B5: yesterday's documents
    try:
        with database.uow() as uow:
            conn = uow.connection
            done_day = conn.execute(
                select(scheduler_days.c.day).where(scheduler_days.c.day == day))
            if done_day.first() is None:
                conn.execute(scheduler_days.insert().values(day=day, completed_at=utcnow()))
            uow.commit()
    except IntegrityError:
        pass  # a concurrent run marked the day first
    # A process that found every batch taken by others did 0 subscriptions: say so.
    return {"day": day.isoformat(), "due": leases.claimed, "subscriptions": 0, **dict(totals)}


def _release(leases: Leases) -> None:
    try:
        leases.release()
    except Exception:  # pragma: no cover - the original error matters more
        log.exception("could not release the leases of a failed run")


def last_completed_day(database: Any) -> date | None:
    with database.uow(read_only=True) as uow:
        return uow.connection.execute(select(func.max(scheduler_days.c.day))).scalar()


def run_through(database: Any, day: date, **kwargs: Any) -> dict[str, Any]:
    """Every day not yet completed up to and including `day`, in order, so no day is missed
    after downtime. The first run ever starts at `day`."""
    last = last_completed_day(database)
    start = day if last is None else last + timedelta(days=1)
    totals: Counter[str] = Counter()
    days = 0
    current = start
    while current <= day:
        report = run_day(database, current, **kwargs)
        totals.update({k: v for k, v in report.items() if isinstance(v, int) and k != "due"})
        days += 1
        current += timedelta(days=1)
    return {"through": day.isoformat(), "days": days, **dict(totals)}
