"""Vendor connectors (API.md "Vendor connectors"): the installed connectors, and the test
worker that runs background rounds on the test clock (404 without one, like the clock)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from prorata.api.deps import Caller
from prorata.api.routes_system import _test_clock
from prorata.api.schemas import WorkerIn
from prorata.api.schemas_out_system import ConnectorList, WorkerRun
from prorata.services.inputs import require_operator
from prorata.vendors.registry import list_connectors
from prorata.worker.jobs import jobs_for
from prorata.worker.loop import run_round

router = APIRouter(tags=["vendors"])


@router.get("/v1/connectors", response_model=ConnectorList,
            summary="The installed vendor connectors (operator)")
def get_connectors(scope: Caller) -> dict[str, Any]:
    require_operator(scope)
    return {"object": "list", "data": list_connectors(), "has_more": False}


@router.post("/v1/test/worker", response_model=WorkerRun,
             summary="Run rounds of background work now (operator, test clock only)")
def run_worker(request: Request, scope: Caller, body: WorkerIn) -> dict[str, Any]:
    """Each round polls every pending vendor call and attempts every pending delivery once,
    ignoring back-off timers, on the test clock's day."""
    clock = _test_clock(request, scope)
    jobs = jobs_for(request.app.state.gateways)
    processed = 0
    with request.app.state.clock_lock:
        for _ in range(body.rounds):
            processed += run_round(request.app.state.database, clock, jobs, force=True)
    return {"processed": processed}
