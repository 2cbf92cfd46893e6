"""Health and the test clock (API.md). The test clock exists only when the server was started
with one; otherwise its routes answer 404 like any unknown route, so production exposes nothing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from prorata import scheduler
from prorata.api.deps import Caller
from prorata.api.schemas import ClockIn
from prorata.api.schemas_out_system import ClockDay, ClockMoved, Health
from prorata.domain.calendar import parse_date
from prorata.domain.clock import TestClock
from prorata.domain.errors import InvalidInput
from prorata.services.inputs import OutOfScope, require_operator

router = APIRouter(tags=["system"])
# Each day is run in turn; a jump of centuries would hold the request for hours.
MAX_CLOCK_JUMP_DAYS = 20 * 366


@router.get("/healthz", response_model=Health, summary="Liveness: 200 once the server is ready")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _test_clock(request: Request, scope: Any) -> TestClock:
    clock = request.app.state.clock
    if not request.app.state.test_clock or not isinstance(clock, TestClock):
        raise OutOfScope()
    require_operator(scope)
    return clock


@router.get("/v1/test/clock", response_model=ClockDay,
            summary="Today on the test clock (operator, test clock only)")
def get_clock(request: Request, scope: Caller) -> dict[str, Any]:
    return {"date": _test_clock(request, scope).today().isoformat()}


@router.post("/v1/test/clock", response_model=ClockMoved,
             summary="Move the test clock forward and run all scheduled work up to that day")
def move_clock(request: Request, scope: Caller, body: ClockIn) -> dict[str, Any]:
    """Answers only when the scheduler has caught up, so a test can assert right after. Moves
    are serialised: two concurrent moves must not interleave their days."""
    clock = _test_clock(request, scope)
    target = parse_date(body.date, "date")
    with request.app.state.clock_lock:
        if target < clock.today():
            raise InvalidInput("clock_backwards",
                               f"the test clock is at {clock.today().isoformat()} and only "
                               "moves forward", "date")
        if (target - clock.today()).days > MAX_CLOCK_JUMP_DAYS:
            raise InvalidInput("clock_jump_too_large",
                               f"move the test clock at most {MAX_CLOCK_JUMP_DAYS} days at once",
                               "date")
        clock.set(target)
        report = scheduler.run_through(request.app.state.database, target)
    return {"date": target.isoformat(), "report": report}
