"""Running a coroutine from a synchronous test.

Playwright's sync API (the session-scoped `browser` fixture of tests/browser) leaves an event
loop running in the main thread of its pytest-xdist worker until the session ends, and
`asyncio.run()` refuses to start inside a running loop. Which tests share a worker with the
browser tests changes from run to run, so a test calling `asyncio.run()` directly passes or
fails by luck; every test runs its coroutine through `run_in_a_fresh_loop` instead."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def run_in_a_fresh_loop(main: Awaitable[T], timeout: float = 30) -> T:
    """Awaits `main` under `asyncio.run` in a thread of its own; its result, or its exception
    re-raised here."""
    async def wait() -> T:
        return await main

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, wait()).result(timeout)
