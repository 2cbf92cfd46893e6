"""Server CPU and SQL statements per request (issue 13), in process: load-independent.

Builds the app on a fresh database (SQLite file or a new PostgreSQL database), seeds a catalog,
a reseller, a customer and SUBS subscriptions, and creates a stored API key of the reseller
(the realistic caller: the configured operator key skips the key lookup). Then, for each kind
of request, sends N requests one after another through `httpx.ASGITransport` and reports
`time.process_time()` per request (this process's CPU over all its threads, so the client's
share is in it too: /healthz is the floor to compare with) and the SQL statements executed
per request (counted by an engine event). The database server's own CPU is not in the figure.

    python benchmarks/api_cpu.py [--n 500] [--db sqlite,postgres] [--kinds get,write]
                                 [--profile get] [--show]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

try:
    import sniffio  # noqa: F401
except ImportError:
    # httpx's ASGITransport imports sniffio on every request to learn whether trio runs. Not
    # installed, each failed import searches sys.path again: client CPU that this benchmark
    # would count as the server's. A None entry makes that import fail at once.
    sys.modules["sniffio"] = None  # type: ignore[assignment]

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_load import SUBS, kinds  # noqa: E402  (the same four kinds of request)
from fresh import fresh_database  # noqa: E402

from prorata.adapters.db import Database  # noqa: E402
from prorata.api import create_app  # noqa: E402
from prorata.domain.clock import TestClock  # noqa: E402

KEY = "bench-operator-key"


async def seed(client: httpx.AsyncClient) -> str:
    """The catalog, a reseller with a customer and SUBS subscriptions; returns a stored API
    key of the reseller."""
    async def ok(method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await client.request(method, path, json=body)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    await ok("POST", "/v1/products", {"id": "m365", "name": "M365", "vendor": "instant"})
    await ok("POST", "/v1/plans", {
        "id": "basic", "product": "m365", "name": "Basic", "billing_type": "monthly",
        "currency": "USD", "periods": ["P1Y"], "switch_to": [], "settings": {},
        "resources": [{"id": "seats", "name": "Licenses", "primary": True, "priority": 0,
                       "included": 0, "min": 1, "max": 100000, "price": "6.00",
                       "setup_price": "0"}]})
    await ok("POST", "/v1/resellers", {"id": "res1", "name": "Reseller"})
    await ok("POST", "/v1/customers", {"id": "acme", "name": "Acme", "billing_day": 1,
                                       "currency": "USD", "reseller": "res1"})
    for i in range(SUBS):
        await ok("POST", "/v1/subscriptions", {"id": f"sub{i}", "customer": "acme",
                                               "plan": "basic", "resources": {"seats": 10}})
    key = await ok("POST", "/v1/api-keys", {"reseller": "res1"})
    return str(key["secret"])


async def measure(app: Any, secret: str, n: int, profile: str | None,
                  statements: list[int], only: list[str],
                  shown: list[str]) -> dict[str, tuple[float, float]]:
    transport = httpx.ASGITransport(app=app)
    results: dict[str, tuple[float, float]] = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench",
                                 headers={"Authorization": f"Bearer {secret}"}) as client:
        for name, send in kinds().items():
            if name not in only or profile is not None and name != profile:
                continue
            for i in range(20):  # warm up: pool, caches, first-call imports
                assert (await send(client, i)).status_code == 200
            before, cpu = statements[0], time.process_time()
            for i in range(20, 20 + n):  # carries on after the warm-up (writes must change)
                response = await send(client, i)
                assert response.status_code == 200, response.text
            cpu = time.process_time() - cpu
            results[name] = (cpu / n * 1000, (statements[0] - before) / n)
            if shown:  # --show: the statements of the last request, in order
                mark = len(shown)
                await send(client, 20 + n)
                print(f"{name}:", *shown[mark:], sep="\n  ")
                shown.append("")
    return results


def profile_threads() -> list[cProfile.Profile]:
    """A profiler in this thread and in every thread started from now on (the handlers run in
    the thread pool, which cProfile alone would not see); merge them with `pstats`."""
    profilers: list[cProfile.Profile] = []

    def start(*_: Any) -> None:
        profiler = cProfile.Profile()
        profilers.append(profiler)
        profiler.enable()

    threading.setprofile(start)
    start()
    return profilers


def bench(kind: str, n: int, profile: str | None, only: list[str],
          show: bool = False) -> dict[str, tuple[float, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        url, pg_name = fresh_database(kind, Path(tmp), "api_cpu.db")
        database = Database(url)
        try:
            database.migrate()
            statements = [0]

            shown: list[str] = []

            def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
                statements[0] += 1
                if show:
                    shown.append(" ".join(statement.split())[:110])

            # Both engines: on PostgreSQL, point reads run on the event loop's own engine.
            engines = [database.engine]
            if database.url.get_backend_name() == "postgresql":
                engines.append(database.loop_engine())
            for engine in engines:
                event.listen(engine, "before_cursor_execute", count)

            app = create_app(database, TestClock(date(2024, 8, 20)), KEY, True)

            async def run() -> dict[str, tuple[float, float]]:
                async with app.router.lifespan_context(app):
                    transport = httpx.ASGITransport(app=app)
                    async with httpx.AsyncClient(
                            transport=transport, base_url="http://bench",
                            headers={"Authorization": f"Bearer {KEY}"}) as admin:
                        secret = await seed(admin)
                    shown.append("") if show else None
                    return await measure(app, secret, n, profile, statements, only, shown)

            profilers = profile_threads() if profile else []
            results = asyncio.run(run())
            if profilers:
                for profiler in profilers:
                    profiler.disable()
                stats = pstats.Stats(profilers[0])
                for other in profilers[1:]:
                    stats.add(other)
                stats.sort_stats(os.environ.get("PRORATA_PROFILE_SORT", "tottime"))
                stats.print_stats(int(os.environ.get("PRORATA_PROFILE_LINES", "60")))
                pass
            return results
        finally:
            database.dispose()
            if pg_name is not None:
                from tests.dbfixtures import drop_pg_database

                drop_pg_database(pg_name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500, help="requests per kind")
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--profile", choices=list(kinds()), help="print a cProfile of one kind")
    parser.add_argument("--kinds", default=",".join(kinds()),
                        help="which kinds of request to send (default: all)")
    parser.add_argument("--show", action="store_true",
                        help="print the SQL statements of one request of each kind")
    args = parser.parse_args()
    for kind in args.db.split(","):
        results = bench(kind, args.n, args.profile, args.kinds.split(","), args.show)
        print(f"{kind}: {args.n} requests each, one at a time, reseller API key")
        for name, (ms, stmts) in results.items():
            print(f"  {name:8} CPU {ms:6.2f} ms/request  SQL {stmts:5.1f} statements/request")


if __name__ == "__main__":
    main()
