"""The daily run shared by several runners (issue 13): batches claimed with leases, each
runner a share, exactly once, the same charge lines as one runner, a dead runner's batch
taken over once its lease runs out; due ids paged, never loaded whole (SPEC S12)."""

from __future__ import annotations

import gc
import threading
import time
from datetime import date, timedelta

from sqlalchemy import func, select

from prorata.adapters.db.schema import operations, scheduler_leases, subscriptions
from prorata.scheduler import run_day, run_through
from prorata.scheduler import runner as runner_module
from prorata.scheduler.leases import Leases
from tests.dbfixtures import every_line, truncate_all
from tests.integration.test_scheduler import BOUGHT, _count, _seed

DAY = date(2024, 9, 1)


def _lines(database) -> list[tuple]:
    """Every charge line, without its generated ids, in a stable order."""
    return sorted((ln.subscription, ln.kind.value, ln.resource, ln.description,
                   ln.period_start, ln.period_end, ln.quantity, ln.unit_price, ln.amount,
                   ln.currency, ln.created_on) for ln in every_line(database))


def _states(database) -> list[tuple]:
    s = subscriptions.c
    with database.uow(read_only=True) as uow:
        return [tuple(r) for r in uow.connection.execute(
            select(s.id, s.status, s.charged_until, s.due_on, s.version).order_by(s.id))]


def _slow_writes(monkeypatch) -> None:
    """Each batch write sleeps a little (the GIL is released), so that runners in threads
    take turns as processes would."""
    real = runner_module.write_batch

    def slow(uow, results, today, **kwargs):
        time.sleep(0.02)
        return real(uow, results, today, **kwargs)

    monkeypatch.setattr(runner_module, "write_batch", slow)


def _in_parallel(database, runners: int, **kwargs) -> list[dict]:
    reports: list[dict] = []
    errors: list[BaseException] = []
    start = threading.Barrier(runners)

    def run() -> None:
        try:
            start.wait()
            reports.append(run_day(database, DAY, **kwargs))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(runners)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return reports


def test_two_runners_share_the_day_and_write_what_one_runner_writes(database, monkeypatch):
    # SPEC S12 (issue 13): each runner does a share, together every subscription once, and the
    # charge lines and subscription states are those of a single runner.
    _seed(database, n=60)
    run_through(database, BOUGHT)
    single = run_day(database, DAY, batch_size=5)
    one_lines, one_states = _lines(database), _states(database)
    assert single["subscriptions"] == 60 and single["due"] == 60

    truncate_all(database.engine)
    _seed(database, n=60)
    run_through(database, BOUGHT)
    _slow_writes(monkeypatch)
    reports = _in_parallel(database, 2, batch_size=5)
    shares = sorted(r["subscriptions"] for r in reports)
    assert sum(shares) == 60 and shares[0] > 0, shares
    assert sum(r["prolong"] for r in reports) == 60
    assert _count(database, operations, operations.c.type == "prolong") == 60
    assert _lines(database) == one_lines
    assert _states(database) == one_states
    with database.uow(read_only=True) as uow:
        leases = uow.connection.execute(
            select(scheduler_leases.c.owner, func.sum(scheduler_leases.c.subscriptions))
            .where(scheduler_leases.c.done_at.is_not(None))
            .group_by(scheduler_leases.c.owner)).all()
    assert sorted(n for _, n in leases) == shares  # the table says who did what


def test_three_runners_and_a_rerun_act_once(database, monkeypatch):
    # SPEC S12: however many runners, and the day run again afterwards changes nothing.
    _seed(database, n=30)
    run_through(database, BOUGHT)
    _slow_writes(monkeypatch)
    reports = _in_parallel(database, 3, batch_size=4)
    assert sum(r["subscriptions"] for r in reports) == 30
    before = _lines(database)
    assert run_day(database, DAY, batch_size=4).get("subscriptions", 0) == 0
    assert _lines(database) == before


def test_a_dead_runners_batch_is_taken_over_once_its_lease_runs_out(database):
    # SPEC S12 (issue 13): a runner claimed the first batch and died; another runner does the
    # rest, waits for the lease to run out, then does that batch too, and the day completes.
    _seed(database, n=12)
    run_through(database, BOUGHT)
    dead = Leases(database, DAY, size=5, lease=timedelta(seconds=1.5))
    claim = next(dead.claims())
    assert claim.ids == ["s0", "s1", "s10", "s11", "s2"]
    started = time.monotonic()
    report = run_day(database, DAY, batch_size=5)
    waited = time.monotonic() - started
    assert report["subscriptions"] == 12 and report["prolong"] == 12
    assert waited >= 1.0  # not taken before its lease ran out
    assert _count(database, operations, operations.c.type == "prolong") == 12
    with database.uow(read_only=True) as uow:
        row = uow.connection.execute(select(scheduler_leases).where(
            scheduler_leases.c.lo == claim.lo)).one()
    assert row.owner != dead.owner and row.done_at is not None and row.subscriptions == 5
    assert run_through(database, DAY)["days"] == 0  # the day was marked complete


