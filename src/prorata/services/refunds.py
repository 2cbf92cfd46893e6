"""Refunds through the gateway (SPEC B3, B6): never more than was paid, and lowering the
balance only once the gateway has given the money back.

The gateway is called between two transactions, never inside one: the first stores the
refund as `pending` (it holds its part of the payment, so two refunds together cannot exceed
it), the gateway is called with the refund's id as its idempotency key, and the second records
the outcome once (a conditional UPDATE out of `pending`). A crash in between leaves a pending
refund that the next call — the client's retry, or the worker's `refund_job` — completes with
the same id, so the gateway pays it once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from prorata.adapters.payments import GatewayError, Payment
from prorata.adapters.payments.registry import Gateways
from prorata.domain.errors import InvalidInput
from prorata.domain.model import Event
from prorata.domain.money import format_amount, minor_unit, parse_decimal
from prorata.domain.payments import Refund, RefundStatus, refund_amount
from prorata.ids import new_id
from prorata.services.checkout import GatewayFailed
from prorata.services.inputs import OutOfScope, require_object
from prorata.services.payments import refund_to_dict, scoped_payment
from prorata.services.ports import Scope, UnitOfWork

log = logging.getLogger(__name__)
PENDING_PER_ROUND = 100
IN_FLIGHT = timedelta(minutes=1)  # a younger pending refund is a request's own, still running


def request_refund(uow: UnitOfWork, scope: Scope, payment_id: str, body: Any, today: date,
                   gateways: Gateways) -> dict[str, Any]:
    """POST /v1/payments/{id}/refunds, first transaction. Managers only: a customer cannot
    refund itself (404, as for anything out of its scope)."""
    body = require_object(body)
    if not scope.is_manager:
        raise OutOfScope()
    payment = scoped_payment(uow, scope, payment_id, for_update=True)
    if gateways.get(payment.method) is None:
        raise InvalidInput("unknown_gateway", f"the {payment.method} gateway that took this "
                                              "payment is not installed", "gateway")
    requested = body.get("amount")
    if requested is not None:
        requested = parse_decimal(requested, "amount", places=minor_unit(payment.currency))
    refund = Refund(id=new_id("re"), payment=payment.id, customer=payment.customer,
                    gateway=payment.method, amount=refund_amount(payment, requested),
                    currency=payment.currency, status=RefundStatus.PENDING, created_on=today)
    uow.add_refund(refund)
    return refund_to_dict(refund)


def complete_refund(database: Any, refund_id: str, gateways: Gateways,
                    today: date) -> Refund:
    """Calls the gateway for a pending refund and records the outcome; a refund already
    settled is answered as it is. A gateway that refuses (`GatewayError`) fails the refund and
    frees its part of the payment; any other error leaves it pending (answered as such) for a
    retry with the same id: the money may or may not have moved."""
    with database.uow(read_only=True) as uow:
        refund = uow.get_refund(refund_id)
        payment = None if refund is None else uow.get_payment(refund.payment)
    if refund is None or payment is None:
        raise LookupError(f"no refund {refund_id!r}")
    if refund.status is not RefundStatus.PENDING:
        return refund
    gateway = gateways.get(refund.gateway)
    if gateway is None:
        return refund
    reference: str | None = None
    message: str | None = None
    try:
        reference = gateway.refund(
            Payment(payment.id, payment.customer, payment.amount, payment.currency,
                    payment.reference, payment.session), refund.amount, refund.id)
        status = RefundStatus.SUCCEEDED
    except GatewayError as exc:
        status, message = RefundStatus.FAILED, str(exc) or "the gateway refused the refund"
    except Exception:  # an outage or a plugin's bug: the money may have moved, or not
        log.exception("refund %s: the %s gateway failed; left pending for a retry",
                      refund.id, refund.gateway)
        return refund
    if reference is not None and (not isinstance(reference, str) or len(reference) > 200):
        reference = str(reference)[:200]
    with database.uow() as uow:
        if uow.settle_refund(refund.id, status, reference, message):
            if status is RefundStatus.SUCCEEDED:
                # A negative payment: every balance (payments − lines) counts it as it is.
                uow.add_payment(refund.customer, -refund.amount, refund.currency, today,
                                method=refund.gateway, reference=reference,
                                payment_id=refund.id, refund_of=payment.id)
                uow.add_events([_refunded_event(refund, today)])
            uow.commit()
        settled = uow.get_refund(refund.id)
    assert settled is not None
    return settled


def _refunded_event(refund: Refund, today: date) -> Event:
    return Event("payment_refunded", customer=refund.customer, created_on=today,
                 dedup_key=f"payment_refunded:{refund.id}", data={
                     "payment": refund.payment, "refund": refund.id,
                     "amount": format_amount(refund.amount, refund.currency),
                     "currency": refund.currency, "gateway": refund.gateway})


def answer(refund: Refund) -> dict[str, Any]:
    """The HTTP answer: a refused refund is an error the manager sees (402), the refund itself
    stays listed on its payment as `failed`."""
    if refund.status is RefundStatus.FAILED:
        raise GatewayFailed("refund_failed", refund.error_message or "the gateway refused",
                            None)
    return refund_to_dict(refund)


def refund_job(gateways: Gateways) -> Callable[..., int]:
    """A worker job (`prorata.worker.jobs.JOBS` shape): completes refunds left pending by a
    crash or a gateway outage. Pending ones younger than a minute belong to a request still
    running, unless `force`."""

    def retry_pending_refunds(database: Any, now: datetime, *, force: bool = False) -> int:
        with database.uow(read_only=True) as uow:
            pending = uow.pending_refunds(PENDING_PER_ROUND)
        done = 0
        for refund in pending:
            fresh = refund.created_at is not None and now - refund.created_at < IN_FLIGHT
            if fresh and not force:
                continue
            try:
                if complete_refund(database, refund.id, gateways, now.date()).status \
                        is not RefundStatus.PENDING:
                    done += 1
            except Exception:  # one broken refund must not stop the others
                log.exception("refund %s could not be completed", refund.id)
        return done

    return retry_pending_refunds
