"""Paying through a gateway (SPEC B3, B6): a payment session sends the customer to the
gateway's page; the gateway's signed callback says how it went.

A callback is verified by its plugin before anything is read or written; then one conditional
UPDATE moves the session out of `pending`, and only the caller that moved it records the
payment (whose row is unique per session too). However often, and however concurrently, the
gateway repeats itself, the payment is recorded once."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from prorata.adapters.payments import (
    CallbackRequest,
    Gateway,
    GatewayError,
    InvalidSignature,
    MalformedCallback,
    NotSupported,
    Outcome,
    PaymentSession,
)
from prorata.adapters.payments.registry import Gateways
from prorata.domain.errors import DomainError, InvalidInput
from prorata.domain.model import Event
from prorata.domain.money import format_amount
from prorata.domain.payments import SETTLES, PaymentRecord, Session, SessionStatus
from prorata.ids import new_id
from prorata.services.inputs import ID_PATTERN, missing, require_object
from prorata.services.payments import positive_amount, succeeded_event
from prorata.services.ports import Scope, UnitOfWork

log = logging.getLogger(__name__)
MAX_CALLBACK_BYTES = 64 * 1024
MAX_REFERENCE = 200


class GatewayFailed(DomainError):
    """The gateway itself refused or failed; nothing was changed in Prorata."""

    status = 402
    type = "gateway_error"


def gateway_error(exc: GatewayError) -> DomainError:
    if isinstance(exc, NotSupported):
        return InvalidInput("not_supported_by_gateway", str(exc), "gateway")
    return GatewayFailed("gateway_error", str(exc) or "the gateway refused", None)


def list_gateways(gateways: Gateways) -> dict[str, Any]:
    data = [{"id": name, "object": "payment_gateway", "title": g.title or name,
             "enabled": g.enabled} for name, g in gateways]
    return {"object": "list", "data": data, "has_more": False}


def session_to_dict(s: Session) -> dict[str, Any]:
    return {"id": s.id, "object": "payment_session", "customer": s.customer,
            "gateway": s.gateway, "status": s.status.value,
            "amount": format_amount(s.amount, s.currency), "currency": s.currency,
            "redirect_url": s.redirect_url, "payment": s.payment,
            "error": None if s.error_message is None else {"code": "payment_failed",
                                                           "message": s.error_message},
            "created_on": s.created_on.isoformat()}


def _gateway(gateways: Gateways, name: Any) -> Gateway:
    gateway = gateways.get(name) if isinstance(name, str) else None
    if gateway is None:
        raise InvalidInput("unknown_gateway", f"no payment gateway {name!r} is installed",
                           "gateway")
    if not gateway.enabled:
        raise InvalidInput("gateway_disabled", f"the {name} gateway is not configured",
                           "gateway")
    return gateway


def create_session(uow: UnitOfWork, scope: Scope, customer_id: str, body: Any, today: date,
                   gateways: Gateways, callback_base: str) -> dict[str, Any]:
    """POST /v1/customers/{id}/payment-sessions: the customer itself or a manager above it.
    `start` runs inside this transaction; should the transaction then fail, the gateway holds
    an unused payment page that expires on its own."""
    body = require_object(body)
    customer = uow.get_customer(scope, customer_id)
    if customer is None:
        raise missing("customer", customer_id, "id")
    name = body.get("gateway")
    gateway = _gateway(gateways, name)
    currency = body.get("currency") or customer.currency
    if currency != customer.currency:
        raise InvalidInput("currency_mismatch",
                           f"{customer.id} is billed in {customer.currency}", "currency")
    amount = positive_amount(body.get("amount"), currency)
    session = Session(id=new_id("ps"), customer=customer.id, gateway=str(name), amount=amount,
                      currency=currency, status=SessionStatus.PENDING, created_on=today)
    try:
        url = gateway.start(PaymentSession(session.id, customer.id, amount, currency,
                                           f"{callback_base}/v1/payment-gateways/{name}/callback"))
    except GatewayError as exc:
        raise gateway_error(exc) from exc
    except Exception as exc:  # an outage or a plugin's bug: refused, nothing stored
        log.exception("the %s gateway failed to start a payment", name)
        raise GatewayFailed("gateway_error", "the gateway could not be reached", None) from exc
    if not isinstance(url, str) or not url:
        raise GatewayFailed("gateway_error", "the gateway gave no payment page", None)
    session = replace(session, redirect_url=url)
    uow.add_payment_session(session)
    return session_to_dict(session)


def get_payment_session(uow: UnitOfWork, scope: Scope, session_id: str) -> dict[str, Any]:
    session = uow.get_payment_session(session_id)
    if session is None or uow.get_customer(scope, session.customer) is None:
        raise missing("payment session", session_id, "id")
    return session_to_dict(session)


def verify(gateways: Gateways, name: str, body: bytes,
           headers: Mapping[str, str]) -> Outcome:
    """The plugin's check, before any read or write. A gateway that is not installed answers
    like an unknown route: there is nothing there to call."""
    gateway = gateways.get(name)
    if gateway is None:
        raise missing("payment gateway", name, "gateway")
    if len(body) > MAX_CALLBACK_BYTES:
        raise InvalidInput("invalid_callback", "the callback body is too large", None)
    try:
        outcome = gateway.verify(CallbackRequest(body, {k.lower(): v for k, v in
                                                        headers.items()}))
    except InvalidSignature as exc:
        raise InvalidInput("invalid_signature", str(exc) or "bad signature", None) from exc
    except MalformedCallback as exc:
        raise InvalidInput("invalid_callback", str(exc), None) from exc
    except Exception as exc:  # a plugin's bug: nothing is applied; the gateway will retry
        log.exception("the %s gateway failed to verify a callback", name)
        raise InvalidInput("invalid_callback", "the callback could not be verified",
                           None) from exc
    _check_outcome(outcome)
    return outcome


def _check_outcome(outcome: Outcome) -> None:
    """A plugin's outcome is still outside input: nothing unstorable reaches the database."""
    ok = isinstance(outcome, Outcome) and isinstance(outcome.session, str) and \
        bool(ID_PATTERN.match(outcome.session)) and outcome.status in ("succeeded", "failed")
    ref = outcome.reference if ok else None
    if ok and ref is not None:
        ok = isinstance(ref, str) and 0 < len(ref) <= MAX_REFERENCE and ref.isprintable()
    if ok and outcome.amount is not None:
        ok = isinstance(outcome.amount, Decimal) and outcome.amount.is_finite() and \
            0 < outcome.amount < Decimal(10) ** 14
    if not ok:
        raise InvalidInput("invalid_callback", "the gateway's outcome cannot be recorded", None)


