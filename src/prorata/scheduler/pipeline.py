"""Deciding batch N+1 while batch N is written and committed.

A batch costs client work (reading, deciding, encoding: Python, holding the GIL) and database
work (PostgreSQL's server process; SQLite's C code, which runs with the GIL released). Done one
after the other they add up; here a writer thread with its own connection writes and commits
the batches in order while the caller's thread reads and decides the next one, so they
overlap. At most one batch is in flight: memory stays at two batches.

Exactly once is unchanged: each batch is still one transaction of version-guarded updates and
dedup-keyed inserts, committed in order. What changes is when a batch is read: before the
previous batch is committed. That is safe because batches hold disjoint subscriptions, and the
one thing a batch reads that earlier batches change (balances of customers with a credit
limit) is carried in memory by `RunBalances`. When a write loses a race, the batch decided
meanwhile is thrown away (it may have counted the losing batch's charges) and the losing batch
is redone from fresh state by `redo` — synchronously, read and written in one transaction.
Any other writer error stops the run with that error."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any, Protocol

from sqlalchemy.exc import DBAPIError, OperationalError

from prorata.adapters.db.bulk import bulk_cache
from prorata.domain.errors import Conflict
from prorata.scheduler.batch import LostRace

log = logging.getLogger(__name__)


def lost_race(exc: BaseException) -> bool:
    """Another run wrote some of the batch first (or held the lock too long): retry it."""
    if isinstance(exc, LostRace | Conflict | OperationalError):
        return True
    text = str(exc).lower()
    return isinstance(exc, DBAPIError) and ("unique" in text or "duplicate" in text)


class Run(Protocol):
    def decide(self, ids: list[str]) -> Any: ...
    def write(self, uow: Any, decided: Any) -> Counter[str]: ...
    def redo(self, ids: list[str]) -> Counter[str]: ...


class Writer:
    """One thread and one unit of work, kept open across batches (committed after each), so
    SQLite's page cache stays warm. After a failure the unit of work is rolled back and closed;
    the next batch opens a new one."""

    def __init__(self, database: Any, write: Callable[[Any, Any], Counter[str]]) -> None:
        self._database = database
        self._write = write
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="prorata-writer")
        self._open: ExitStack | None = None
        self._uow: Any = None

    def submit(self, decided: Any) -> Future[Counter[str]]:
        return self._thread.submit(self._run, decided)

    def close(self) -> None:
        """Waits for the batch in flight, then releases the connection."""
        self._thread.submit(self._release)
        self._thread.shutdown(wait=True)

    def _run(self, decided: Any) -> Counter[str]:
        if self._open is None:
            stack = ExitStack()
            self._uow = stack.enter_context(self._database.uow(batch=True))
            stack.enter_context(bulk_cache(self._uow.connection))
            self._open = stack
        try:
            return self._write(self._uow, decided)
        except BaseException:
            self._release()
            raise

    def _release(self) -> None:
        stack, self._open, self._uow = self._open, None, None
        if stack is not None:
            stack.close()


def overlapped(database: Any, run: Run, chunks: Sequence[list[str]],
               done: Callable[[int], None]) -> Counter[str]:
    """Every chunk decided on this thread and written on the writer's, in order; `done(i)`
    once chunk i is committed."""
    totals: Counter[str] = Counter()
    writer = Writer(database, run.write)
    pending: tuple[Future[Counter[str]], int] | None = None
    i = 0
    try:
        while i < len(chunks) or pending is not None:
            decided = run.decide(chunks[i]) if i < len(chunks) else None
            if pending is not None:
                future, j = pending
                pending = None
                try:
                    totals += future.result()
                except Exception as exc:
                    if not lost_race(exc):
                        raise
                    log.info("batch lost a race (%s); deciding it again", exc)
                    totals += run.redo(chunks[j])
                    done(j)
                    i = j + 1  # the batch decided meanwhile may have counted j's charges
                    continue
                done(j)
            if decided is not None:
                pending = (writer.submit(decided), i)
                i += 1
    finally:
        writer.close()
    return totals
