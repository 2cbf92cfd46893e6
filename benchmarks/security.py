"""Costs of the issue-6 checks on SQLite and PostgreSQL: the login throttle (three counts over
`login_failures`) and a reseller-scoped read (the byte-range subtree test).

    python benchmarks/security.py                       # both databases, 5 runs
    python benchmarks/security.py --db sqlite --failures 200000 --runs 3

Seeds N failed sign-ins spread over 2,000 e-mails and 500 addresses within the window, and a
reseller tree of 1,000 resellers with 10 customers each; then times `throttle.check` and
`uow.get_customer` in a reseller's scope, each 500 times per run. Prints the median per call
of each run and the median of the runs."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fresh import fresh_database  # benchmarks/fresh.py, beside this script
from sqlalchemy import insert

from prorata.adapters.db import Database
from prorata.adapters.db.schema import customers, login_failures, resellers
from prorata.domain.errors import TooManyRequests
from prorata.services import throttle
from prorata.services.ports import Scope

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
CALLS = 500


def _fresh(kind: str, tmp: Path) -> tuple[str, str | None]:
    return fresh_database(kind, tmp, "security.db")


def seed(database: Database, failures: int) -> None:
    with database.uow() as uow:
        conn = uow.connection
        rows = [{"id": f"lf{i}", "email": f"user{i % 2000}@example.com",
                 "client": f"10.0.{i % 500 // 250}.{i % 250}",
                 "created_at": NOW - timedelta(seconds=i % 800)} for i in range(failures)]
        for start in range(0, len(rows), 10_000):
            conn.execute(insert(login_failures), rows[start:start + 10_000])
        tops = [{"id": f"r{i}", "name": f"R{i}", "parent_id": None, "path": f"/r{i}/",
                 "created_at": NOW} for i in range(1000)]
        conn.execute(insert(resellers), tops)
        conn.execute(insert(customers), [
            {"id": f"c{i}-{j}", "name": "C", "reseller_id": f"r{i}", "billing_day": 1,
             "currency": "USD", "created_at": NOW} for i in range(1000) for j in range(10)])
        uow.commit()


def _median_call(fn: object, calls: int) -> float:
    times = []
    for i in range(calls):
        started = time.perf_counter()
        fn(i)  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run(kind: str, failures: int, runs: int) -> None:
    checks, reads = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            url, pg_name = _fresh(kind, Path(tmp))
            database = Database(url)
            try:
                database.migrate()
                seed(database, failures)

                def check(i: int, database: Database = database) -> None:
                    with database.uow(read_only=True) as uow:
                        try:
                            throttle.check(uow, f"user{i % 2000}@example.com",
                                           f"10.0.0.{i % 250}", NOW)
                        except TooManyRequests:
                            pass

                def read(i: int, database: Database = database) -> None:
                    with database.uow(read_only=True) as uow:
                        found = uow.get_customer(Scope("reseller", f"r{i % 1000}"),
                                                 f"c{i % 1000}-{i % 10}")
                        assert found is not None

                checks.append(_median_call(check, CALLS))
                reads.append(_median_call(read, CALLS))
                print(f"  {kind:<8} throttle check {checks[-1] * 1e3:.2f} ms   "
                      f"scoped read {reads[-1] * 1e3:.2f} ms", flush=True)
            finally:
                database.dispose()
                if pg_name:
                    from tests.dbfixtures import drop_pg_database

                    drop_pg_database(pg_name)
    print(f"{kind}: {failures:,} failures on file; median of {runs} runs: throttle check "
          f"{statistics.median(checks) * 1e3:.2f} ms, reseller-scoped read "
          f"{statistics.median(reads) * 1e3:.2f} ms per call")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--failures", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for kind in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        run(kind, args.failures, args.runs)


if __name__ == "__main__":
    main()
