"""Lists (issue 7): one GET per collection, scoped to the caller (SPEC P2). The handlers
pass the raw query parameters to `services.lists`, which checks them; the documented
parameters are generated from the same `FILTERS`, so documentation and checks agree."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request

from prorata.api.deps import Caller, check_id, read, today
from prorata.services import lists, upcoming
from prorata.services.inputs import ID_PATTERN

router = APIRouter(prefix="/v1", tags=["lists"])

COLLECTIONS = (  # (kind, path, summary)
    ("customers", "/customers", "List customers"),
    ("resellers", "/resellers", "List resellers (a reseller sees its subtree)"),
    ("subscriptions", "/subscriptions", "List subscriptions"),
    ("plans", "/plans", "List plans"),
    ("products", "/products", "List products"),
    ("operations", "/operations", "List operations across subscriptions, newest first"),
    ("charge_lines", "/charge-lines", "List charge lines, oldest first"),
    ("api_keys", "/api-keys", "List API keys (never their secrets)"),
    ("users", "/users", "List users"),
)

_CURSOR = {"type": "string", "pattern": ID_PATTERN.pattern}
PAGING_PARAMETERS: list[dict[str, Any]] = [
    {"name": "limit", "in": "query", "required": False, "description": "1-100, default 20",
     "schema": {"type": "integer", "minimum": 1, "maximum": lists.MAX_LIMIT,
                "default": lists.DEFAULT_LIMIT}},
    {"name": "starting_after", "in": "query", "required": False, "schema": _CURSOR,
     "description": "the page after this id (which must be in the list, else 400)"},
    {"name": "ending_before", "in": "query", "required": False, "schema": _CURSOR,
     "description": "the page before this id (which must be in the list, else 400)"},
]


def parameters(kind: str) -> list[dict[str, Any]]:
    return PAGING_PARAMETERS + [
        {"name": name, "in": "query", "required": False, "description": f.description,
         "schema": f.schema} for name, f in lists.FILTERS[kind].items()]


def _handler(kind: str) -> Callable[..., dict[str, Any]]:
    def handler(request: Request, scope: Caller) -> dict[str, Any]:
        params = dict(request.query_params)
        result: dict[str, Any] = read(request,
                                      lambda uow: lists.list_of(uow, scope, kind, params))
        return result
    handler.__name__ = f"list_{kind}"
    return handler


for _kind, _path, _summary in COLLECTIONS:
    router.add_api_route(_path, _handler(_kind), methods=["GET"], summary=_summary,
                         operation_id=f"list_{_kind}",
                         openapi_extra={"parameters": parameters(_kind)})


@router.get("/customers/{customer_id}/upcoming", tags=["parties"],
            summary="Charge lines the daily runs will write up to a date (nothing is stored)",
            openapi_extra={"parameters": [{
                "name": "until", "in": "query", "required": True,
                "description": "last day to include (YYYY-MM-DD), after today, at most "
                               f"{upcoming.MAX_DAYS} days ahead",
                "schema": {"type": "string", "format": "date"}}]})
def list_upcoming(request: Request, scope: Caller, customer_id: str) -> dict[str, Any]:
    check_id(customer_id, "customer")
    params, day = dict(request.query_params), today(request)
    result: dict[str, Any] = read(request, lambda uow: upcoming.upcoming(
        uow, scope, customer_id, params, day))
    return result
