"""Sharing one day's work between the processes that run it, in batches claimed with leases.

A day's due ids are cut, in id order, into batches: a batch is the due ids in `(lo, hi]`, and
`scheduler_leases` holds one row per batch, keyed by `(day, lo)`. A process claims the next
batch by reading the highest `hi` of the day, paging the next `size` due ids after it (keyset:
memory holds one page, never the whole day) and inserting the lease row with `ON CONFLICT DO
NOTHING`: of two processes that read the same `hi`, exactly one inserts the row and the other
reads again. So each process takes as many batches as it can do: a fair share by speed.

A batch's lease is marked done in the very transaction that writes the batch (`finish`), so a
batch is either written and done, or neither. A lease not done by `expires_at` is a crashed (or
stalled) process's: the next process to look takes it over with a conditional UPDATE and
pages the ids of `(lo, hi]` that are still due. A stalled owner that wakes up and writes anyway
loses to the version guards (or finds the lease done), so nothing happens twice. A run that
stops on an error releases its unfinished leases at once (`release`), so a rerun need not wait
for them to expire.

A process is done with the day when nothing is left to claim and no lease is unfinished;
while another process still holds unfinished leases it waits (with none of its own in hand),
so that the day is marked complete only when all of its batches are, and a lease that
expires meanwhile is taken over.
Expiry uses each process's clock: processes on several hosts need clocks within the lease
time of each other (seconds against minutes)."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from prorata.adapters.db.schema import scheduler_leases, subscriptions
from prorata.adapters.db.session import utcnow
from prorata.domain.model import Status
from prorata.ids import new_id

LEASE = timedelta(minutes=5)  # ~600 batches' time on this machine: only a dead process's runs out
POLL = 0.5  # seconds between looks while other processes finish their batches
KEEP_DAYS = 30  # lease rows kept as a record of who did what: a month of runs, then pruned

L = scheduler_leases.c
RETRY, WAIT, DONE = "retry", "wait", "done"


@dataclass
class Claim:
    """One claimed batch: its range and the due ids found in it when claimed; for a new
    batch, also the due rows themselves (the `columns` the leases were asked to read, id
    first), which the page query walks anyway. They are taken once (`take_rows`): the first
    decision of the batch uses them instead of reading the rows again; a batch decided again
    after a lost race must read fresh ones."""

    day: date
    lo: str
    hi: str
    ids: list[str]
    rows: list[Any] | None = None

    def take_rows(self) -> list[Any] | None:
        rows, self.rows = self.rows, None
        return rows


def owner_name() -> str:
    """Who holds a lease, for people reading the table: host, pid and a random tail (two
    runs in one process, e.g. threads, are different owners)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{new_id('run')[-8:]}"


def _due(day: date) -> Any:
    return select(subscriptions.c.id).where(subscriptions.c.due_on <= day,
                                            subscriptions.c.status != Status.DELETED.value)


