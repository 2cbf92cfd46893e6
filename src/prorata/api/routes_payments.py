"""Payments (SPEC B3, B6): recorded by managers (the `manual` gateway), paid through a gateway's
payment session and confirmed by its signed callback, listed, and refunded."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from prorata.api.deps import Caller, Pages, answer, check_id, point_read, today, write
from prorata.api.schemas import PaymentIn, PaymentSessionIn, RefundIn, dump
from prorata.api.schemas_out_money import PaymentGatewayList
from prorata.domain.errors import InvalidInput
from prorata.services import checkout, payments, refunds

router = APIRouter(prefix="/v1", tags=["payments"])


@router.post("/customers/{customer_id}/payments",
             summary="Record a payment received (managers; the manual gateway)")
def record_payment(request: Request, scope: Caller, customer_id: str,
                   body: PaymentIn) -> JSONResponse:
    check_id(customer_id, "customer")
    data, day = dump(body), today(request)
    return write(request, scope, data,
                 lambda uow: payments.record_payment(uow, scope, customer_id, data, day))


@router.get("/customers/{customer_id}/payments", summary="List payments, oldest first")
def list_payments(request: Request, scope: Caller, customer_id: str,
                  page: Pages) -> Response:
    check_id(customer_id, "customer")
    return answer(request, lambda uow: payments.list_payments(
        uow, scope, customer_id, page.limit, page.starting_after))


@router.get("/payments/{payment_id}", summary="Get a payment with its refunds")
@point_read
def get_payment(request: Request, scope: Caller, payment_id: str) -> Response:
    check_id(payment_id, "payment")
    return answer(request, lambda uow: payments.get_payment(uow, scope, payment_id))


@router.post("/payments/{payment_id}/refunds",
             summary="Refund a payment through its gateway (managers; never more than paid)")
def refund_payment(request: Request, scope: Caller, payment_id: str,
                   body: RefundIn) -> JSONResponse:
    """Stored as pending first, then the gateway is called, then the outcome recorded; a
    repeat with the same Idempotency-Key completes and answers the same refund."""
    check_id(payment_id, "payment")
    data, day, gateways = dump(body), today(request), request.app.state.gateways
    first = write(request, scope, data, lambda uow: refunds.request_refund(
        uow, scope, payment_id, data, day, gateways))
    refund_id = json.loads(bytes(first.body))["id"]
    done = refunds.complete_refund(request.app.state.database, refund_id, gateways, day)
    return JSONResponse(refunds.answer(done))


@router.get("/payment-gateways", response_model=PaymentGatewayList,
            summary="The installed payment gateway plugins")
def list_gateways(request: Request, scope: Caller) -> dict[str, Any]:
    return checkout.list_gateways(request.app.state.gateways)


@router.post("/customers/{customer_id}/payment-sessions",
             summary="Start paying through a gateway: answers the page to send the customer to")
def create_session(request: Request, scope: Caller, customer_id: str,
                   body: PaymentSessionIn) -> JSONResponse:
    check_id(customer_id, "customer")
    data, day = dump(body), today(request)
    base = str(request.base_url).rstrip("/")
    return write(request, scope, data, lambda uow: checkout.create_session(
        uow, scope, customer_id, data, day, request.app.state.gateways, base))


@router.get("/payment-sessions/{session_id}", summary="Get a payment session")
@point_read
def get_session(request: Request, scope: Caller, session_id: str) -> Response:
    check_id(session_id, "payment session")
    return answer(request, lambda uow: checkout.get_payment_session(uow, scope, session_id))


@router.post("/payment-gateways/{gateway}/callback",
             summary="The gateway's own signed call (no API key: the plugin checks the signature)",
             description="The body and the signature header are the gateway's own format, read "
                         "as raw bytes. For `test`: `{\"session\": ID, \"outcome\": "
                         "\"succeeded\"|\"failed\"}` with `Test-Signature` = hex HMAC-SHA256 of "
                         "the body keyed with PRORATA_TEST_GATEWAY_SECRET. A bad or missing "
                         "signature is 400 `invalid_signature` and changes nothing; a repeated "
                         "callback changes nothing and answers 200.")
async def gateway_callback(request: Request, gateway: str) -> JSONResponse:
    check_id(gateway, "payment gateway")
    if int(request.headers.get("content-length") or 0) > checkout.MAX_CALLBACK_BYTES:
        raise InvalidInput("invalid_callback", "the callback body is too large", None)
    body = await request.body()
    day = today(request)

    def apply() -> dict[str, Any]:
        # The plugin verifies before anything is read or written (it may call its gateway).
        outcome = checkout.verify(request.app.state.gateways, gateway, body, request.headers)
        with request.app.state.database.uow() as uow:
            result = checkout.apply_callback(uow, gateway, outcome, day)
            uow.commit()
            return result

    return JSONResponse(await run_in_threadpool(apply))
