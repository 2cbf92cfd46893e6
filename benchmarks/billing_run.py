"""Times one daily run over N due subscriptions on SQLite and PostgreSQL.

    python benchmarks/billing_run.py                 # N=100,000, both databases, 3 runs
    python benchmarks/billing_run.py --n 20000 --db sqlite --runs 5
    python benchmarks/billing_run.py --db postgres --processes 2 [--pin]
    python benchmarks/billing_run.py --mix plain     # a day of plain prolongations only

Each run seeds a fresh database with N subscriptions all due on the run day — a mix of
billing-day prolongations (monthly, monthly_commitment), automatic renewal orders (long_term,
monthly), expiries (reservation, trial) and deletions of long-stopped subscriptions — then
runs that day's scheduler in fresh processes (`--processes P` of them at once, sharing the
day through its leases; `--pin` pins process i to core i), so the peak memory printed is the
run's own. Prints subscriptions per second (N over the wall time from the first process's
start to the last one's end), each process's share and peak RSS, the load average of the
machine while measured, the host's speed (`hostspeed.loop_seconds`, before and after, averaged:
compare figures only at similar loop times) and the medians."""

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
from datetime import date
from pathlib import Path
from typing import Any

from fresh import fresh_database  # benchmarks/fresh.py, beside this script
from hostspeed import loop_seconds  # benchmarks/hostspeed.py
from procstat import cpu_seconds  # benchmarks/procstat.py

from prorata.adapters.db import Database
from prorata.adapters.db import mapping as m
from prorata.adapters.db.schema import customers, plans, products, subscriptions
from prorata.adapters.db.session import utcnow
from prorata.domain.engine import due_on
from prorata.domain.engine.pricing import capture_prices
from prorata.domain.model import Status, Subscription
from prorata.domain.plans import build_plan

DAY = date(2025, 9, 1)  # a billing day
CUSTOMERS = 2000


def _plans() -> list[Any]:
    seats = [{"id": "seats", "name": "Licenses", "primary": True, "min": 1, "max": 1000,
              "price": "6.00"},
             {"id": "storage", "name": "Storage GB", "included": 10, "min": 0, "max": 10000,
              "price": "0.1250"}]
    spec = [("monthly", "monthly", {"auto_renewal_point": 0}),
            ("commit", "monthly_commitment", {}),
            ("annual", "long_term", {"auto_renewal_point": 0}),
            ("reserved", "reservation", {}),
            ("trial", "trial", {})]
    return [build_plan({"name": pid, "billing_type": bt, "currency": "USD", "periods": ["P1Y"],
                        "resources": seats, "settings": settings}, "bench", pid)
            for pid, bt, settings in spec]


def _subscription(i: int, plan: Any) -> Subscription:
    """A subscription of `plan` that has work on DAY."""
    kind = plan.id
    start = date(2024, 9, 1)
    period_end: date | None = date(2025, 9, 1)
    charged_until: date | None = DAY
    status = Status.ACTIVE
    stopped_on = None
    if kind == "monthly":                       # prolongation, mid-term
        start, period_end = date(2025, 3, 15), date(2026, 3, 15)
    elif kind == "commit":                      # prolongation, mid-term
        start, period_end = date(2025, 1, 10), date(2026, 1, 10)
    elif kind == "annual":                      # automatic renewal order on expires_on
        start, period_end, charged_until = date(2024, 9, 2), date(2025, 9, 2), date(2025, 9, 2)
    elif kind == "reserved":                    # expiry (no auto-renew)
        charged_until = period_end
    else:                                       # trial: stopped long ago → deleted
        status, stopped_on, charged_until = Status.STOPPED, date(2025, 5, 1), period_end
        start, period_end = date(2025, 4, 1), date(2026, 4, 1)
    amounts = {"seats": 1 + i % 50, "storage": i % 40}
    sub = Subscription(
        id=f"bench{i:07d}", customer=f"cust{i % CUSTOMERS:05d}", plan=plan.id, period="P1Y",
        billing_type=plan.billing_type, status=status, start_date=start, period_start=start,
        period_end=period_end, anchor_day=start.day, charged_until=charged_until,
        auto_renew=kind not in ("reserved", "trial"), resources=amounts,
        prices=capture_prices(plan, "P1Y"), high_water=dict(amounts), stopped_on=stopped_on)
    sub.due_on = due_on(sub, plan)
    assert sub.due_on is not None and sub.due_on <= DAY, (kind, sub.due_on)
    return sub


MIXES = {"mixed": 5, "plain": 2}  # plain: prolongations only (monthly, monthly_commitment)


def seed(database: Database, n: int, mix: str = "mixed") -> None:
    all_plans = _plans()[:MIXES[mix]]
    now = utcnow()
    with database.uow() as uow:
        conn = uow.connection
        conn.execute(products.insert(), [{"id": "bench", "name": "Bench", "vendor": "instant",
                                          "attributes": []}])
        conn.execute(plans.insert(), [m.plan_values(p) | {"id": p.id, "product_id": "bench",
                                                          "version": 0}
                                      for p in all_plans])
        conn.execute(customers.insert(), [
            {"id": f"cust{c:05d}", "name": f"Customer {c}", "reseller_id": None,
             "billing_day": 1, "currency": "USD", "inn": None, "customer_group": None,
             "credit_limit": None, "created_at": now} for c in range(CUSTOMERS)])
        rows = []
        for i in range(n):
            sub = _subscription(i, all_plans[i % len(all_plans)])
            rows.append(m.subscription_values(sub) | {
                "id": sub.id, "customer_id": sub.customer, "reseller_path": "/",
                "version": 0, "created_at": now})
            if len(rows) == 5000:
                conn.execute(subscriptions.insert(), rows)
                rows = []
        if rows:
            conn.execute(subscriptions.insert(), rows)
        uow.commit()


