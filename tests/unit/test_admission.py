"""Admission (issue 13): never more requests inside the app than connections and threads can
serve, so requests holding a connection can never wait for a thread held by requests waiting
for a connection; /healthz is never queued."""

from __future__ import annotations

import asyncio
from typing import Any

from prorata.api.admission import Admission, admission_limit
from tests.loops import run_in_a_fresh_loop


def test_at_most_limit_requests_inside_and_healthz_never_waits() -> None:
    inside, peak, order = 0, 0, []
    release = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        nonlocal inside, peak
        inside += 1
        peak = max(peak, inside)
        order.append(scope["path"])
        if scope["path"] != "/healthz":
            await release.wait()
        inside -= 1

    gate = Admission(app, limit=2)

    async def main() -> None:
        tasks = [asyncio.create_task(gate({"type": "http", "path": f"/v1/x{i}"}, None, None))
                 for i in range(5)]
        await asyncio.sleep(0.01)
        assert inside == 2  # three wait at the gate
        await asyncio.wait_for(gate({"type": "http", "path": "/healthz"}, None, None), 1)
        release.set()
        await asyncio.gather(*tasks)

    run_in_a_fresh_loop(main(), timeout=10)
    assert peak == 3  # two requests and the health check, never more
    assert order[:2] == ["/v1/x0", "/v1/x1"] and order[3:] == ["/v1/x2", "/v1/x3", "/v1/x4"]


def test_the_default_limit_leaves_connections_and_threads_to_spare(monkeypatch: Any) -> None:
    monkeypatch.delenv("PRORATA_MAX_REQUESTS", raising=False)
    monkeypatch.setenv("PRORATA_POOL_SIZE", "44")
    assert admission_limit() == 32
    monkeypatch.setenv("PRORATA_POOL_SIZE", "12")
    assert admission_limit() == 4
    monkeypatch.setenv("PRORATA_POOL_SIZE", "44")
    assert admission_limit("postgresql") == 4  # a few keep one GIL busy (round 6)
    monkeypatch.setenv("PRORATA_POOL_SIZE", "10")
    assert admission_limit("postgresql") == 2
    monkeypatch.setenv("PRORATA_MAX_REQUESTS", "7")
    assert admission_limit() == 7 and admission_limit("postgresql") == 7
