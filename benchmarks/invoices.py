"""Times issuing one day's invoice documents for N customers on SQLite and PostgreSQL.

    python benchmarks/invoices.py                      # N=100,000, both databases, 3 runs
    python benchmarks/invoices.py --n 20000 --db sqlite --runs 5

Each run seeds a fresh database with N customers and their charge lines of one day (one line
for most, two for every third customer, a refund line for every tenth, so some days are
credit notes), then issues that day's documents in a fresh process — exactly what the daily
run does for the previous day (`services.invoicing.issue_day`), events included. Prints
invoices per second and peak RSS per run and their medians."""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from billing_run import _fresh  # the same fresh SQLite file / PostgreSQL database per run

from prorata.adapters.db import Database
from prorata.adapters.db.schema import charge_lines, customers
from prorata.adapters.db.session import utcnow
from prorata.ids import new_id

DAY = date(2025, 9, 1)


def seed(database: Database, n: int) -> int:
    now = utcnow()
    lines = 0
    with database.uow() as uow:
        conn = uow.connection
        for start in range(0, n, 5000):
            ids = [f"cust{c:07d}" for c in range(start, min(n, start + 5000))]
            conn.execute(customers.insert(), [
                {"id": cid, "name": f"Customer {cid}", "reseller_id": None, "billing_day": 1,
                 "currency": "USD", "inn": None, "customer_group": None, "credit_limit": None,
                 "created_at": now} for cid in ids])
            rows = []
            for i, cid in enumerate(ids, start):
                amounts = [60 + i % 40]
                if i % 3 == 0:
                    amounts.append(12)
                if i % 10 == 0:
                    amounts.append(-(200 + i % 7))
                rows += [{"id": new_id("ln"), "customer_id": cid, "subscription_id": None,
                          "operation_id": None, "kind": "charge" if a > 0 else "refund",
                          "resource": "seats", "description": "Licenses, billing month",
                          "period_start": DAY, "period_end": DAY + timedelta(days=30),
                          "quantity": 1, "unit_price": a, "amount": a, "currency": "USD",
                          "created_on": DAY} for a in amounts]
            conn.execute(charge_lines.insert(), rows)
            lines += len(rows)
        uow.commit()
    return lines


def run_once(url: str) -> dict[str, Any]:
    """In the measuring process: one day's documents, timed."""
    from prorata.services.invoicing import issue_day

    database = Database(url)
    started, cpu = time.perf_counter(), time.process_time()
    issued = issue_day(database, DAY, DAY + timedelta(days=1))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": elapsed, "cpu_seconds": cpu, "peak_mb": peak_mb, "issued": issued}


def bench(kind: str, n: int, runs: int) -> list[dict[str, Any]]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            url, pg_name = _fresh(kind, Path(tmp))
            database = Database(url)
            database.migrate()
            lines = seed(database, n)
            database.dispose()
            out = subprocess.run([sys.executable, __file__, "--run-only", url],
                                 check=True, capture_output=True, text=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            assert result["issued"] == n, result
            result["rate"] = n / result["seconds"]
            results.append(result)
            # CPU of this process only (on PostgreSQL the server's work is not in it): on a
            # shared machine it shows what the issuer itself costs, apart from waiting.
            print(f"  {kind:<8} n={n:,} ({lines:,} lines)  {result['seconds']:.2f} s  "
                  f"{result['rate']:,.0f} invoices/s  (issuer CPU {result['cpu_seconds']:.2f} s)"
                  f"  peak {result['peak_mb']:.0f} MB", flush=True)
            if pg_name:
                from tests.dbfixtures import drop_pg_database

                drop_pg_database(pg_name)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="customers with lines that day")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--run-only", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_only:
        print(json.dumps(run_once(args.run_only), default=str))
        return
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(f"invoices for one day of {args.n:,} customers, {args.runs} runs each "
          f"(python {sys.version.split()[0]}, {os.cpu_count()} cores)")
    for kind in kinds:
        results = bench(kind, args.n, args.runs)
        rates = sorted(r["rate"] for r in results)
        peak = statistics.median(r["peak_mb"] for r in results)
        print(f"{kind}: median {statistics.median(rates):,.0f} invoices/s "
              f"(runs {rates[0]:,.0f} – {rates[-1]:,.0f}), median peak {peak:.0f} MB")


if __name__ == "__main__":
    main()
