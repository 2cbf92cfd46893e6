"""Products, plans (SPEC C1-C8) and exchange rates (T6)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from prorata.api.deps import Caller, answer, check_id, point_read, write
from prorata.api.schemas import ExchangeRateIn, PlanIn, PlanPatchIn, ProductIn, dump
from prorata.services import catalog, rates

router = APIRouter(prefix="/v1", tags=["catalog"])


@router.post("/products", summary="Create a product (operator)")
def create_product(request: Request, scope: Caller, body: ProductIn) -> JSONResponse:
    data = dump(body)
    return write(request, scope, data, lambda uow: catalog.create_product(uow, scope, data))


@router.get("/products/{product_id}", summary="Get a product")
@point_read
def get_product(request: Request, scope: Caller, product_id: str) -> Response:
    check_id(product_id, "product")
    return answer(request, lambda uow: catalog.get_product(uow, scope, product_id))


@router.post("/plans", summary="Create a plan (operator)")
def create_plan(request: Request, scope: Caller, body: PlanIn) -> JSONResponse:
    data = dump(body)
    return write(request, scope, data, lambda uow: catalog.create_plan(uow, scope, data))


@router.get("/plans/{plan_id}", summary="Get a plan with every setting resolved")
@point_read
def get_plan(request: Request, scope: Caller, plan_id: str) -> Response:
    check_id(plan_id, "plan")
    return answer(request, lambda uow: catalog.get_plan(uow, scope, plan_id))


@router.patch("/plans/{plan_id}", summary="Change a plan's name, prices or settings (operator)")
def patch_plan(request: Request, scope: Caller, plan_id: str, body: PlanPatchIn) -> JSONResponse:
    check_id(plan_id, "plan")
    data = dump(body)
    return write(request, scope, data, lambda uow: catalog.update_plan(uow, scope, plan_id, data))


@router.post("/exchange-rates", summary="Add an exchange rate (operator)")
def add_exchange_rate(request: Request, scope: Caller, body: ExchangeRateIn) -> JSONResponse:
    data = dump(body)
    return write(request, scope, data, lambda uow: rates.add_exchange_rate(uow, scope, data))
