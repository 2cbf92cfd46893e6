"""Lease rows of the daily run are pruned at the start of each run (issue 13): finished ones
older than KEEP_DAYS before the day being run; unfinished ones are kept."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from prorata.adapters.db import Database
from prorata.adapters.db.schema import scheduler_leases
from prorata.scheduler import run_day
from prorata.scheduler.leases import KEEP_DAYS, prune

DAY = date(2024, 9, 1)
NOW = datetime(2024, 9, 1, 2, tzinfo=UTC)


def _lease(day: date, lo: str, done: bool) -> dict[str, object]:
    return {"day": day, "lo": lo, "hi": lo + "z", "owner": "host:1:abc",
            "expires_at": NOW, "done_at": NOW if done else None,
            "subscriptions": 5 if done else None}


def _left(database: Database) -> set[tuple[date, str]]:
    L = scheduler_leases.c
    with database.uow(read_only=True) as uow:
        return {(r.day, r.lo) for r in uow.connection.execute(select(L.day, L.lo))}


def test_each_run_prunes_finished_leases_older_than_the_kept_days(database: Database) -> None:
    # issue 13 / SPEC S12 (the daily run): the record of who did what is kept KEEP_DAYS days
    oldest_kept = DAY - timedelta(days=KEEP_DAYS)
    rows = [_lease(oldest_kept - timedelta(days=1), "", True),       # pruned
            _lease(oldest_kept - timedelta(days=1), "a", True),      # pruned
            _lease(oldest_kept - timedelta(days=90), "", True),      # pruned
            _lease(oldest_kept - timedelta(days=5), "b", False),     # unfinished: kept
            _lease(oldest_kept, "", True),                           # on the edge: kept
            _lease(DAY - timedelta(days=1), "", True)]               # yesterday: kept
    with database.uow() as uow:
        uow.connection.execute(scheduler_leases.insert(), rows)
        uow.commit()
    run_day(database, DAY)
    assert _left(database) == {(oldest_kept - timedelta(days=5), "b"), (oldest_kept, ""),
                               (DAY - timedelta(days=1), "")}
    assert prune(database, DAY) == 0  # nothing more to do the second time
    assert prune(database, DAY + timedelta(days=1)) == 1  # the edge day, a day later
