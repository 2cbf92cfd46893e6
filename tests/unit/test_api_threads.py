"""Where a request's blocking work runs (issue 13): reads of one object by id on the event loop
when the database is a local SQLite file, in a worker thread when it is PostgreSQL, so that a
slow database server can never stall the loop; and a read answered by `answer` carries the
same JSON FastAPI would have made of the dict."""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
import typing
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import Request
from fastapi.responses import Response
from pydantic import TypeAdapter

from prorata.api import deps
from prorata.api.deps import answer, point_read
from prorata.domain.errors import Unauthenticated
from prorata.services.ports import Scope


def _request(dialect: str) -> Any:
    database = SimpleNamespace(dialect=dialect)
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(database=database)))


def _threads(dialect: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int, int]:
    """(the event loop's thread, the thread the caller was looked up in, the thread the
    handler ran in)."""
    looked_up_in: list[int] = []
    ran_in: list[int] = []

    def open_for(request: Any, secret: str) -> Scope:
        looked_up_in.append(threading.get_ident())
        return Scope("customer", secret)

    monkeypatch.setattr(deps, "_open_for", open_for)

    @point_read
    def handler(request: Any, scope: Scope, sub_id: str) -> Response:
        ran_in.append(threading.get_ident())
        return Response(f"{scope.party}:{sub_id}")

    async def main() -> int:
        response = await handler(request=_request(dialect), secret="acme", sub_id="s1")
        assert response.body == b"acme:s1"
        return threading.get_ident()

    result: list[int] = []
    # A thread of its own: an earlier test may leave a loop running in the main thread.
    thread = threading.Thread(target=lambda: result.append(asyncio.run(main())))
    thread.start()
    thread.join(10)
    return result[0], looked_up_in[0], ran_in[0]


def test_a_point_read_runs_on_the_loop_with_sqlite_and_in_a_thread_with_postgresql(
        monkeypatch: pytest.MonkeyPatch) -> None:
    loop_thread, caller_thread, handler_thread = _threads("sqlite", monkeypatch)
    assert caller_thread == handler_thread == loop_thread
    # One trip to a worker thread for the caller's look-up and the read together.
    loop_thread, caller_thread, handler_thread = _threads("postgresql", monkeypatch)
    assert caller_thread == handler_thread != loop_thread


def test_point_read_gives_fastapi_the_credential_in_place_of_the_scope() -> None:
    @point_read
    def handler(request: Request, scope: deps.Caller, plan_id: str) -> Response:
        return Response()

    params = inspect.signature(handler).parameters
    assert list(params) == ["request", "secret", "plan_id"]
    assert typing.get_args(params["secret"].annotation)[1].dependency is deps.credential
    assert params["plan_id"].annotation is str  # resolved in the handler's module
    assert inspect.iscoroutinefunction(handler)


def test_point_read_refuses_a_handler_without_its_caller() -> None:
    def handler(request: Request, plan_id: str) -> Response:
        return Response()

    with pytest.raises(TypeError, match="point read"):
        point_read(handler)


def test_a_point_read_without_a_credential_is_unauthenticated() -> None:
    @point_read
    def handler(request: Request, scope: deps.Caller, plan_id: str) -> Response:
        raise AssertionError("never reached")

    with pytest.raises(Unauthenticated):
        asyncio.run(handler(request=_request("sqlite"), secret=None, plan_id="p"))


def test_answer_encodes_like_fastapi(monkeypatch: pytest.MonkeyPatch) -> None:
    data = {"id": "s1", "amount": Decimal("12.30"), "on": date(2025, 7, 1), "list": [1, None]}
    monkeypatch.setattr(deps, "read", lambda request, action: action(None))
    response = answer(_request("sqlite"), lambda uow: data)
    assert response.media_type == "application/json"
    assert response.body == TypeAdapter(dict[str, Any]).dump_json(data)
    assert json.loads(response.body)["amount"] == "12.30"
