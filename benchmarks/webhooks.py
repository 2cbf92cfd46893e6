"""Events delivered per second to a local webhook receiver (SPEC R3), on SQLite and PostgreSQL.

    python benchmarks/webhooks.py                    # N=5,000 events, both databases, 3 runs
    python benchmarks/webhooks.py --n 20000 --db sqlite --runs 5 --senders 16

Each run seeds a fresh database with one customer, one webhook endpoint and N stored events,
then times the worker job (`prorata.notify.delivery.deliver_due`) from the first fan-out until
every event is delivered: deliveries made from the events, claimed, signed (Standard
Webhooks), POSTed to the receiver, and their outcomes and attempt log written. The receiver
is a small asyncio HTTP server in its own process on 127.0.0.1 that answers 200 at once and
counts what it got; the run checks it got exactly N distinct webhook-ids. Besides wall-clock
events/s it prints events per CPU-second of the worker process (its own threads only), which
a busy shared machine disturbs less."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from fresh import fresh_database  # benchmarks/fresh.py, beside this script

from prorata.adapters.db import Database
from prorata.domain.model import Customer, Event
from prorata.notify.config import NotifyConfig
from prorata.notify.delivery import deliver_due

DAY = date(2025, 9, 1)


async def _serve() -> None:
    """The receiver: 200 to every POST; GET answers how many distinct webhook-ids came."""
    seen: set[str] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {k.lower(): v.strip() for k, _, v in
                           (line.partition(":") for line in lines[1:] if line)}
                await reader.readexactly(int(headers.get("content-length", 0)))
                answer = b"ok"
                if lines[0].startswith("GET"):
                    answer = str(len(seen)).encode()
                else:
                    seen.add(headers.get("webhook-id", ""))
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(answer)).encode()
                             + b"\r\n\r\n" + answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def _receiver() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, __file__, "--receiver"], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    return proc, f"http://127.0.0.1:{port}"


def seed(database: Database, n: int, url: str) -> None:
    with database.uow() as uow:
        uow.add_customer(Customer("acme", "Acme"))
        uow.add_endpoint({"id": "bench", "reseller": None, "url": url + "/hooks",
                          "events": [], "secret": "whsec_" + "QUJD" * 8})
        uow.commit()
    for start in range(0, n, 2000):
        with database.uow() as uow:
            uow.add_events([Event("payment_succeeded", {"amount": "10.00", "currency": "USD",
                                                        "i": i}, customer="acme", created_on=DAY)
                            for i in range(start, min(start + 2000, n))])
            uow.commit()


def _fresh(kind: str, tmp: Path) -> tuple[str, str | None]:
    return fresh_database(kind, tmp, "webhooks.db")


def bench(kind: str, n: int, runs: int, senders: int) -> list[tuple[float, float]]:
    rates = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            proc, url = _receiver()
            db_url, pg_name = _fresh(kind, Path(tmp))
            database = Database(db_url)
            try:
                database.migrate()
                seed(database, n, url)
                config = NotifyConfig(senders=senders)
                started, cpu = time.perf_counter(), time.process_time()
                done = deliver_due(database, datetime.now(UTC), config=config)
                elapsed = time.perf_counter() - started
                cpu = time.process_time() - cpu
                got = int(httpx.get(url + "/count").text)
                assert done == n == got, (done, n, got)
                rates.append((n / elapsed, n / cpu))
                print(f"  {kind:<8} n={n:,}  {elapsed:.2f} s  {n / elapsed:,.0f} events/s  "
                      f"({n / cpu:,.0f} per CPU-second)", flush=True)
            finally:
                database.dispose()
                proc.kill()
                proc.wait()
                if pg_name:
                    from tests.dbfixtures import drop_pg_database

                    drop_pg_database(pg_name)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--senders", type=int, default=NotifyConfig.senders)
    parser.add_argument("--receiver", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receiver:
        asyncio.run(_serve())
        return
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(f"webhook delivery of {args.n:,} events to a local receiver, {args.runs} runs each, "
          f"{args.senders} senders (python {sys.version.split()[0]}, {os.cpu_count()} cores)")
    for kind in kinds:
        results = bench(kind, args.n, args.runs, args.senders)
        walls, cpus = [r[0] for r in results], [r[1] for r in results]
        print(f"{kind}: median {statistics.median(walls):,.0f} events/s "
              f"(runs: {min(walls):,.0f} – {max(walls):,.0f}), median "
              f"{statistics.median(cpus):,.0f} per CPU-second")


if __name__ == "__main__":
    main()


