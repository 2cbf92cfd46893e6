"""Times usage imports and their rating at N records on SQLite and PostgreSQL (SPEC B4).

    python benchmarks/usage.py                        # N=1,000,000, both databases, 3 runs
    python benchmarks/usage.py --n 200000 --db sqlite --runs 5

Each run migrates a fresh database with one pay-as-you-go subscription per `--subs`, writes a
CSV of N records (API.md header; 3 meters, 3 categories, dates over one billing month), then
times: the import of the whole file through the same path as `prorata import-usage` and the
API (parse, check, bulk insert, one transaction), a second import of the same file (all
duplicates), and the billing day's rating of every record. Prints records per second for
each (wall clock, and per CPU-second of the benchmark's process) and the medians over the
runs, with the machine's load average at the end."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from prorata.adapters.db import Database
from prorata.domain.model import Customer
from prorata.domain.plans import build_plan
from prorata.services import usage, usage_rating
from prorata.services.ports import OPERATOR
from prorata.services.subscriptions import create_subscription
from prorata.services.usage_input import csv_records

START = date(2025, 8, 1)
TODAY = date(2025, 8, 31)
BILLING_DAY = date(2025, 9, 1)
METERS = ("vm", "storage", "egress")
CATEGORIES = ("usage", "reservation", "third_party")


def _write_csv(path: Path, n: int, sub: int) -> None:
    with path.open("w") as f:
        f.write("id,date,meter,category,quantity,cost\n")
        for i in range(n):
            day = START + timedelta(days=i % 30)
            f.write(f"r{sub}-{i},{day},{METERS[i % 3]},{CATEGORIES[(i // 3) % 3]},"
                    f"{i % 97}.{i % 1000:03d},0.{i % 10000:04d}\n")


def _seed(db: Database, subs: int) -> None:
    plan = build_plan({"name": "Azure", "billing_type": "payg", "currency": "USD",
                       "periods": [], "resources": [
                           {"id": m, "name": m, "price": "0.0123"} for m in METERS]},
                      "azure", "azure-payg")
    with db.uow() as uow:
        uow.add_product({"id": "azure", "name": "Azure"})
        uow.add_plan(plan)
        uow.add_customer(Customer("acme", "Acme", billing_day=1))
        for s in range(subs):
            create_subscription(uow, OPERATOR, {"id": f"az{s}", "customer": "acme",
                                                  "plan": "azure-payg", "resources": {}},
                                  START)
        uow.commit()


def _import(db: Database, path: Path, sub: str) -> dict[str, Any]:
    with db.uow() as uow, path.open("rb") as f:
        result = usage.import_usage(uow, OPERATOR, sub, csv_records(f), TODAY, fields=False)
        uow.commit()
    return result


def _fresh(kind: str, tmp: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'usage.db'}", None
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.dbfixtures import create_pg_database

    name, url = create_pg_database("prorata_bench")
    return url, name


def run_once(kind: str, n: int, subs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        url, pg_name = _fresh(kind, Path(tmp))
        db = Database(url)
        try:
            db.migrate()
            _seed(db, subs)
            per = n // subs
            files = []
            for s in range(subs):
                files.append(Path(tmp) / f"usage{s}.csv")
                _write_csv(files[-1], per, s)
            t0, c0 = time.perf_counter(), time.process_time()
            accepted = sum(_import(db, f, f"az{s}")["accepted"] for s, f in enumerate(files))
            t1, c1 = time.perf_counter(), time.process_time()
            dups = sum(_import(db, f, f"az{s}")["duplicates"] for s, f in enumerate(files))
            t2, c2 = time.perf_counter(), time.process_time()
            lines = usage_rating.rate_day(db, BILLING_DAY).get("usage_lines", 0)
            t3, c3 = time.perf_counter(), time.process_time()
            assert accepted == dups == per * subs, (accepted, dups)
            assert lines == subs * len(METERS) * len(CATEGORIES), lines
        finally:
            db.dispose()
            if pg_name:
                from tests.dbfixtures import drop_pg_database

                drop_pg_database(pg_name)
    total = per * subs
    # Per CPU-second of this process: what the machine's load does not change as much (on
    # PostgreSQL the server's own CPU is not in it).
    return {"import": total / (t1 - t0), "reimport": total / (t2 - t1),
            "rate": total / (t3 - t2), "import per CPU-s": total / (c1 - c0),
            "rate per CPU-s": total / max(c3 - c2, 1e-9)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--subs", type=int, default=10, help="subscriptions (one file each)")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for kind in kinds:
        results = []
        for run in range(args.runs):
            figures = run_once(kind, args.n, args.subs)
            results.append(figures)
            print(f"{kind} run {run + 1}: " + ", ".join(
                f"{k} {v:,.0f} records/s" for k, v in figures.items()), flush=True)
        print(f"{kind} median of {args.runs} at {args.n:,} records: " + ", ".join(
            f"{k} {statistics.median(r[k] for r in results):,.0f} records/s"
            for k in results[0]) + f" (load average {os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    main()
