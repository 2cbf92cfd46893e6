"""A subscription's writes on PostgreSQL never leave the event loop (issue 13).

A write in a worker thread made two trips to the thread pool (the caller's key look-up, then
the handler) and, for each of its statements, waited for the GIL back after its round trip
while the loop and the other threads ran Python: at 200 writes/s one process spent 4–5 ms of
CPU a write and answered the slowest in 60–140 ms. Here the caller's look-up and the write run
in greenlets on the loop through the asynchronous driver (`Database.loop_engine`), as a point
read does (`deps.point_read`): each round trip awaits on the loop, and nothing waits for a
thread. The write is the same code in the same single transaction (`deps.write`); on the
loop's engine a unit of work that writes sets its isolation level for its check-out
(adapters/db/session.py).

Only use cases that do nothing blocking but their database statements belong here: the
subscription's operations, purchase and auto-renewal switch, whose vendor calls are durable
records done by the worker (a connector's `immediate` does no I/O, docs/connectors.md).
Payments (a gateway may be called in the request), lists and exports stay in threads. On
SQLite nothing changes: the look-up runs on the loop and the write, which may wait for the
database's write lock, in a thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.util import greenlet_spawn

from prorata.api.deps import _open_for, _reads_in_loop, _sent, credential, write
from prorata.services.ports import OPERATOR, Scope, UnitOfWork


def _open_on_loop(request: Request, secret: str) -> Scope:
    """The caller, looked up on the loop's engine, whose connections are not pinged before
    use: the look-up of a stored key or session is the statement that finds a connection the
    server ended. The configured operator key is compared without one, so a `SELECT 1` does
    it: a write that failed on such a connection could not tell whether to run again."""
    scope = _open_for(request, secret, on_loop=True)
    if scope is OPERATOR:
        uow = request.state.uow
        try:
            uow.connection.exec_driver_sql("SELECT 1")
        except BaseException:
            request.state.uow = None
            uow.__exit__(None, None, None)
            raise
    return scope


async def loop_caller(request: Request,
                      secret: Annotated[str | None, Depends(credential)]) -> Scope:
    """`deps.caller` for a handler that writes with `write_on_loop`: on PostgreSQL the key is
    looked up in a unit of work on the loop's engine, which the write then carries on in (one
    connection a request). A look-up that meets a connection the server has ended runs once
    more on a new one (`read_on_loop`), so the write that follows uses a connection that has
    just answered. Like `caller`, it runs before the body is validated."""
    database = request.app.state.database
    sent = _sent(secret)
    if _reads_in_loop(database):
        return _open_for(request, sent)
    return await database.read_on_loop(_open_on_loop, request, sent)  # type: ignore[no-any-return]


LoopCaller = Annotated[Scope, Depends(loop_caller)]


async def write_on_loop(request: Request, scope: Scope, body: Any,
                        action: Callable[[UnitOfWork], dict[str, Any]], *,
                        preview: bool = False) -> JSONResponse:
    """`deps.write` for a handler whose caller is a `LoopCaller`: in a greenlet on the loop on
    PostgreSQL, in a worker thread on SQLite."""
    if _reads_in_loop(request.app.state.database):
        return await run_in_threadpool(write, request, scope, body, action, preview=preview)
    return await greenlet_spawn(write, request, scope, body, action, preview=preview,
                                on_loop=True)