def apply_callback(uow: UnitOfWork, name: str, outcome: Outcome,
                   today: date) -> dict[str, Any]:
    """Records what a verified callback says, once (B3)."""
    session = uow.get_payment_session(outcome.session)
    if session is None or session.gateway != name:
        raise missing("payment session", outcome.session, "session")
    if outcome.status == "succeeded":
        payment_id = new_id("pay")
        amount = outcome.amount if outcome.amount is not None else session.amount
        if uow.settle_payment_session(session.id, SETTLES[SessionStatus.SUCCEEDED],
                              SessionStatus.SUCCEEDED, payment_id, None):
            uow.add_payment(session.customer, amount, session.currency, today, method=name,
                            reference=outcome.reference, payment_id=payment_id,
                            session=session.id)
            payment = PaymentRecord(payment_id, session.customer, amount, session.currency,
                                    name, today, outcome.reference, session.id)
            uow.add_events([succeeded_event(payment, today)])
    elif uow.settle_payment_session(session.id, SETTLES[SessionStatus.FAILED], SessionStatus.FAILED,
                            None, (outcome.message or "the payment failed")[:1000]):
        uow.add_events([Event("payment_failed", customer=session.customer, created_on=today,
                              dedup_key=f"payment_failed:{session.id}", data={
                                  "session": session.id, "gateway": name,
                                  "amount": format_amount(session.amount, session.currency),
                                  "currency": session.currency,
                                  "message": outcome.message})])
    current = uow.get_payment_session(session.id)
    assert current is not None
    return {"object": "payment_session_callback", "session": current.id,
            "status": current.status.value, "payment": current.payment}
