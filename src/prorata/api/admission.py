"""At most `limit` requests inside the application at once; the rest wait their turn in the
event loop (issue 13).

Why: a request holds a database connection from its caller dependency to the end of its
handler, and needs a thread of Starlette's pool (40) for each of its blocking steps in
between. With more requests in flight than connections, the threads could all be taken by
requests waiting for a connection while the requests holding the connections waited for a
thread — nothing moved until the pool's 30 s timeout, and a server at load average 0 answered
writes in 30–60 s and previews with errors (benchmarks/api_load.py). Admitting fewer requests
than there are connections and threads makes that wait impossible: every admitted request can
get both. Waiting here costs nothing but the queue itself, which is the honest answer to
overload, and a request waits in arrival order (asyncio's semaphore is FIFO).

`/healthz` is admitted without waiting: it touches neither connections nor threads, and a
load balancer must see a busy server as alive.

As a request leaves, the unit of work its caller look-up opened is closed here if the handler
left it unused (`deps.close_left`): the connection is given back before the request's slot."""

from __future__ import annotations

import asyncio
import os
import weakref

from starlette.types import ASGIApp, Receive, Scope, Send

from prorata.adapters.db.database import pool_size
from prorata.api.deps import close_left

THREADS = 40  # Starlette's (anyio's) default thread limiter for sync handlers


# On PostgreSQL a request spends about half its time waiting on round trips, so a few
# requests in flight keep the process's one GIL busy; more only contend for it. Measured
# (docs/design/scale.md, round 6): at 200 writes/s on a slow host, 32 inside raised the CPU per
# write by 40-70% and the server fell behind for good (p50 ~1 s) in 9 of 16 runs; 3-6 inside,
# never in 12. SQLite answers its reads on the event loop and writes in turns: no gain there.
POSTGRES_IN_FLIGHT = 4


def admission_limit(dialect: str = "sqlite") -> int:
    """`PRORATA_MAX_REQUESTS` overrides; by default a margin under both the connections of
    the pool (the scheduler and the worker hold some) and the threads, and on PostgreSQL no
    more than `POSTGRES_IN_FLIGHT`."""
    raw = os.environ.get("PRORATA_MAX_REQUESTS")
    if raw:
        return max(1, int(raw))
    limit = min(pool_size() - 8, THREADS - 8)
    if dialect == "postgresql":
        limit = min(limit, POSTGRES_IN_FLIGHT)
    return max(1, limit)


class Admission:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        # One semaphore per event loop (a TestClient runs its own loop per client).
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] \
            = weakref.WeakKeyDictionary()

    def _gate(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = asyncio.Semaphore(self.limit)
        return gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") == "/healthz":
            await self.app(scope, receive, send)
            return
        # One dict for `request.state` however the scope is copied further in, so that the
        # unit of work `deps.caller` leaves there is found and closed as the request leaves.
        scope.setdefault("state", {})
        async with self._gate():
            try:
                await self.app(scope, receive, send)
            finally:
                await close_left(scope)
