"""The HTTP application: routers, the uniform error shape, and the scheduler beside the API.

`create_app` takes its collaborators instead of reading the environment, so tests build as
many isolated apps as they like (one per database) and the CLI owns all configuration."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from prorata import scheduler, web
from prorata.adapters.payments.registry import Gateways
from prorata.adapters.payments.testing import TEST_MODE_KEY
from prorata.api import (
    errors,
    openapi,
    options,
    routes_access,
    routes_admin,
    routes_catalog,
    routes_invoices,
    routes_lists,
    routes_notify,
    routes_parties,
    routes_payments,
    routes_subscriptions,
    routes_system,
    routes_usage,
    routes_vendors,
)
from prorata.api.admission import Admission, admission_limit
from prorata.api.client_address import Network
from prorata.api.deps import KeyResolver
from prorata.domain.clock import Clock
from prorata.worker.loop import run_forever

log = logging.getLogger("prorata.scheduler")
SCHEDULER_INTERVAL_SECONDS = 60.0


def _scheduler_loop(database: Any, clock: Clock, stop: threading.Event) -> None:
    """Runs every pending day up to today, then again every minute. The scheduler is
    exactly-once per subscription and day (S12), so a run that overlaps another process or a
    restart is harmless; a failed run is logged and retried on the next tick."""
    while not stop.is_set():
        try:
            scheduler.run_through(database, clock.today())
        except Exception:  # keep the loop alive; the next tick retries
            log.exception("scheduled run failed")
        stop.wait(SCHEDULER_INTERVAL_SECONDS)


def create_app(database: Any, clock: Clock, operator_key: str, test_clock: bool,
               gateways: Gateways | None = None, *, run_worker: bool = True,
               run_scheduler: bool = True,
               trusted_proxies: tuple[Network, ...] = ()) -> FastAPI:
    """`gateways`: the installed payment gateways, built by the CLI from the environment;
    by default every plugin with an empty configuration (the `test` gateway on only with the
    test clock). Without the test clock the scheduler and the background worker (vendor
    calls, deliveries, refunds) run in threads beside the API, unless `run_scheduler` or
    `run_worker` is off (`serve --workers N` runs them in one process only, prorata.serve).
    `trusted_proxies`: the peers whose X-Forwarded-For is believed (api/client_address.py)."""
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        threads: list[threading.Thread] = []
        if test_clock:
            # The start day's work, once; later days run when the clock is moved, and
            # background work in rounds through POST /v1/test/worker.
            scheduler.run_through(database, clock.today())
        else:
            if run_scheduler:
                threads.append(threading.Thread(
                    target=_scheduler_loop, args=(database, clock, stop),
                    name="prorata-scheduler", daemon=True))
            if run_worker:
                threads.append(threading.Thread(
                    target=run_forever, args=(database, clock, app.state.gateways, stop),
                    name="prorata-worker", daemon=True))
            for thread in threads:
                thread.start()
        try:
            yield
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=5)

    app = FastAPIOffline(  # /docs and /redoc with their assets from the package, no CDN
        title="Prorata",
        version="1.0.0",
        summary="Subscription lifecycle and billing for cloud-service brokers",
        lifespan=lifespan,
    )
    app.state.database = database
    app.state.clock = clock
    app.state.keys = KeyResolver(operator_key)
    app.state.test_clock = test_clock
    app.state.trusted_proxies = trusted_proxies
    app.state.clock_lock = threading.Lock()
    app.state.gateways = gateways if gateways is not None else \
        Gateways.load({TEST_MODE_KEY: "1"} if test_clock else {})
    errors.install(app)
    options.install(app)
    app.add_middleware(Admission, limit=admission_limit(getattr(database, "dialect", "")))
    openapi.install(app)
    # Routes are matched in this order, one pattern after another: the subscriptions, read
    # and changed most, come right after /healthz (issue 13). No two routers share a path.
    for module in (routes_system, routes_subscriptions, routes_access, routes_parties,
                   routes_catalog, routes_payments, routes_invoices, routes_admin,
                   routes_notify, routes_lists, routes_vendors, routes_usage):
        app.include_router(module.router)
    web.install(app)
    return app
