"""Running a coroutine from a synchronous test.

Playwright's sync API (the session-scoped `browser` fixture of tests/browser) leaves an event
loop running in the main thread of its pytest-xdist worker until the session ends, and
`asyncio.run()` refuses to start inside a running loop. Which tests share a worker with the
browser tests changes from run to run, so a test calling `asyncio.run()` directly passes or
fails by luck; every test runs its coroutine through `run_in_a_fresh_loop` instead."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


def run_in_a_fresh_loop(main: Awaitable[T], timeout: float = 30) -> T:
    """Awaits `main` under `asyncio.run` in a thread of its own; its result, or its exception
    re-raised here. A daemon thread, so that a coroutine that never ends fails its test after
    `timeout` seconds instead of hanging the test run (and its exit)."""
    outcome: list[tuple[bool, Any]] = []

    async def wait() -> T:
        return await main

    def run() -> None:
        try:
            outcome.append((True, asyncio.run(wait())))
        except BaseException as exc:  # noqa: BLE001 - re-raised below in the test's thread
            outcome.append((False, exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    if not outcome:
        raise TimeoutError(f"the coroutine did not finish within {timeout} s")
    finished, value = outcome[0]
    if not finished:
        raise value
    return value  # type: ignore[no-any-return]
