"""The vendor job (SPEC V1, V4, V5): make the pending vendor calls, poll the ones that answered
pending, and apply each final answer exactly once.

A round claims up to `BATCH` due calls in one statement, asks the vendor for each outside any
transaction (it may take seconds), then applies the final answers of the batch together in one
transaction that first marks them done under this worker's claim (`finish_many`), and
reschedules the pending ones together. If the worker dies before that commit, nothing was
applied; once the lease runs out another worker asks the vendor again — connectors key their
calls by the operation id, so the repeat is harmless — and applies the answer. Answers are
held at most `FLUSH_SECONDS` before they are applied, so a slow vendor does not hold a batch's
answers until its lease is near its end."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from prorata.adapters.db.session import utcnow
from prorata.adapters.db.vendor_apply import BatchedApply
from prorata.adapters.db.vendor_calls import (
    ClaimedCall,
    claim,
    finish,
    finish_many,
    reschedule_many,
    restore,
)
from prorata.domain.errors import Conflict
from prorata.domain.model import Status
from prorata.services import vendors
from prorata.vendors import registry
from prorata.vendors.sdk import COMPLETED, PENDING, Outcome, TemporaryError, VendorRequest

log = logging.getLogger("prorata.worker.vendors")
BATCH = 50
LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
FLUSH_SECONDS = 30.0  # final answers held at most this long before they are applied


def backoff(attempts: int) -> timedelta:
    """Exponential: 30 s, 1 min, 2 min, ... capped at an hour."""
    return min(BACKOFF_BASE * (2 ** min(max(attempts - 1, 0), 20)), BACKOFF_CAP)


def poll_vendors(database: Any, now: datetime, *, force: bool = False) -> int:
    """One round; answers how many outcomes were applied."""
    started = utcnow()
    applied = 0
    while batch := claim(database, now, started, force=force, limit=BATCH, lease=LEASE):
        applied += handle_batch(database, batch, now)
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


def _final(call: ClaimedCall, now: datetime) -> tuple[Outcome | None, Any]:
    """The vendor's final answer, or None and the call's rescheduling (still pending)."""
    outcome, error = ask(call)
    if outcome is None or outcome.state == PENDING:
        if now < call.deadline:
            reference = outcome.reference if outcome is not None else call.reference
            return None, (call, reference, now + backoff(call.attempts), error)
        outcome = Outcome.failed("the vendor did not complete the operation within "
                                 "the time limit (vendor_timeout_hours)")
    return outcome, None


def handle_batch(database: Any, batch: list[ClaimedCall], now: datetime) -> int:
    """The claimed calls, asked one after the other; the pending ones rescheduled together
    and the final answers applied together (`apply_many`), at the latest every
    `FLUSH_SECONDS` so that a slow vendor does not keep answers unapplied near the lease."""
    applied, finals, waits = 0, [], []
    flushed = time.monotonic()
    for call in batch:
        outcome, wait = _final(call, now)
        if outcome is None:
            waits.append(wait)
        else:
            finals.append((call, outcome))
        if time.monotonic() - flushed > FLUSH_SECONDS:
            applied += apply_many(database, finals, now)
            reschedule_many(database, waits)
            finals, waits, flushed = [], [], time.monotonic()
    reschedule_many(database, waits)
    return applied + apply_many(database, finals, now)


def apply_many(database: Any, finals: list[tuple[ClaimedCall, Outcome]], now: datetime) -> int:
    """The outcomes in one transaction: `finish_many` marks done the calls this worker still
    holds (V5: those, and only those, are applied, once), then each outcome is applied by the
    same service functions as one alone, on a `BatchedApply`. A subscription changed
    meanwhile (its lock lost) rolls the batch back; each is then applied alone, as before."""
    if not finals:
        return 0
    if len({call.subscription_id for call, _ in finals}) < len(finals):
        return sum(_apply_alone(database, call, outcome, now) for call, outcome in finals)
    try:
        with database.uow() as uow:
            mine = finish_many(uow.connection, [(call, outcome.message)
                                                for call, outcome in finals])
            finals = [(call, outcome) for call, outcome in finals if call.id in mine]
            batched = BatchedApply(uow, [call.operation_id for call, _ in finals],
                                   [call.subscription_id for call, _ in finals])
            for call, outcome in finals:
                _apply_outcome(batched, call, outcome, now)
            batched.flush()
            uow.commit()
        return len(finals)
    except Conflict:
        log.info("a batch of %d outcomes lost a subscription's lock; applying one by one",
                 len(finals))
        return sum(_apply_alone(database, call, outcome, now) for call, outcome in finals)


def _apply_alone(database: Any, call: ClaimedCall, outcome: Outcome, now: datetime) -> int:
    try:
        return apply(database, call, outcome, now)
    except Conflict:  # retried after its lease (docs/design/vendors.md)
        log.info("vendor call %s lost its subscription's lock; retried later", call.id)
        return 0


def _apply_outcome(uow: Any, call: ClaimedCall, outcome: Outcome, now: datetime) -> None:
    before = restore(call.before, 0)
    if outcome.state == COMPLETED:
        vendors.apply_success(uow, call.operation_id, before, Status(call.target_status),
                              now.date())
    else:
        vendors.apply_failure(uow, call.operation_id, before, outcome.message or "",
                              now.date())


def apply(database: Any, call: ClaimedCall, outcome: Outcome, now: datetime) -> int:
    """One outcome in its own transaction."""
    with database.uow() as uow:
        if not finish(uow.connection, call, outcome.message):
            return 0  # taken over by another worker, which applies it
        _apply_outcome(uow, call, outcome, now)
        uow.commit()
    return 1
