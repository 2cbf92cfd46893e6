"""Subscriptions and their operations (SPEC S1-S12). The lifecycle lives in the engine and
`services.subscriptions`; these handlers only authenticate, validate shape and commit."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from prorata.api.deps import Caller, Pages, answer, check_id, point_read, read, today
from prorata.api.loop_writes import LoopCaller, write_on_loop
from prorata.api.schemas import OperationIn, SubscriptionIn, SubscriptionPatchIn, dump
from prorata.api.schemas_out_money import RecommendationList
from prorata.services import subscriptions

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])


@router.post("", summary="Purchase a subscription")
async def create_subscription(request: Request, scope: LoopCaller,
                              body: SubscriptionIn) -> JSONResponse:
    data, day = dump(body), today(request)
    return await write_on_loop(request, scope, data,
                               lambda uow: subscriptions.create_subscription(
                                   uow, scope, data, day),
                               preview=data.get("preview") is True)


@router.get("/{sub_id}", summary="Get a subscription with its available operations")
@point_read
def get_subscription(request: Request, scope: Caller, sub_id: str) -> Response:
    check_id(sub_id, "subscription")
    day = today(request)
    return answer(request, lambda uow: subscriptions.get_subscription(uow, scope, sub_id, day))


@router.patch("/{sub_id}", summary="Turn auto-renewal on or off")
async def patch_subscription(request: Request, scope: LoopCaller, sub_id: str,
                             body: SubscriptionPatchIn) -> JSONResponse:
    check_id(sub_id, "subscription")
    data, day = dump(body), today(request)
    return await write_on_loop(request, scope, data,
                               lambda uow: subscriptions.patch_subscription(
                                   uow, scope, sub_id, data, day))


@router.post("/{sub_id}/operations", summary="Run or preview an operation")
async def run_operation(request: Request, scope: LoopCaller, sub_id: str,
                        body: OperationIn) -> JSONResponse:
    check_id(sub_id, "subscription")
    data, day = dump(body), today(request)
    return await write_on_loop(request, scope, data,
                               lambda uow: subscriptions.run_operation(
                                   uow, scope, sub_id, data, day),
                               preview=data.get("preview") is True)


@router.get("/{sub_id}/operations", summary="Change history, newest first")
def list_operations(request: Request, scope: Caller, sub_id: str,
                    page: Pages) -> Response:
    check_id(sub_id, "subscription")
    return answer(request, lambda uow: subscriptions.list_operations(
        uow, scope, sub_id, page.limit, page.starting_after))


@router.get("/{sub_id}/recommendations", response_model=RecommendationList,
            summary="Upgrade recommendations with quotes")
def recommendations(request: Request, scope: Caller, sub_id: str) -> dict[str, Any]:
    check_id(sub_id, "subscription")
    day = today(request)
    items = read(request, lambda uow: subscriptions.recommendations(uow, scope, sub_id, day))
    return {"object": "list", "data": items, "has_more": False}
