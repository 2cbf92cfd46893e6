"""The registry of worker jobs. A job is `job(database, now, *, force=False) -> int` (how much
it did); `force` is the test worker's round, which ignores back-off timers. Jobs that need
collaborators are built by a factory from them (the payment gateways)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from prorata.adapters.payments.registry import Gateways
from prorata.notify.delivery import deliver_due
from prorata.services.refunds import refund_job
from prorata.worker.vendor_poll import poll_vendors


class Job(Protocol):
    def __call__(self, database: Any, now: datetime, *, force: bool = False) -> int: ...


# name -> factory(gateways) -> job. Vendors first: a completed vendor call emits the events
# that the deliveries of the same round then send.
JOBS: dict[str, Callable[[Gateways], Job]] = {
    "vendors": lambda gateways: poll_vendors,
    "deliveries": lambda gateways: deliver_due,
    "refunds": refund_job,
}


def jobs_for(gateways: Gateways) -> dict[str, Job]:
    return {name: factory(gateways) for name, factory in JOBS.items()}
