"""Resellers and customers (SPEC P1-P4)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from prorata.api.deps import Caller, Pages, answer, check_id, point_read, write
from prorata.api.schemas import (
    CustomerIn,
    CustomerPatchIn,
    ResellerIn,
    ResellerPatchIn,
    ResellerSettingsIn,
    dump,
)
from prorata.services import delegation, parties

router = APIRouter(prefix="/v1", tags=["parties"])


@router.post("/resellers", summary="Create a reseller")
def create_reseller(request: Request, scope: Caller, body: ResellerIn) -> JSONResponse:
    data = dump(body)
    return write(request, scope, data, lambda uow: parties.create_reseller(uow, scope, data))


@router.get("/resellers/{reseller_id}", summary="Get a reseller")
@point_read
def get_reseller(request: Request, scope: Caller, reseller_id: str) -> Response:
    check_id(reseller_id, "reseller")
    return answer(request, lambda uow: parties.get_reseller(uow, scope, reseller_id))


@router.patch("/resellers/{reseller_id}", summary="Rename a reseller or change its INN")
def patch_reseller(request: Request, scope: Caller, reseller_id: str,
                   body: ResellerPatchIn) -> JSONResponse:
    check_id(reseller_id, "reseller")
    data = dump(body)
    return write(request, scope, data,
                 lambda uow: parties.update_reseller(uow, scope, reseller_id, data))


@router.get("/resellers/{reseller_id}/settings",
            summary="Settings for the subtree: effective values and where each comes from")
def get_reseller_settings(request: Request, scope: Caller, reseller_id: str) -> Response:
    check_id(reseller_id, "reseller")
    return answer(request, lambda uow: delegation.get_settings(uow, scope, reseller_id))


@router.put("/resellers/{reseller_id}/settings",
            summary="Set the reseller's own settings for its subtree (SPEC P3)")
def put_reseller_settings(request: Request, scope: Caller, reseller_id: str,
                          body: ResellerSettingsIn) -> JSONResponse:
    check_id(reseller_id, "reseller")
    data = dump(body)
    return write(request, scope, data,
                 lambda uow: delegation.put_settings(uow, scope, reseller_id, data))


@router.post("/customers", summary="Create a customer")
def create_customer(request: Request, scope: Caller, body: CustomerIn) -> JSONResponse:
    data = dump(body)
    return write(request, scope, data, lambda uow: parties.create_customer(uow, scope, data))


@router.get("/customers/{customer_id}", summary="Get a customer with its balance")
def get_customer(request: Request, scope: Caller, customer_id: str) -> Response:
    check_id(customer_id, "customer")
    return answer(request, lambda uow: parties.get_customer(uow, scope, customer_id))


@router.patch("/customers/{customer_id}", summary="Rename a customer or change its details")
def patch_customer(request: Request, scope: Caller, customer_id: str,
                   body: CustomerPatchIn) -> JSONResponse:
    check_id(customer_id, "customer")
    data = dump(body)
    return write(request, scope, data,
                 lambda uow: parties.update_customer(uow, scope, customer_id, data))


@router.get("/customers/{customer_id}/charges", summary="List charge lines, oldest first")
def list_charges(request: Request, scope: Caller, customer_id: str,
                 page: Pages) -> Response:
    check_id(customer_id, "customer")
    return answer(request, lambda uow: parties.list_charges(
        uow, scope, customer_id, page.limit, page.starting_after))
