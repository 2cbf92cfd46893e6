"""The vendor job (SPEC V1, V4, V5): make the pending vendor calls, poll the ones that answered
pending, and apply each final answer exactly once.

The vendor is called outside any transaction (it may take seconds); the answer is then applied
in one transaction that first marks the call done under this worker's claim (`finish`). If the
worker dies between the vendor's answer and that commit, nothing was applied; once the lease
runs out another worker asks the vendor again — connectors key their calls by the operation id,
so the repeat is harmless — and applies the answer."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from prorata.adapters.db.session import utcnow
from prorata.adapters.db.vendor_calls import ClaimedCall, claim, finish, reschedule, restore
from prorata.domain.model import Status
from prorata.services import vendors
from prorata.vendors import registry
from prorata.vendors.sdk import COMPLETED, PENDING, Outcome, TemporaryError, VendorRequest

log = logging.getLogger("prorata.worker.vendors")
BATCH = 50
LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """Exponential: 30 s, 1 min, 2 min, ... capped at an hour."""
    return min(BACKOFF_BASE * (2 ** min(max(attempts - 1, 0), 20)), BACKOFF_CAP)


def poll_vendors(database: Any, now: datetime, *, force: bool = False) -> int:
    """One round; answers how many outcomes were applied."""
    started = utcnow()
    applied = 0
    while batch := claim(database, now, started, force=force, limit=BATCH, lease=LEASE):
        for call in batch:
            applied += handle(database, call, now)
    return applied


def ask(call: ClaimedCall) -> tuple[Outcome | None, str | None]:
    """The vendor's answer, or (None, why) when it should be asked again later."""
    try:
        connector = registry.build(call.connector, call.settings)
        request = VendorRequest.from_json(call.request)
        if call.reference is None:
            return vendors.checked(connector.call(request)), None
        return vendors.checked(connector.poll(call.reference, request, call.attempts)), None
    except TemporaryError as exc:
        return None, f"temporary: {exc}"[:vendors.MAX_MESSAGE]
    except LookupError:
        return Outcome.failed(f"the connector {call.connector!r} is not installed"), None
    except Exception as exc:  # a broken connector fails the operation, with the reason
        return Outcome.failed(f"the connector failed: {type(exc).__name__}: {exc}"
                              [:vendors.MAX_MESSAGE]), None


def handle(database: Any, call: ClaimedCall, now: datetime) -> int:
    outcome, error = ask(call)
    if outcome is None or outcome.state == PENDING:
        if now < call.deadline:
            reference = outcome.reference if outcome is not None else call.reference
            reschedule(database, call, reference=reference,
                       next_poll_at=now + backoff(call.attempts), error=error)
            return 0
        outcome = Outcome.failed("the vendor did not complete the operation within "
                                 "the time limit (vendor_timeout_hours)")
    return apply(database, call, outcome, now)


def apply(database: Any, call: ClaimedCall, outcome: Outcome, now: datetime) -> int:
    with database.uow() as uow:
        if not finish(uow.connection, call, outcome.message):
            return 0  # taken over by another worker, which applies it
        before = restore(uow.vendor_call_before(call.operation_id) or {}, 0)
        if outcome.state == COMPLETED:
            vendors.apply_success(uow, call.operation_id, before, Status(call.target_status),
                                  now.date())
        else:
            vendors.apply_failure(uow, call.operation_id, before, outcome.message or "",
                                  now.date())
        uow.commit()
    return 1
