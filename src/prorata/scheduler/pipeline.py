"""Deciding batch N+1 while batch N is written and committed.

A batch costs client work (reading, deciding, encoding: Python, holding the GIL) and database
work (PostgreSQL's server process; SQLite's C code, which runs with the GIL released). Done one
after the other they add up; here writer threads with their own connections write and commit
the batches while the caller's thread reads and decides the next one, so they overlap. SQLite
has one writer (one write lock). PostgreSQL has two taking turns: batch N+1's statements are
sent on one connection while batch N commits (its WAL flush) on the other,
so two server processes work at once. Memory stays at three batches (the chunks come from
an iterator, one page of due ids at a time).

Exactly once is unchanged: each batch is still one transaction of version-guarded updates and
dedup-keyed inserts, and batches commit in order: a writer commits only once the previous
batch has committed, and rolls back (`Skipped`) if it did not. What changes is when a batch is
read: before the previous ones are committed. That is safe because batches hold disjoint
subscriptions, and the one thing a batch reads that earlier batches change (balances of
customers with a credit limit) is carried in memory by `RunBalances`. When a write loses a
race, every later batch in flight is rolled back with it (it may have counted the losing
batch's charges, and it cannot have committed), the batch decided meanwhile is thrown away,
and each is redone in order from fresh state by `redo` — synchronously, read and written in
one transaction, once nothing is in flight. Any other writer error stops the run with that
error, and no later batch commits."""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Callable, Iterable
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
    def decide(self, chunk: Any) -> Any: ...
    def write(self, uow: Any, decided: Any) -> Counter[str]: ...
    def redo(self, chunk: Any) -> Counter[str]: ...


class Skipped(LostRace):
    """The batch before this one did not commit: this one is rolled back and redone too."""


class Writer:
    """One thread and one unit of work, kept open across batches (committed after each), so
    SQLite's page cache stays warm. After a failure the unit of work is rolled back and closed;
    the next batch opens a new one. A batch is sent at once but committed only after `after`
    (the previous batch's future, possibly on another writer) has committed."""

    def __init__(self, database: Any, write: Callable[[Any, Any], Counter[str]]) -> None:
        self._database = database
        self._write = write
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="prorata-writer")
        self._open: ExitStack | None = None
        self._uow: Any = None

    def submit(self, decided: Any, after: Future[Counter[str]] | None) -> Future[Counter[str]]:
        return self._thread.submit(self._run, decided, after)

    def close(self) -> None:
        """Waits for the batch in flight, then releases the connection."""
        self._thread.submit(self._release)
        self._thread.shutdown(wait=True)

    def _run(self, decided: Any, after: Future[Counter[str]] | None) -> Counter[str]:
        if self._open is None:
            stack = ExitStack()
            self._uow = stack.enter_context(self._database.uow(batch=True))
            stack.enter_context(bulk_cache(self._uow.connection))
            self._open = stack
        try:
            counts = self._write(self._uow, decided)
            if after is not None and after.exception() is not None:
                raise Skipped("an earlier batch did not commit")
            self._uow.commit()
            return counts
        except BaseException:
            self._release()
            raise

    def _release(self) -> None:
        stack, self._open, self._uow = self._open, None, None
        if stack is not None:
            stack.close()


def overlapped(database: Any, run: Run, chunks: Iterable[Any],
               done: Callable[[int], None], *, writers: int = 1) -> Counter[str]:
    """Every chunk decided on this thread and written on a writer's, committed in order;
    `done(i)` once chunk i is committed. With two writers, a batch's statements are sent while
    the previous batch commits (PostgreSQL: two server processes at work). Chunks are taken
    from `chunks` one at a time, when the writers are idle (taking one may write: a lease on
    it, and SQLite's one write lock is free then), so only the chunks in flight are held."""
    totals: Counter[str] = Counter()
    source = iter(chunks)
    current = next(source, None)
    if current is None:
        return totals  # most days of a test clock's jump: no threads for nothing
    pool = [Writer(database, run.write) for _ in range(writers)]
    pending: deque[tuple[Future[Counter[str]], int, Any]] = deque()
    i = 0
    try:
        while current is not None or pending:
            decided = run.decide(current) if current is not None else None
            while pending and (decided is None or len(pending) >= writers):
                future, j, chunk = pending.popleft()
                try:
                    totals += future.result()
                except Exception as exc:
                    if not lost_race(exc):
                        raise
                    # Every later batch in flight fails too (Skipped): wait for them, so that
                    # everything committed is known before the balances are read again.
                    redo = [(j, chunk)]
                    for later, k, later_chunk in pending:
                        try:
                            totals += later.result()
                            done(k)  # pragma: no cover - committed only after j did
                        except Exception as exc_k:
                            if not lost_race(exc_k):
                                raise
                            redo.append((k, later_chunk))
                    pending.clear()
                    log.info("batch lost a race (%s); deciding it again", exc)
                    for k, again in redo:
                        totals += run.redo(again)
                        done(k)
                    decided = None  # it may have counted charges: `current` is decided again
                    break
                done(j)
            if decided is not None:
                after = pending[-1][0] if pending else None
                upcoming = next(source, None)
                pending.append((pool[i % writers].submit(decided, after), i, current))
                current = upcoming
                i += 1
    finally:
        for writer in pool:
            writer.close()
    return totals
