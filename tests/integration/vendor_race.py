"""Two daily runs and a vendor worker started at the same instant (SPEC V5, S12): the tests
of renewals and of deletions both need this race, and then the worker's later rounds."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

from prorata.scheduler.runner import run_day
from prorata.services import vendors
from prorata.worker.vendor_poll import poll_vendors


def race_two_runs_and_a_worker(database: Any, day: date) -> None:
    """Runs them at once behind a barrier and re-raises the first error any of them had."""
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def guarded(work: Any) -> None:
        barrier.wait()
        try:
            work()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def worker() -> None:
        for _ in range(20):
            poll_vendors(database, vendors.now_on(day), force=True)

    threads = [threading.Thread(target=guarded, args=(w,)) for w in (
        lambda: run_day(database, day), lambda: run_day(database, day), worker)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
