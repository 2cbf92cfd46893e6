"""Resellers and customers (SPEC P1-P4)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from prorata.api.deps import Caller, Pages, check_id, read, write
from prorata.api.schemas import CustomerIn, ResellerIn, dump
from prorata.services import parties

router = APIRouter(prefix="/v1", tags=["parties"])


@router.post("/resellers", summary="Create a reseller")
def create_reseller(request: Request, scope: Caller, body: ResellerIn) -> JSONResponse:
    data = dump(body)
    return write(request, scope, data, lambda uow: parties.create_reseller(uow, scope, data))


@router.get("/resellers/{reseller_id}", summary="Get a reseller")
def get_reseller(request: Request, scope: Caller, reseller_id: str) -> dict[str, Any]:
    check_id(reseller_id, "reseller")
    return read(request, lambda uow: parties.get_reseller(uow, scope, reseller_id))


@router.post("/customers", summary="Create a customer")
def create_customer(request: Request, scope: Caller, body: CustomerIn) -> JSONResponse:
    data = dump(body)
    return write(request, scope, data, lambda uow: parties.create_customer(uow, scope, data))


@router.get("/customers/{customer_id}", summary="Get a customer with its balance")
def get_customer(request: Request, scope: Caller, customer_id: str) -> dict[str, Any]:
    check_id(customer_id, "customer")
    return read(request, lambda uow: parties.get_customer(uow, scope, customer_id))


@router.get("/customers/{customer_id}/charges", summary="List charge lines, oldest first")
def list_charges(request: Request, scope: Caller, customer_id: str,
                 page: Pages) -> dict[str, Any]:
    check_id(customer_id, "customer")
    return read(request, lambda uow: parties.list_charges(
        uow, scope, customer_id, page.limit, page.starting_after))
