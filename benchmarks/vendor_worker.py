"""Pending vendor operations completed per second by 1 and 2 worker processes on PostgreSQL
(SPEC V5).

    python benchmarks/vendor_worker.py                # N=2,000, 1 and 2 workers, 3 runs each
    python benchmarks/vendor_worker.py --n 5000 --runs 5 --latency-ms 20 --db sqlite
    python benchmarks/vendor_worker.py --profile --db sqlite  # statements, CPU per outcome

Each run seeds a fresh database with N subscriptions bought through the service on a product
whose connector answers pending, so every purchase is `provisioning` with a durable vendor
call. Then P worker processes (`prorata.worker.vendor_poll.poll_vendors`, as `prorata worker`
runs it) start together and share the calls: claim (SKIP LOCKED + conditional UPDATE), call the
vendor, apply the outcome (subscription active, operation completed) in one transaction each.
The vendor is an in-process connector that waits `--latency-ms` per call, standing for a
vendor API's round trip. Timed from the start signal until the last call is applied; every
operation is checked completed exactly once."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from fresh import fresh_database  # benchmarks/fresh.py, beside this script
from sqlalchemy import func, select

from prorata.adapters.db import Database
from prorata.adapters.db.schema import operations, vendor_calls
from prorata.domain.model import Customer
from prorata.domain.plans import build_plan
from prorata.services import subscriptions, vendors
from prorata.services.ports import OPERATOR
from prorata.vendors import registry
from prorata.vendors.sdk import Connector, Outcome, VendorRequest
from prorata.worker.vendor_poll import poll_vendors

DAY = date(2025, 9, 1)


class Remote(Connector):
    """A vendor one round trip away: accepts the job, then completes it when polled."""

    def call(self, request: VendorRequest) -> Outcome:
        time.sleep(self.settings.get("latency_ms", 0) / 1000)
        return Outcome.completed()


registry.installed()["bench-remote"] = Remote


def seed(database: Database, n: int, latency_ms: int) -> None:
    plan = build_plan({"name": "basic", "billing_type": "monthly", "currency": "USD",
                       "periods": ["P1Y"], "resources": [
                           {"id": "seats", "name": "Seats", "primary": True, "min": 1,
                            "max": 100, "price": "6.00"}]}, "bench", "basic")
    with database.uow() as uow:
        uow.add_product({"id": "bench", "name": "Bench", "vendor": "bench-remote",
                         "vendor_settings": {"latency_ms": latency_ms}})
        uow.add_plan(plan)
        uow.add_customer(Customer("acme", "Acme"))
        uow.commit()
    for start in range(0, n, 500):
        with database.uow() as uow:
            for i in range(start, min(n, start + 500)):
                subscriptions.create_subscription(uow, OPERATOR, {
                    "id": f"s{i}", "customer": "acme", "plan": "basic",
                    "resources": {"seats": 1}}, DAY)
            uow.commit()


def _pending(database: Database) -> int:
    with database.uow(read_only=True) as uow:
        return int(uow.connection.execute(select(func.count()).select_from(vendor_calls)
                                          .where(vendor_calls.c.state == "pending")).scalar())


def worker(url: str) -> None:
    """A worker process: ready, wait for the start line, work until nothing is pending."""
    database = Database(url)
    _pending(database)  # connect before the clock starts
    print("ready", flush=True)
    sys.stdin.readline()
    now = vendors.now_on(DAY)
    applied = 0
    while True:
        done = poll_vendors(database, now)
        applied += done
        if done == 0 and _pending(database) == 0:
            break
    print(applied, flush=True)


def _fresh(kind: str, tmp: Path) -> tuple[str, str | None]:
    return fresh_database(kind, tmp, "vendors.db")


def run(kind: str, n: int, processes: int, latency_ms: int, tmp: Path) -> float:
    db_url, pg_name = _fresh(kind, tmp)
    database = Database(db_url)
    try:
        database.migrate()
        seed(database, n, latency_ms)
        procs = [subprocess.Popen([sys.executable, __file__, "--worker", db_url],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                 for _ in range(processes)]
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        started = time.perf_counter()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        applied = []
        for proc in procs:
            assert proc.stdout is not None
            applied.append(int(proc.stdout.readline()))
            proc.wait()
        elapsed = time.perf_counter() - started
        with database.uow(read_only=True) as uow:
            completed = uow.connection.execute(select(func.count()).select_from(operations)
                                               .where(operations.c.status == "completed"))
            assert completed.scalar() == n == sum(applied), (n, applied)
        rate = n / elapsed
        print(f"  {kind:<8} {processes} worker(s)  n={n:,}  {elapsed:.2f} s  "
              f"{rate:,.0f} operations/s  (applied per worker: {applied})", flush=True)
        return rate
    finally:
        database.dispose()
        if pg_name:
            from tests.dbfixtures import drop_pg_database

            drop_pg_database(pg_name)


def profile(kind: str, n: int, tmp: Path) -> None:
    """In-process, one worker, a vendor with no latency: SQL statements and this process's
    CPU per applied outcome. Both are independent of the machine's load, unlike wall time
    (the database server's own CPU on PostgreSQL is not counted)."""
    from sqlalchemy import event

    db_url, pg_name = _fresh(kind, tmp)
    database = Database(db_url)
    try:
        database.migrate()
        seed(database, n, 0)
        _pending(database)  # connected before counting
        statements = [0]

        def count(*_: object) -> None:
            statements[0] += 1

        event.listen(database.engine, "before_cursor_execute", count)
        now = vendors.now_on(DAY)
        cpu, wall = time.process_time(), time.perf_counter()
        applied = poll_vendors(database, now)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        event.remove(database.engine, "before_cursor_execute", count)
        assert applied == n == n - _pending(database), (applied, n)
        print(f"  {kind:<8} n={n:,}  {statements[0] / n:.2f} statements/outcome  "
              f"{cpu / n * 1e6:,.0f} µs CPU/outcome  (wall {n / wall:,.0f} outcomes/s)",
              flush=True)
    finally:
        database.dispose()
        if pg_name:
            from tests.dbfixtures import drop_pg_database

            drop_pg_database(pg_name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency-ms", type=int, default=5)
    parser.add_argument("--profile", action="store_true",
                        help="statements and CPU per outcome, in-process, one worker")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    if args.profile:
        with tempfile.TemporaryDirectory() as tmp:
            for _ in range(args.runs):
                profile(args.db, args.n, Path(tmp))
        return
    print(f"vendor worker: {args.n:,} pending operations, vendor latency {args.latency_ms} ms, "
          f"{args.runs} runs each (python {sys.version.split()[0]}, {os.cpu_count()} cores)")
    results: dict[int, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for processes in (1, 2):
            for _ in range(args.runs):
                results.setdefault(processes, []).append(
                    run(args.db, args.n, processes, args.latency_ms, Path(tmp)))
    for processes, rates in results.items():
        print(f"{args.db}, {processes} worker process(es): median {statistics.median(rates):,.0f}"
              f" operations/s (runs: {min(rates):,.0f} – {max(rates):,.0f})")


if __name__ == "__main__":
    main()
