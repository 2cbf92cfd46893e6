"""Payments recorded by managers (SPEC B3 `manual` gateway)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from prorata.api.deps import Caller, check_id, today, write
from prorata.api.schemas import PaymentIn, dump
from prorata.services import payments

router = APIRouter(prefix="/v1/customers", tags=["payments"])


@router.post("/{customer_id}/payments", summary="Record a payment received (managers)")
def record_payment(request: Request, scope: Caller, customer_id: str,
                   body: PaymentIn) -> JSONResponse:
    check_id(customer_id, "customer")
    data, day = dump(body), today(request)
    return write(request, scope, data,
                 lambda uow: payments.record_payment(uow, scope, customer_id, data, day))