def test_a_stalled_runner_that_wakes_after_a_takeover_writes_nothing(database):
    # SPEC S12: its lease ran out and another runner did its batch; the stalled runner's
    # decisions, written late, lose to the version guards and the batch is not done twice.
    _seed(database, n=4)
    run_through(database, BOUGHT)
    with database.uow(read_only=True) as uow:
        shared = runner_module.DayContext(uow, DAY)
    stalled = Leases(database, DAY, size=10, lease=timedelta(0))
    slow = runner_module._Run(database, shared, stalled)
    claim = next(stalled.claims())
    decided = slow.decide(claim)  # decided, then the runner stalls past its lease
    assert run_day(database, DAY)["subscriptions"] == 4
    lines = _lines(database)
    with database.uow(batch=True) as uow:
        try:
            slow.write(uow, decided)
            raise AssertionError("the late write should have lost")  # pragma: no cover
        except runner_module.LostRace:
            pass
    assert slow.redo(claim) == {}  # redone from fresh state: the batch is done already
    assert _lines(database) == lines
    assert _count(database, operations, operations.c.type == "prolong") == 4


def test_a_failed_run_releases_its_leases_for_an_immediate_rerun(database, monkeypatch):
    # A run stopped by an error hands its batches back at once: the rerun needs no waiting.
    _seed(database, n=6)
    run_through(database, BOUGHT)

    def failing(uow, results, today, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(runner_module, "write_batch", failing)
    try:
        run_day(database, DAY, batch_size=2)
    except RuntimeError:
        pass
    monkeypatch.undo()
    started = time.monotonic()
    assert run_day(database, DAY, batch_size=2)["subscriptions"] == 6
    assert time.monotonic() - started < 60  # far below the 5-minute lease


def test_due_ids_are_claimed_a_page_at_a_time(database):
    # Issue 13, bounded memory: a claim holds one page of due ids, in id order, never the day;
    # subscriptions not due are skipped.
    _seed(database, n=10)
    run_through(database, BOUGHT)
    with database.uow() as uow:
        uow.connection.execute(subscriptions.update().where(subscriptions.c.id == "s3")
                               .values(due_on=date(2024, 9, 2)))
        uow.commit()
    leases = Leases(database, DAY, size=4)
    pages = [c.ids for c in leases.claims()]
    assert pages == [["s0", "s1", "s2", "s4"], ["s5", "s6", "s7", "s8"], ["s9"]]
    assert leases.claimed == 9


def test_a_new_batch_brings_its_due_rows_once(database):
    # Issue 13, round 15: the page query that finds a batch's due ids reads the rows the
    # decision needs, so the batch is not read a second time. They are taken once: a batch
    # decided again after a lost race reads fresh rows (the claim has none left to give).
    from prorata.adapters.db.bulk import Codec, load_subscriptions, subscription_columns

    _seed(database, n=5)
    run_through(database, BOUGHT)
    codec = Codec(database.engine.dialect)
    leases = Leases(database, DAY, size=3, columns=subscription_columns(codec))
    first = next(leases.claims())
    rows = first.take_rows()
    assert rows is not None and [row[0] for row in rows] == first.ids == ["s0", "s1", "s2"]
    assert first.take_rows() is None
    with database.uow(read_only=True) as uow:
        fresh = load_subscriptions(uow.connection, codec, first.ids, DAY)
    assert [codec.subscription(row) for row in rows] == fresh
    assert next(Leases(database, DAY, size=3).claims()).rows is None  # ids only


def test_the_run_holds_the_batches_in_flight_never_the_day(database):
    # Issue 13, bounded memory: whatever N, the run holds the subscriptions and due ids of the
    # batches in flight only (the one being decided and those being written: one writer on
    # SQLite, two on PostgreSQL). Counted after every commit, among the live objects: a list
    # of the day's ids or subscriptions kept anywhere would make these numbers grow with N.
    from prorata.domain.model import Subscription
    from prorata.scheduler.leases import Claim

    _seed(database, n=80)
    run_through(database, BOUGHT)

    def census() -> tuple[int, int]:
        subs = claimed = 0
        for obj in gc.get_objects():
            kind = type(obj)
            if kind is Subscription:
                subs += 1
            elif kind is Claim:
                claimed += len(obj.ids)
        return subs, claimed

    gc.collect()
    before = census()
    seen: list[tuple[int, int]] = []
    report = run_day(database, DAY, batch_size=5, progress=lambda _: seen.append(census()))
    assert report["subscriptions"] == 80 and len(seen) == 16
    in_flight = 5 * (runner_module._writers(database) + 1)
    assert max(s - before[0] for s, _ in seen) <= in_flight
    assert max(c - before[1] for _, c in seen) <= in_flight
