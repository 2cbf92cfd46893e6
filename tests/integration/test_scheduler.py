"""The daily run on a real database: whole lives, exactly once however often or however
concurrently it runs, and after a crash mid-run (SPEC S12)."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from prorata.adapters.db.schema import customers, operations
from prorata.domain.model import Customer
from prorata.domain.plans import build_plan
from prorata.scheduler import run_day, run_through
from prorata.scheduler import runner as runner_module
from prorata.scheduler.batch import LostRace
from prorata.services.ports import OPERATOR
from prorata.services.subscriptions import create_subscription, get_subscription
from tests.dbfixtures import every_line

BOUGHT = date(2024, 8, 20)


def _seed(database, n: int = 3, **settings) -> None:
    plan = build_plan({"name": "Basic", "billing_type": "monthly", "currency": "USD",
                       "periods": ["P1Y"],
                       "resources": [{"id": "seats", "name": "Licenses", "primary": True,
                                      "min": 1, "max": 300, "price": "6.00"}],
                       "settings": {"manual_renewal_point": 15, "auto_renewal_point": 7,
                                    **settings}}, "m365", "basic")
    with database.uow() as uow:
        uow.add_product({"id": "m365", "name": "Microsoft 365", "vendor": "instant",
                         "attributes": []})
        uow.add_plan(plan)
        uow.add_customer(Customer("acme", "Acme"))
        for i in range(n):
            create_subscription(uow, OPERATOR, {"id": f"s{i}", "customer": "acme",
                                                "plan": "basic", "resources": {"seats": 5}},
                                BOUGHT)
        uow.commit()


def _count(database, table, *where) -> int:
    with database.uow(read_only=True) as uow:
        return uow.connection.execute(select(func.count()).select_from(table).where(*where)) \
            .scalar_one()


def _sub(database, sub_id: str = "s0") -> dict:
    with database.uow(read_only=True) as uow:
        return get_subscription(uow, OPERATOR, sub_id, BOUGHT)


def _holds(batch, sub_id: str) -> bool:
    """Whether an encoded batch (or a redone batch's results) writes subscription `sub_id`."""
    if isinstance(batch, list):
        return any(sub.id == sub_id for sub, _ in batch)
    return any(row[1] == sub_id for row in [*batch.ops, *batch.folded])


def test_a_year_of_monthly_life_is_charged_once_per_billing_day(database):
    # SPEC S7, S5.2, S5.3: prolongation on each billing day, the renewal order at
    # expires_on − 7, the new period the day after expires_on.
    _seed(database, n=1)
    run_through(database, BOUGHT)
    run_through(database, date(2025, 8, 20))
    prolongs = _count(database, operations, operations.c.type == "prolong")
    assert prolongs == 12  # 1 Sep 2024 … 1 Aug 2025
    sub = _sub(database)
    assert sub["expires_on"] == "2026-08-19" and sub["status"] == "active"
    total = sum(line.amount for line in every_line(database))
    # 12/31 × 30 + 11 × 30 + 19/31 × 30 + renewal stub 12/31 × 30
    expected = Decimal("11.61") + 11 * Decimal("30.00") + Decimal("18.39") + Decimal("11.61")
    assert total == expected


def test_running_a_day_again_changes_nothing(database):
    # SPEC S12: however often the scheduler runs.
    _seed(database)
    run_through(database, BOUGHT)
    run_day(database, date(2024, 9, 1))
    before = len(every_line(database))
    run_day(database, date(2024, 9, 1))
    run_day(database, date(2024, 9, 1))
    assert len(every_line(database)) == before
    assert _count(database, operations, operations.c.type == "prolong") == 3


def test_concurrent_runs_act_once(database):
    # SPEC S12: however concurrently it runs.
    _seed(database, n=40)
    run_through(database, BOUGHT)
    errors: list[Exception] = []

    def run() -> None:
        try:
            run_day(database, date(2024, 9, 1), batch_size=7)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _count(database, operations, operations.c.type == "prolong") == 40
    assert sum(ln.period_start == date(2024, 9, 1) for ln in every_line(database)) == 40


def test_a_crash_mid_run_loses_only_the_open_batch(database, monkeypatch):
    # SPEC S12: after a crash mid-run, the rerun finishes the day exactly once.
    _seed(database, n=10)
    run_through(database, BOUGHT)
    real = runner_module.write_batch
    calls = {"n": 0}

    def crashing(uow, results, today):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("power cut")
        return real(uow, results, today)

    monkeypatch.setattr(runner_module, "write_batch", crashing)
    with pytest.raises(KeyboardInterrupt):
        run_through(database, date(2024, 9, 1), batch_size=4)
    assert _count(database, operations, operations.c.type == "prolong") == 4
    monkeypatch.setattr(runner_module, "write_batch", real)
    run_through(database, date(2024, 9, 1), batch_size=4)
    assert _count(database, operations, operations.c.type == "prolong") == 10


def test_grace_period_uses_the_stored_balance_and_payments(database):
    # SPEC S7 + B1: the run reads payments − lines; a payment within the grace keeps it active.
    _seed(database, n=2, grace_period_days=3)
    with database.uow() as uow:
        uow.connection.execute(customers.update().values(credit_limit=Decimal("40")))
        uow.commit()
    run_through(database, BOUGHT)
    run_through(database, date(2024, 9, 1))  # 2 × (11.61 + 30.00) charged: balance −83.22
    assert _sub(database, "s0")["status"] == "active"
    with database.uow() as uow:
        uow.add_payment("acme", Decimal("50.00"), "USD", date(2024, 9, 2))
        uow.commit()
    run_through(database, date(2024, 9, 4))  # −33.22 ≥ −40: paid enough
    assert [_sub(database, s)["status"] for s in ("s0", "s1")] == ["active", "active"]
    run_through(database, date(2024, 10, 1))  # −93.22: unpaid again, no payment this time
    run_through(database, date(2024, 10, 4))
    assert [_sub(database, s)["status"] for s in ("s0", "s1")] == ["stopped", "stopped"]


def test_later_batches_see_the_charges_of_earlier_ones_not_yet_committed(database):
    # SPEC S7: the writer thread may still be committing s0's batch while s1's is decided;
    # s1 must count s0's charge all the same. 2 × 11.61 on purchase, then 30.00 each: s0 leaves
    # −53.22 (within 70), s1 −83.22 (beyond), so s1 alone stops (no grace).
    _seed(database, n=2, grace_period_days=0)
    with database.uow() as uow:
        uow.connection.execute(customers.update().values(credit_limit=Decimal("70")))
        uow.commit()
    run_through(database, BOUGHT, batch_size=1)
    run_through(database, date(2024, 9, 1), batch_size=1)
    assert [_sub(database, s)["status"] for s in ("s0", "s1")] == ["active", "stopped"]


def test_a_writer_error_stops_the_run_and_the_day_stays_open(database, monkeypatch):
    _seed(database, n=6)
    run_through(database, BOUGHT)

    def failing(uow, results, today):
        raise RuntimeError("disk full")

    monkeypatch.setattr(runner_module, "write_batch", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        run_day(database, date(2024, 9, 1), batch_size=2)
    monkeypatch.undo()
    assert _count(database, operations, operations.c.type == "prolong") == 0
    assert run_through(database, date(2024, 9, 1), batch_size=2)["prolong"] == 6


def test_a_lost_race_redoes_the_batch_and_the_one_in_flight_after_it(database, monkeypatch):
    # SPEC S12 with two writers (PostgreSQL): batch 1 loses a race while batch 2 is already
    # sent; batch 2 must not commit before batch 1, so both are redone, each exactly once.
    _seed(database, n=8)
    run_through(database, BOUGHT)
    real = runner_module.write_batch
    lost: list[str] = []

    def losing(uow, results, today, **kwargs):
        if not lost and _holds(results, "s2"):
            lost.append("s2")
            raise LostRace("a concurrent run was first")
        return real(uow, results, today, **kwargs)

    monkeypatch.setattr(runner_module, "write_batch", losing)
    report = run_day(database, date(2024, 9, 1), batch_size=2)
    assert report["prolong"] == 8
    assert report["subscriptions"] == 8
    assert _count(database, operations, operations.c.type == "prolong") == 8


def test_no_batch_commits_after_an_earlier_one_failed(database, monkeypatch):
    # Batches commit in order: the one sent while batch 1 fails is rolled back with the run.
    _seed(database, n=6)
    run_through(database, BOUGHT)
    real = runner_module.write_batch

    def failing(uow, results, today):
        if _holds(results, "s2"):
            raise RuntimeError("disk full")
        return real(uow, results, today)

    monkeypatch.setattr(runner_module, "write_batch", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        run_day(database, date(2024, 9, 1), batch_size=2)
    monkeypatch.undo()
    assert _count(database, operations, operations.c.type == "prolong") == 2
    assert run_through(database, date(2024, 9, 1), batch_size=2)["prolong"] == 4


def test_a_batch_that_keeps_losing_stops_the_run_with_the_last_error_as_cause(database,
                                                                               monkeypatch):
    # Every OperationalError counts as a lost race; after the retries the run stops, and the
    # database's own error is kept as the cause rather than dropped.
    _seed(database, n=2)
    run_through(database, BOUGHT)

    def always_losing(uow, results, today, **kwargs):
        raise LostRace("a concurrent run was first")

    monkeypatch.setattr(runner_module, "write_batch", always_losing)
    with pytest.raises(RuntimeError, match="kept losing races") as caught:
        run_day(database, date(2024, 9, 1), batch_size=2)
    assert isinstance(caught.value.__cause__, LostRace)
    assert _count(database, operations, operations.c.type == "prolong") == 0