def _page(conn: Any, day: date, lo: str, size: int, columns: Sequence[str]) -> Any:
    """The next `size` due ids after `lo`, read in id order from the primary key. Not by
    `due_on`: each page would read every subscription still due (all of them on a billing day)
    and sort it, so a day would cost due² / size; in id order a page stops after `size` hits
    and the day reads the table at most once (so `due_on` has no index since migration 0020).
    PostgreSQL, whose statistics lag right after a bulk load, is kept off a sequential scan
    and sort for this one statement. `columns`: what to read of each (SQL, given as is)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
    s = subscriptions.c
    return (select(*(literal_column(c) for c in columns) if columns else (s.id,))
            .where(s.due_on <= day,
                   s.status != Status.DELETED.value, s.id > lo)
            .order_by(s.id).limit(size))


def _insert(conn: Any) -> Any:
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    return dialect_insert(scheduler_leases).on_conflict_do_nothing()


def prune(database: Any, day: date, keep_days: int = KEEP_DAYS) -> int:
    """Deletes the finished leases of days more than `keep_days` before `day` (the business
    day being run, so a test clock prunes like the real one); returns how many. An unfinished
    lease is kept whatever its age: it belongs to a day some process may still be running.
    One short transaction at the start of each day's run: ~N/5,000 rows a day otherwise
    pile up for ever."""
    with database.uow() as uow:
        deleted = uow.connection.execute(
            delete(scheduler_leases).where(L.day < day - timedelta(days=keep_days),
                                           L.done_at.is_not(None))).rowcount
        uow.commit()
    return int(deleted or 0)


class Leases:
    """One process's claims on one day."""

    def __init__(self, database: Any, day: date, *, size: int, lease: timedelta = LEASE,
                 poll: float = POLL, sleep: Callable[[float], None] = time.sleep,
                 columns: Sequence[str] = ()) -> None:
        self.database = database
        self.columns = columns  # read with each new batch's due ids (Claim.rows), id first
        self.day = day
        self.size = size
        self.lease = lease
        self.poll = poll
        self.sleep = sleep
        self.owner = owner_name()
        self.claimed = 0  # due ids in the batches this process claimed
        self.others_busy = False

    def claims(self) -> Iterator[Claim]:
        """This process's batches, claimed one at a time as they are asked for, until none
        is left to claim now. Then `others_busy` says whether other processes still hold
        unfinished batches: the caller finishes its own (it must not wait with batches in
        hand: two processes would wait for each other), then calls `wait` and claims again."""
        while True:
            claim = self._claim()
            if isinstance(claim, Claim):
                self.claimed += len(claim.ids)
                yield claim
            elif claim != RETRY:
                self.others_busy = claim == WAIT
                return

    def wait(self) -> None:
        self.sleep(self.poll)

    def _claim(self) -> Claim | str:
        """A batch; or RETRY (another process claimed it first), WAIT (other processes still
        hold unfinished batches) or DONE. Own unfinished batches are in this process's
        pipeline: waiting for them here would wait for ever."""
        day = self.day
        with self.database.uow() as uow:
            conn = uow.connection
            now = utcnow()
            # A crashed process's batch first: it comes before the new ones in id order.
            expired = conn.execute(
                select(L.lo, L.hi).where(L.day == day, L.done_at.is_(None), L.expires_at < now,
                                         L.owner != self.owner)
                .order_by(L.lo).limit(1)).first()
            if expired is not None:
                taken = conn.execute(
                    update(scheduler_leases)
                    .where(L.day == day, L.lo == expired.lo, L.done_at.is_(None),
                           L.expires_at < now)
                    .values(owner=self.owner, expires_at=now + self.lease)).rowcount
                ids = list(conn.execute(
                    _due(day).where(subscriptions.c.id > expired.lo,
                                    subscriptions.c.id <= expired.hi)
                    .order_by(subscriptions.c.id)).scalars())
                uow.commit()
                return Claim(day, expired.lo, expired.hi, ids) if taken == 1 else RETRY
            lo = conn.execute(select(func.max(L.hi)).where(L.day == day)).scalar() or ""
            rows = conn.execute(_page(conn, day, lo, self.size, self.columns)).all()
            ids = [row[0] for row in rows]
            if ids:
                # RETURNING says whether the row went in (rowcount did not, on PostgreSQL).
                inserted = conn.execute(_insert(conn).values(
                    day=day, lo=lo, hi=ids[-1], owner=self.owner,
                    expires_at=now + self.lease).returning(L.lo)).first()
                uow.commit()
                # Not inserted: another process claimed this batch since `lo` was read.
                if inserted is None:
                    return RETRY
                return Claim(day, lo, ids[-1], ids, rows if self.columns else None)
            others = conn.execute(select(L.lo).where(
                L.day == day, L.done_at.is_(None), L.owner != self.owner).limit(1)).first()
            return WAIT if others is not None else DONE

    @staticmethod
    def is_done(conn: Any, claim: Claim) -> bool:
        return conn.execute(select(L.done_at).where(
            L.day == claim.day, L.lo == claim.lo, L.done_at.is_not(None))).first() is not None

    def finish(self, conn: Any, claim: Claim, subscriptions_done: int) -> bool:
        """Marks the batch done, in the transaction that writes it. False: it already is (a
        process that took the lease over did it), and this transaction must not commit."""
        return conn.execute(
            update(scheduler_leases)
            .where(L.day == claim.day, L.lo == claim.lo, L.done_at.is_(None))
            .values(done_at=utcnow(), owner=self.owner,
                    subscriptions=subscriptions_done)).rowcount == 1

    def release(self) -> None:
        """After an error: this process's unfinished batches may be taken over at once."""
        with self.database.uow() as uow:
            uow.connection.execute(
                update(scheduler_leases)
                .where(L.day == self.day, L.owner == self.owner, L.done_at.is_(None))
                .values(expires_at=utcnow()))
            uow.commit()
