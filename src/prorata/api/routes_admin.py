"""The operator's rules for everyone: company names (SPEC P5) and restriction lists (P6).
Other callers get 404, as for any resource outside their scope (P2)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from prorata.api.deps import Caller, Pages, answer, check_id, write
from prorata.api.schemas import CompanyNamesIn, RestrictionIn, dump
from prorata.services import parties, restrictions

router = APIRouter(prefix="/v1", tags=["operator rules"])


@router.put("/settings/company-names", summary="Set the company-name rules (operator)")
def put_company_names(request: Request, scope: Caller, body: CompanyNamesIn) -> JSONResponse:
    data = dump(body)
    return write(request, scope, data,
                 lambda uow: parties.put_company_name_rules(uow, scope, data))


@router.get("/settings/company-names", summary="The company-name rules (operator)")
def get_company_names(request: Request, scope: Caller) -> Response:
    return answer(request, lambda uow: parties.get_company_name_rules(uow, scope))


@router.post("/restrictions", summary="List a registration number (operator)")
def create_restriction(request: Request, scope: Caller, body: RestrictionIn) -> JSONResponse:
    data = dump(body)
    return write(request, scope, data,
                 lambda uow: restrictions.create_restriction(uow, scope, data))


@router.get("/restrictions", summary="The restriction list (operator)")
def list_restrictions(request: Request, scope: Caller, page: Pages) -> Response:
    return answer(request, lambda uow: restrictions.list_restrictions(
        uow, scope, page.limit, page.starting_after))


@router.delete("/restrictions/{restriction_id}", summary="Remove a restriction (operator)")
def delete_restriction(request: Request, scope: Caller, restriction_id: str) -> JSONResponse:
    check_id(restriction_id, "restriction")
    return write(request, scope, {},
                 lambda uow: restrictions.delete_restriction(uow, scope, restriction_id))
