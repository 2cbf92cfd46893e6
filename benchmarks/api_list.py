"""Latency of a scoped, filtered list: GET /v1/subscriptions?customer=… with 100,000
subscriptions in the database (issue 7).

    python benchmarks/api_list.py                    # n=100,000, both databases, 3 runs
    python benchmarks/api_list.py --n 20000 --db sqlite --requests 200

Seeds the daily-run benchmark's data (2,000 customers, 50 subscriptions each), then asks the
real app in-process (TestClient: routing, auth, the query, JSON) for one customer's first
page (limit 20) and its second page (starting_after), for random customers, as the operator
and as the customer itself. Prints p50/p99 per run and their medians."""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from billing_run import CUSTOMERS, _fresh, seed  # noqa: E402

from prorata.adapters.db import Database  # noqa: E402
from prorata.api import create_app  # noqa: E402
from prorata.domain.clock import TestClock  # noqa: E402
from prorata.services.access import hash_secret  # noqa: E402

OPERATOR = "bench-operator-key"
CUSTOMER_SECRET = "prk_bench_customer"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(url: str, requests: int, as_customer: bool) -> dict[str, float]:
    database = Database(url)
    app = create_app(database, TestClock(date(2025, 9, 1)), OPERATOR, False)
    rng = random.Random(7)
    timings: list[float] = []
    # Not entered with `with`: the lifespan would start the scheduler beside the requests.
    client = TestClient(app)
    key = CUSTOMER_SECRET if as_customer else OPERATOR
    client.headers["Authorization"] = f"Bearer {key}"
    client.get("/v1/subscriptions", params={"limit": 1})  # warm-up: pool, first compile
    for _ in range(requests):
        customer = "cust00042" if as_customer else f"cust{rng.randrange(CUSTOMERS):05d}"
        started = time.perf_counter()
        first = client.get("/v1/subscriptions", params={"customer": customer, "limit": 20})
        timings.append(time.perf_counter() - started)
        page = first.json()
        assert first.status_code == 200 and page["data"], first.text
        if not page["has_more"]:
            continue
        started = time.perf_counter()
        nxt = client.get("/v1/subscriptions", params={
            "customer": customer, "limit": 20,
            "starting_after": page["data"][-1]["id"]})
        timings.append(time.perf_counter() - started)
        assert nxt.status_code == 200, nxt.text
    database.dispose()
    return {"p50": _percentile(timings, 0.5) * 1000, "p99": _percentile(timings, 0.99) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(f"GET /v1/subscriptions?customer=… over {args.n:,} subscriptions, "
          f"{args.requests} customers x 2 pages, {args.runs} runs")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            url, pg_name = _fresh(kind, Path(tmp))
            database = Database(url)
            database.migrate()
            seed(database, args.n)
            with database.uow() as uow:
                uow.add_api_key("bench-cust", "customer", "cust00042",
                                hash_secret(CUSTOMER_SECRET))
                uow.commit()
            database.dispose()
            for who in ("operator", "customer"):
                runs = [measure(url, args.requests, who == "customer") for _ in range(args.runs)]
                for r in runs:
                    print(f"  {kind:<8} {who:<8} p50 {r['p50']:.2f} ms  p99 {r['p99']:.2f} ms")
                print(f"{kind} as {who}: median p50 "
                      f"{statistics.median(r['p50'] for r in runs):.2f} ms, median p99 "
                      f"{statistics.median(r['p99'] for r in runs):.2f} ms", flush=True)
            if pg_name:
                from tests.dbfixtures import drop_pg_database

                drop_pg_database(pg_name)


if __name__ == "__main__":
    main()