def run_once(url: str, core: int | None) -> dict[str, Any]:
    """In a measuring process: one daily run (this process's share of it), timed."""
    from prorata.scheduler import run_day

    if core is not None:
        os.sched_setaffinity(0, {core % (os.cpu_count() or 1)})
    database = Database(url)
    started = time.time()
    report = run_day(database, DAY)
    ended = time.time()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"started": started, "ended": ended, "peak_mb": usage.ru_maxrss / 1024,
            "client_cpu": usage.ru_utime + usage.ru_stime, "db_cpu": _server_cpu(database),
            "report": report}


def _server_cpu(database: Database) -> float | None:
    """CPU seconds of this database's PostgreSQL server processes (the run's pooled
    connections, still open), read from /proc: the server is on this machine. None for
    SQLite, whose work is done inside the runner (counted in `client_cpu`)."""
    if database.engine.dialect.name != "postgresql":
        return None
    from sqlalchemy import text

    with database.engine.connect() as conn:
        pids = list(conn.execute(text("SELECT pid FROM pg_stat_activity "
                                      "WHERE datname = current_database()")).scalars())
    try:
        return sum(cpu_seconds(pid) for pid in pids)
    except OSError:
        return None


def run_processes(url: str, processes: int, pin: bool) -> dict[str, Any]:
    """`processes` runners at once on one database; wall time from the first start to the
    last end (each process's imports are not counted)."""
    children = [subprocess.Popen(
        [sys.executable, __file__, "--run-only", url, *(["--core", str(i)] if pin else [])],
        stdout=subprocess.PIPE, text=True) for i in range(processes)]
    outs = []
    for child in children:
        stdout, _ = child.communicate()
        if child.returncode:
            raise SystemExit(f"a runner failed with {child.returncode}")
        outs.append(json.loads(stdout.strip().splitlines()[-1]))
    seconds = max(o["ended"] for o in outs) - min(o["started"] for o in outs)
    db_cpu = [o["db_cpu"] for o in outs]
    return {"seconds": seconds, "peak_mb": max(o["peak_mb"] for o in outs),
            "client_cpu": sum(o["client_cpu"] for o in outs),
            "db_cpu": None if None in db_cpu else sum(db_cpu),
            "shares": [o["report"].get("subscriptions", 0) for o in outs],
            "report": {k: sum(o["report"].get(k, 0) for o in outs)
                       for k in outs[0]["report"] if k not in ("day", "due")}}


def _fresh(kind: str, tmp: Path) -> tuple[str, str | None]:
    return fresh_database(kind, tmp, "bench.db")


def bench(kind: str, n: int, runs: int, processes: int = 1,
          pin: bool = False, mix: str = "mixed") -> list[dict[str, Any]]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            url, pg_name = _fresh(kind, Path(tmp))
            database = Database(url)
            database.migrate()
            seed(database, n, mix)
            database.dispose()
            load_before = os.getloadavg()[0]
            loop = loop_seconds()
            result = run_processes(url, processes, pin)
            result["loop"] = (loop + loop_seconds()) / 2
            result["load"] = (load_before + os.getloadavg()[0]) / 2
            result["rate"] = n / result["seconds"]
            results.append(result)
            db = "" if result["db_cpu"] is None else f", db {1e6 * result['db_cpu'] / n:.0f} µs"
            print(f"  {kind:<8} n={n:,} p={processes}  {result['seconds']:.2f} s  "
                  f"{result['rate']:,.0f} subs/s  shares {result['shares']}  "
                  f"peak {result['peak_mb']:.0f} MB  load {result['load']:.1f}  "
                  f"loop {result['loop']:.2f} s  "
                  f"cpu/sub: client {1e6 * result['client_cpu'] / n:.0f} µs{db}  "
                  f"{result['report']}", flush=True)
            if pg_name:
                from tests.dbfixtures import drop_pg_database

                drop_pg_database(pg_name)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--processes", type=int, default=1,
                        help="runners sharing the day at once")
    parser.add_argument("--pin", action="store_true", help="pin runner i to core i")
    parser.add_argument("--mix", choices=sorted(MIXES), default="mixed",
                        help="mixed: five kinds of work; plain: a billing day of prolongations")
    parser.add_argument("--run-only", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--core", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_only:
        print(json.dumps(run_once(args.run_only, args.core), default=str))
        return
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(f"daily run over {args.n:,} due subscriptions ({args.mix}), {args.runs} runs each "
          f"{args.processes} process(es){' pinned' if args.pin else ''} "
          f"(python {sys.version.split()[0]}, {os.cpu_count()} cores)")
    for kind in kinds:
        results = bench(kind, args.n, args.runs, args.processes, args.pin, args.mix)
        rates = [r["rate"] for r in results]
        peak = statistics.median(r["peak_mb"] for r in results)
        load = statistics.median(r["load"] for r in results)
        loop = statistics.median(r["loop"] for r in results)
        print(f"{kind}: median {statistics.median(rates):,.0f} subscriptions/s "
              f"(range {min(rates):,.0f}-{max(rates):,.0f}), median peak {peak:.0f} MB "
              f"per process, load average {load:.1f}, host loop {loop:.2f} s")


if __name__ == "__main__":
    main()
