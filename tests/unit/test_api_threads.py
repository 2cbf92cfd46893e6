"""Where a request's blocking work runs (issue 13): reads of one object by id on the event loop,
directly when the database is a local SQLite file, in a greenlet through the asynchronous
driver when it is PostgreSQL (so that a slow database server can never stall the loop); and a
read answered by `answer` carries the same JSON FastAPI would have made of the dict."""

from __future__ import annotations

import inspect
import json
import threading
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import Request
from fastapi.responses import Response
from pydantic import TypeAdapter
from sqlalchemy.util.concurrency import in_greenlet

from prorata.adapters.db.database import Database
from prorata.api import deps
from prorata.api.deps import answer, point_read
from prorata.domain.errors import Unauthenticated
from prorata.services.ports import Scope
from tests.loops import run_in_a_fresh_loop


def _request(dialect: str, key: str | None = None) -> Any:
    database = SimpleNamespace(
        dialect=dialect, read_on_loop=lambda *args: Database.read_on_loop(None, *args))  # type: ignore[arg-type]
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(database=database)),
                           state=SimpleNamespace(), cookies={},
                           headers={"authorization": f"Bearer {key}"} if key else {})


def _threads(dialect: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int, int]:
    """(the event loop's thread, the thread the caller was looked up in, the thread the
    handler ran in), and where they ran: in a greenlet, and with a unit of work `on_loop`."""
    looked_up_in: list[tuple[int, bool, bool]] = []
    ran_in: list[tuple[int, bool]] = []

    def open_for(request: Any, secret: str, *, on_loop: bool = False) -> Scope:
        looked_up_in.append((threading.get_ident(), in_greenlet(), on_loop))
        return Scope("customer", secret)

    monkeypatch.setattr(deps, "_open_for", open_for)

    @point_read
    def handler(request: Any, scope: deps.Caller, sub_id: str) -> Response:
        ran_in.append((threading.get_ident(), in_greenlet()))
        return Response(f"{scope.party}:{sub_id}")

    async def main() -> int:
        response = await handler(request=_request(dialect, "acme"), sub_id="s1")
        assert response.body == b"acme:s1"
        return threading.get_ident()

    loop_thread = run_in_a_fresh_loop(main(), timeout=10)
    return loop_thread, looked_up_in[0], ran_in[0]  # type: ignore[return-value]


def test_a_point_read_never_leaves_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    loop_thread, caller, handler = _threads("sqlite", monkeypatch)
    assert caller == (loop_thread, False, False) and handler == (loop_thread, False)
    # PostgreSQL: the caller's look-up and the read in one greenlet on the loop's thread, in a
    # unit of work of the asynchronous driver's engine (no worker thread, no trip).
    loop_thread, caller, handler = _threads("postgresql", monkeypatch)
    assert caller == (loop_thread, True, True) and handler == (loop_thread, True)


def test_point_read_gives_fastapi_no_dependency_to_solve() -> None:
    # The caller is found from the request's credential inside the read (`credential_of`).
    @point_read
    def handler(request: Request, scope: deps.Caller, plan_id: str) -> Response:
        return Response()

    params = inspect.signature(handler).parameters
    assert list(params) == ["request", "plan_id"]
    assert params["plan_id"].annotation is str  # resolved in the handler's module
    assert inspect.iscoroutinefunction(handler)


def test_point_read_refuses_a_handler_without_its_caller() -> None:
    def handler(request: Request, plan_id: str) -> Response:
        return Response()

    def scope_not_a_caller(request: Request, scope: str, plan_id: str) -> Response:
        return Response()

    for wrong in (handler, scope_not_a_caller):
        with pytest.raises(TypeError, match="point read"):
            point_read(wrong)


def test_a_point_read_without_a_credential_is_unauthenticated() -> None:
    @point_read
    def handler(request: Request, scope: deps.Caller, plan_id: str) -> Response:
        raise AssertionError("never reached")

    with pytest.raises(Unauthenticated):
        run_in_a_fresh_loop(handler(request=_request("sqlite"), plan_id="p"))


def test_answer_encodes_like_fastapi(monkeypatch: pytest.MonkeyPatch) -> None:
    data = {"id": "s1", "amount": Decimal("12.30"), "on": date(2025, 7, 1), "list": [1, None]}
    monkeypatch.setattr(deps, "read", lambda request, action: action(None))
    response = answer(_request("sqlite"), lambda uow: data)
    assert response.media_type == "application/json"
    assert response.body == TypeAdapter(dict[str, Any]).dump_json(data)
    assert json.loads(response.body)["amount"] == "12.30"
