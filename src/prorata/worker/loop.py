"""Running the jobs: one round (the test worker, a benchmark) or a loop (serve, `prorata
worker`). A job that fails is logged and retried on the next tick; it never stops the others."""

from __future__ import annotations

import logging
import threading
from typing import Any

from prorata.adapters.payments.registry import Gateways
from prorata.domain.clock import Clock
from prorata.services.vendors import now_on
from prorata.worker.jobs import Job, jobs_for

log = logging.getLogger("prorata.worker")
IDLE_SECONDS = 2.0


def run_round(database: Any, clock: Clock, jobs: dict[str, Job], *, force: bool) -> int:
    done = 0
    for name, job in jobs.items():
        try:
            done += job(database, now_on(clock.today()), force=force)
        except Exception:
            if force:
                raise  # the test worker reports it (500 in tests is a bug to see)
            log.exception("worker job %s failed", name)
    return done


def run_forever(database: Any, clock: Clock, gateways: Gateways,
                stop: threading.Event, idle: float = IDLE_SECONDS) -> None:
    """Rounds back to back while there is work, a short sleep when there is none."""
    jobs = jobs_for(gateways)
    while not stop.is_set():
        if run_round(database, clock, jobs, force=False) == 0:
            stop.wait(idle)
