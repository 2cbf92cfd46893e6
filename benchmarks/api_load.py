"""API latency under a fixed request rate (issue 13), on SQLite and PostgreSQL.

Starts `prorata serve` (one process, test clock: no background threads) on a fresh database,
creates a catalog, a customer and SUBS subscriptions, then for each kind of request sends a
fixed rate for a fixed time, open-loop: request i is due at t0 + i/rate whatever happened to
the others, and its latency counts from that due time (no coordinated omission). In-flight
requests are bounded (MAX_IN_FLIGHT); a request due when the bound is reached is counted as
dropped. Prints p50/p90/p99 (medians over RUNS runs), and the saturation throughput of
GET /v1/subscriptions/{id} against the bare /healthz floor measured in the same run.

    python benchmarks/api_load.py [--rate 200] [--seconds 5] [--runs 3] [--db sqlite,postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import httpx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loadgen  # noqa: E402  (benchmarks/loadgen.py, beside this script)
from hostspeed import loop_seconds  # noqa: E402
from procstat import family_cpu_seconds  # noqa: E402

KEY = "bench-operator-key"
SUBS = 50
MAX_IN_FLIGHT = 256
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "prorata_bench_api"


def _pg_url() -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DB}")
    return f"postgresql://postgres@127.0.0.1:5432/{PG_DB}"


def start_server(url: str, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    """One process on the test clock (no background threads), or `workers` processes on the
    real clock (the test clock lives in one process), the background worker in one of them."""
    env = {**os.environ, "PRORATA_DATABASE_URL": url, "PRORATA_OPERATOR_KEY": KEY}
    if workers == 1:
        env["PRORATA_TEST_CLOCK"] = "2024-08-20"
    else:
        env.pop("PRORATA_TEST_CLOCK", None)
    proc = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "prorata"), "serve",
                             "--port", str(port), "--workers", str(workers)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the server did not start")


def seed(base: str) -> None:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}) as c:
        def ok(r: httpx.Response) -> None:
            assert r.status_code == 200, r.text

        ok(c.post("/v1/products", json={"id": "m365", "name": "M365", "vendor": "instant"}))
        ok(c.post("/v1/plans", json={
            "id": "basic", "product": "m365", "name": "Basic", "billing_type": "monthly",
            "currency": "USD", "periods": ["P1Y"], "switch_to": [], "settings": {},
            "resources": [{"id": "seats", "name": "Licenses", "primary": True, "priority": 0,
                           "included": 0, "min": 1, "max": 100000, "price": "6.00",
                           "setup_price": "0"}]}))
        ok(c.post("/v1/customers", json={"id": "acme", "name": "Acme", "billing_day": 1,
                                          "currency": "USD"}))
        for i in range(SUBS):
            ok(c.post("/v1/subscriptions", json={"id": f"sub{i}", "customer": "acme",
                                                  "plan": "basic", "resources": {"seats": 10}}))


Request = Callable[[httpx.AsyncClient, int], Any]


def plans(sent_before: int = 0) -> dict[str, loadgen.Plan]:
    """(method, path, body) of request i, per kind of request; `sent_before`: the writes of
    earlier runs on the same server, so that a later run goes on raising seats instead of
    starting with a round of decreases."""
    seats = {"type": "change_resources", "resources": {"seats": 12}, "preview": True}
    return {
        "healthz": lambda i: ("GET", "/healthz", None),
        "get": lambda i: ("GET", f"/v1/subscriptions/sub{i % SUBS}", None),
        "preview": lambda i: ("POST", f"/v1/subscriptions/sub{i % SUBS}/operations", seats),
        # One seat more each round, each subscription in turn: a real write every time, also
        # when an overloaded server answers two rounds out of order (never "nothing to change").
        "write": lambda i: ("POST", f"/v1/subscriptions/sub{i % SUBS}/operations", {
            "type": "change_resources", "resources": {"seats": 11 + (sent_before + i) // SUBS}}),
    }


def kinds() -> dict[str, Request]:
    """The same requests sent with httpx (the closed-loop fallback, benchmarks/api_cpu.py)."""
    def send(plan: loadgen.Plan) -> Request:
        def request(c: httpx.AsyncClient, i: int) -> Any:
            method, path, body = plan(i)
            return c.request(method, path, json=body)
        return request
    return {name: send(plan) for name, plan in plans().items()}


def fixed_rate(port: int, plan: loadgen.Plan, rate: float, seconds: float,
               server: int | None = None) -> dict[str, Any]:
    """Open loop (benchmarks/loadgen.py): request i is due at t0 + i/rate whatever happened
    to the others, its latency counted from that due time; at most MAX_IN_FLIGHT at once.
    With the server's pid, also the server's CPU per request (is a tail a lack of CPU?)."""
    before = family_cpu_seconds(server) if server else 0.0
    result = asyncio.run(loadgen.fixed_rate(
        "127.0.0.1", port, {"Authorization": f"Bearer {KEY}"}, plan, rate, seconds,
        max_connections=MAX_IN_FLIGHT))
    summary = result.summary()
    if server:
        summary["server_cpu_us"] = (1e6 * (family_cpu_seconds(server) - before)
                                    / max(1, len(result.latencies)))
    return summary


def wrk_saturation(url: str, seconds: float, concurrency: int = 16) -> float | None:
    """The same closed loop driven by wrk (C, one thread) when it is installed: a Python
    client on this machine tops out near the server's own rate, so it measures itself."""
    if shutil.which("wrk") is None:
        return None
    out = subprocess.run(["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, int(seconds))}s",
                          "-H", f"Authorization: Bearer {KEY}", url],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    return None


def drain(base: str, limit: float = 120) -> None:
    """Wait until the server answers /healthz promptly again, so that the backlog one kind
    of request leaves behind is not charged to the next kind."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        start = time.perf_counter()
        try:
            httpx.get(f"{base}/healthz", timeout=5)
            if time.perf_counter() - start < 0.05:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)


async def saturation(base: str, send: Request, seconds: float, concurrency: int = 16) -> float:
    """Closed loop, `concurrency` clients as fast as the server answers: requests/s."""
    done = 0
    stop = time.perf_counter() + seconds
    async with httpx.AsyncClient(base_url=base, timeout=60,
                                 headers={"Authorization": f"Bearer {KEY}"}) as client:
        async def loop(offset: int) -> None:
            nonlocal done
            i = offset
            while time.perf_counter() < stop:
                try:
                    if (await send(client, i)).status_code == 200:
                        done += 1
                except httpx.HTTPError:
                    pass
                i += concurrency
        start = time.perf_counter()
        await asyncio.gather(*(loop(k) for k in range(concurrency)))
    return done / (time.perf_counter() - start)


def bench(db: str, args: argparse.Namespace, port: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db" if db == "sqlite" else _pg_url()
        proc = start_server(url, port, args.workers)
        try:
            base = f"http://127.0.0.1:{port}"
            seed(base)
            runs: dict[str, list[dict[str, Any]]] = {}
            floors: list[tuple[float, float]] = []
            get_url = f"{base}/v1/subscriptions/sub0"
            chosen = args.kinds.split(",")
            for run in range(args.runs):
                # the ratio first, on a server with no backlog; wrk where it is installed
                if args.ratio:
                    floor = wrk_saturation(f"{base}/healthz", args.seconds / 2)
                    get = wrk_saturation(get_url, args.seconds / 2)
                    if floor is None or get is None:
                        floor = asyncio.run(saturation(base, kinds()["healthz"],
                                                       args.seconds / 2))
                        get = asyncio.run(saturation(base, kinds()["get"], args.seconds / 2))
                    floors.append((floor, get))
                sent = run * int(args.rate * args.seconds)  # writes of the earlier runs
                for name, plan in plans(sent).items():
                    if name not in chosen:
                        continue
                    drain(base)
                    runs.setdefault(name, []).append(
                        fixed_rate(port, plan, args.rate, args.seconds, proc.pid))
                drain(base)
            print(f"\n{db}, {args.workers} server process(es): {args.rate:.0f} req/s for "
                  f"{args.seconds:.0f} s, medians of "
                  f"{args.runs} runs, load average {os.getloadavg()[0]:.2f}")
            for name, results in runs.items():
                med = {k: statistics.median(r[k] for r in results)
                       for k in ("p50", "p90", "p99")}
                errs = sum(r["errors"] for r in results)
                drops = sum(r["dropped"] for r in results)
                client = statistics.median(r["client_cpu_us"] for r in results)
                server = statistics.median(r.get("server_cpu_us", 0.0) for r in results)
                each = "/".join(f"{r['p99']:.0f}" for r in results)
                print(f"  {name:8} p50 {med['p50']:7.1f} ms  p90 {med['p90']:7.1f} ms  "
                      f"p99 {med['p99']:7.1f} ms (runs {each})  errors {errs}  "
                      f"dropped {drops}  (server {server / 1000:.2f} ms CPU/request, "
                      f"load generator {client:.0f} µs)")
            if not floors:
                return
            floor = statistics.median(f for f, _ in floors)
            get = statistics.median(g for _, g in floors)
            ratio = f"{get / floor:.2f}" if floor else "n/a (no answer)"
            client = "wrk" if shutil.which("wrk") else "httpx"
            print(f"  saturation (16 connections, {client}): healthz {floor:.0f}/s, "
                  f"GET {get:.0f}/s, ratio {ratio}")
            if client == "httpx":
                print("  (no wrk: a Python client tops out near the server's own rate, so this "
                      "ratio measures the client; `apt-get install wrk` for the goal's figure)")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--kinds", default="healthz,get,preview,write",
                        help="which fixed-rate kinds to send (e.g. write)")
    parser.add_argument("--no-ratio", dest="ratio", action="store_false",
                        help="skip the wrk saturation runs (the GET / healthz ratio)")
    parser.add_argument("--workers", type=int, default=1,
                        help="server processes (prorata serve --workers)")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
          f"host loop {loop_seconds():.2f} s")
    for db in args.db.split(","):
        bench(db, args, args.port)
    print(f"host loop after: {loop_seconds():.2f} s (hostspeed.py: compare runs at similar "
          f"loop times)")


if __name__ == "__main__":
    main()
