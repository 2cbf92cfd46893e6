"""Times the control panel's main pages on SQLite: the server-side time of one request
through the whole app (session lookup, services, template), as a browser would ask for it.

    python benchmarks/panel_pages.py               # 200 subscriptions, 30 requests per page
    python benchmarks/panel_pages.py --subs 1000 --requests 50

Builds the panel test world (tests/panel/world.py) plus N subscriptions for the signed-in
customer, then prints the median and 90th percentile per page in milliseconds."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prorata.adapters.db import Database  # noqa: E402
from prorata.api import create_app  # noqa: E402
from prorata.domain.clock import TestClock  # noqa: E402
from tests.panel.world import build, csrf, sign_in  # noqa: E402

KEY = "bench-operator-key"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subs", type=int, default=200)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database = Database(f"sqlite:///{tmp}/bench.db")
        database.migrate()
        app = create_app(database, TestClock(date(2024, 8, 20)), KEY, True)
        with TestClient(app) as api, TestClient(app) as browser:
            api.headers["Authorization"] = f"Bearer {KEY}"
            build(api)
            for i in range(args.subs):
                api.post("/v1/subscriptions", json={"id": f"b{i}", "customer": "acme",
                                                    "plan": "basic", "resources": {"seats": 2}})
            sign_in(browser, "customer")
            token = csrf(browser.get("/panel/subscriptions/s-acme").text)
            quote = {"csrf": token, "type": "change_resources", "res_seats": "9"}
            pages = {
                "subscriptions list (1 page)": lambda: browser.get("/panel/subscriptions"),
                "subscription page": lambda: browser.get("/panel/subscriptions/s-acme"),
                "live quote": lambda: browser.post("/panel/subscriptions/s-acme/quote",
                                                   data=quote),
                "billing": lambda: browser.get("/panel/billing"),
            }
            print(f"SQLite, {args.subs + 2} subscriptions, {args.requests} requests per page")
            for name, call in pages.items():
                times = []
                for _ in range(args.requests):
                    start = time.perf_counter()
                    response = call()
                    times.append((time.perf_counter() - start) * 1000)
                    assert response.status_code == 200, response.text[:300]
                times.sort()
                p90 = times[int(len(times) * 0.9) - 1]
                print(f"  {name:32s} median {statistics.median(times):7.1f} ms"
                      f"   p90 {p90:7.1f} ms")


if __name__ == "__main__":
    main()
