"""Where a request's blocking work runs (issue 13): reads of one object by id on the event loop
when the database is a local SQLite file, in a worker thread when it is PostgreSQL, so that a
slow database server can never stall the loop; and a read answered by `answer` carries the
same JSON FastAPI would have made of the dict."""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.responses import Response
from pydantic import TypeAdapter

from prorata.api import deps
from prorata.api.deps import answer, point_read


def _request(dialect: str) -> Any:
    database = SimpleNamespace(dialect=dialect)
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(database=database)))


def _thread_of_handler(dialect: str) -> tuple[int, int]:
    """(the event loop's thread, the thread the handler ran in)."""
    ran_in: list[int] = []

    @point_read
    def handler(request: Any, sub_id: str) -> Response:
        ran_in.append(threading.get_ident())
        return Response(sub_id)

    async def main() -> int:
        response = await handler(request=_request(dialect), sub_id="s1")
        assert response.body == b"s1"
        return threading.get_ident()

    result: list[int] = []
    # A thread of its own: an earlier test may leave a loop running in the main thread.
    thread = threading.Thread(target=lambda: result.append(asyncio.run(main())))
    thread.start()
    thread.join(10)
    return result[0], ran_in[0]


def test_a_point_read_runs_on_the_loop_with_sqlite_and_in_a_thread_with_postgresql() -> None:
    loop_thread, handler_thread = _thread_of_handler("sqlite")
    assert handler_thread == loop_thread
    loop_thread, handler_thread = _thread_of_handler("postgresql")
    assert handler_thread != loop_thread


def test_point_read_keeps_the_handler_signature_for_fastapi() -> None:
    @point_read
    def handler(request: Any, scope: Any, plan_id: str) -> Response:
        return Response()

    assert list(inspect.signature(handler).parameters) == ["request", "scope", "plan_id"]
    assert inspect.iscoroutinefunction(handler)


def test_answer_encodes_like_fastapi(monkeypatch: pytest.MonkeyPatch) -> None:
    data = {"id": "s1", "amount": Decimal("12.30"), "on": date(2025, 7, 1), "list": [1, None]}
    monkeypatch.setattr(deps, "read", lambda request, action: action(None))
    response = answer(_request("sqlite"), lambda uow: data)
    assert response.media_type == "application/json"
    assert response.body == TypeAdapter(dict[str, Any]).dump_json(data)
    assert json.loads(response.body)["amount"] == "12.30"
