"""What every handler shares: who is calling, one transaction per write with its idempotency
record (SPEC S12), and list pages. Handlers stay one line of glue around a service call."""

from __future__ import annotations

import functools
import hashlib
import hmac
import inspect
import json
import typing
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.security.utils import get_authorization_scheme_param
from pydantic_core import to_json
from sqlalchemy.util import greenlet_spawn

from prorata.domain.errors import DomainError, InvalidInput, Unauthenticated
from prorata.services.access import scope_of
from prorata.services.inputs import ID_PATTERN, missing
from prorata.services.ports import OPERATOR, DuplicateKey, Page, Scope, UnitOfWork

SESSION_COOKIE = "prorata_session"
MAX_IDEMPOTENCY_KEY = 255


class IdempotencyKeyReused(DomainError):
    status = 409
    type = "invalid_request_error"

    def __init__(self) -> None:
        super().__init__("idempotency_key_reused",
                         "This Idempotency-Key was used with a different request", None)


class KeyResolver:
    """Turns a credential into the caller's `Scope` (SPEC P2): the configured operator key, a
    stored API key of any party, or a user's session token. Keys and tokens are looked up by
    their SHA-256, so the database never holds a usable secret."""

    def __init__(self, operator_key: str) -> None:
        self._operator = operator_key.encode()

    def resolve_scope(self, uow: UnitOfWork, key: str) -> Scope:
        # Constant-time comparison: the operator key must not leak through response timing.
        if self._operator and hmac.compare_digest(key.encode("utf-8", "surrogatepass"),
                                                  self._operator):
            return OPERATOR
        scope = scope_of(uow, key, datetime.now(UTC))
        if scope is None:
            raise Unauthenticated("invalid_api_key", "The API key is not valid")
        return scope


def credential_of(request: Request) -> str | None:
    """The bearer credential if sent, else the session cookie: what FastAPI's `HTTPBearer` and
    `APIKeyCookie` (both `auto_error=False`) would give, read here in one step instead of
    two more dependencies to solve on every request (issue 13); the OpenAPI document
    declares both schemes (api/openapi.py)."""
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    if token and scheme.lower() == "bearer":
        return token
    return request.cookies.get(SESSION_COOKIE) or None


async def credential(request: Request) -> str | None:
    """`credential_of` as a dependency. `async`: it does no I/O, and FastAPI would otherwise
    hop to a worker thread to run it."""
    return credential_of(request)


def _sent(secret: str | None) -> str:
    if secret is None:
        raise Unauthenticated("authentication_required",
                              "Send Authorization: Bearer <api key>")
    return secret


def _open_for(request: Request, secret: str, *, on_loop: bool = False) -> Scope:
    """Opens the request's read-only unit of work and finds the caller: on the event loop on
    SQLite, in a worker thread on PostgreSQL (`_reads_in_loop`), or with `on_loop` in a
    greenlet on the loop, through the asynchronous driver (`point_read`)."""
    resolver: KeyResolver = request.app.state.keys
    uow = request.app.state.database.uow(read_only=True, on_loop=on_loop)
    uow.__enter__()
    try:
        scope = resolver.resolve_scope(uow, secret)
    except BaseException:
        uow.__exit__(None, None, None)
        raise
    request.state.uow = uow
    return scope


async def caller(request: Request,
                 secret: Annotated[str | None, Depends(credential)]) -> Scope:
    """Runs before the body is validated, so an anonymous caller learns nothing about it.
    The key is looked up in a read-only unit of work that stays open for the request: `read`
    and `write` carry on in it (one connection, one unit of work per request, issue 13). One
    the handler left unused is closed as the request leaves the application (`close_left`,
    called by api/admission.py), not by a `yield` here: FastAPI runs such dependencies in an
    exit stack that cost ~6% of a SQLite GET. On PostgreSQL the look-up is one trip to a
    worker thread; on SQLite it does not leave the event loop."""
    return await _read_side(request.app.state.database, _open_for, request, _sent(secret))


async def close_left(scope: MutableMapping[str, Any]) -> None:
    """Closes the unit of work `caller` opened if the handler did not take it (`read` and
    `write` close theirs): e.g. a body refused after the caller was found. `scope` is the
    request's ASGI scope; the unit of work lies in its `state`."""
    left = scope.get("state", {}).pop("uow", None)
    if left is not None and left.on_loop:  # opened by `loop_writes.loop_caller`
        await greenlet_spawn(left.__exit__, None, None, None)
    elif left is not None:
        await _read_side(scope["app"].state.database, left.__exit__, None, None, None)


async def _read_side(database: Any, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Runs a short blocking read where `_reads_in_loop` says: on the loop or in a thread."""
    if _reads_in_loop(database):
        return work(*args, **kwargs)
    return await run_in_threadpool(work, *args, **kwargs)


def _reads_in_loop(database: Any) -> bool:
    """On SQLite the caller's look-up runs on the event loop, not in a worker thread: it is one
    indexed read of a local file in a read-only transaction, which under WAL never waits for a
    writer, and the admission limit (api/admission.py) keeps a pooled connection free for every
    request inside, so nothing here can block. The trip to a worker thread and back cost more
    than the read (GET: 713 -> 795/s, wrk, one process, issue 13). On PostgreSQL the look-up is a
    network round trip, and a slow server must never stall the loop: it stays in a thread."""
    return bool(database.dialect == "sqlite")


Caller = Annotated[Scope, Depends(caller)]


def today(request: Request) -> date:
    return request.app.state.clock.today()


def check_id(value: str, what: str) -> str:
    """A path id that cannot exist (bad characters, too long) is simply not found; it must not
    reach a query, where PostgreSQL would refuse e.g. a NUL byte with a server error."""
    if not ID_PATTERN.match(value):
        raise missing(what, value[:64], "id")
    return value


def _fingerprint(request: Request, body: Any) -> str:
    canonical = json.dumps([request.method, request.url.path, body], sort_keys=True,
                           separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise InvalidInput("invalid_idempotency_key",
                           f"Idempotency-Key must be 1-{MAX_IDEMPOTENCY_KEY} printable characters",
                           "Idempotency-Key")
    return key


# Answer fields that hold a secret: API key secrets, session tokens, webhook signing secrets,
# gateway credentials. Kept out of idempotency records at the one place records are written.
SECRET_FIELDS = frozenset({"secret", "token", "password", "client_secret", "api_secret"})


def redact(value: Any) -> Any:
    """`value` with every secret field, at any depth, set to null: what an idempotency record
    keeps, so a replay answers the same object without what was shown once."""
    if isinstance(value, dict):
        return {k: None if k in SECRET_FIELDS and v is not None else redact(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def _replay(record: dict[str, Any], fingerprint: str) -> JSONResponse:
    if record.get("fingerprint") != fingerprint:
        raise IdempotencyKeyReused()
    return JSONResponse(record["body"], status_code=int(record["status"]),
                        headers={"Idempotent-Replayed": "true"})


def write(request: Request, scope: Scope, body: Any,
          action: Callable[[UnitOfWork], dict[str, Any]], *,
          preview: bool = False, on_loop: bool = False) -> JSONResponse:
    """One transaction: look up the idempotency key, run the use case, store its answer beside
    the write, commit. Only successes are recorded: a refused request changed nothing, so
    repeating it is already safe and lets the client fix its input and retry with the key.
    A `preview` (stores nothing) without a key is a read: no write lock (issue 13); with a
    key it is recorded like any answer, so a replay still answers the same. `on_loop`: run in
    a greenlet on the event loop (api/loop_writes.py)."""
    key = _idempotency_key(request)
    if preview and key is None:
        return JSONResponse(read(request, action))
    # Only a request with a key is ever compared with another (~4% of a write's CPU).
    fingerprint = "" if key is None else _fingerprint(request, body)
    database = request.app.state.database
    try:
        with unit_of_work(request) as uow:
            if key is not None:
                record = uow.get_idempotent(scope, key)
                if record is not None:
                    return _replay(record, fingerprint)
            result = action(uow)
            if key is not None:
                uow.put_idempotent(scope, key, {"fingerprint": fingerprint, "status": 200,
                                                "body": redact(result)})
            uow.commit()
    except DuplicateKey:
        # A concurrent request with the same key committed first: answer what it answered.
        if key is not None:
            with database.uow(on_loop=on_loop) as uow:
                record = uow.get_idempotent(scope, key)
            if record is not None:
                return _replay(record, fingerprint)
        raise
    return JSONResponse(result)


@contextmanager
def unit_of_work(request: Request, *, read_only: bool = False) -> Iterator[Any]:
    """The request's unit of work: the one `caller` opened to find the key, else a new one.
    A write turns it into a write transaction first (on SQLite `BEGIN IMMEDIATE` on the same
    connection: a read-then-write transaction begun deferred could fail with
    SQLITE_BUSY_SNAPSHOT, see database.py); a read stays in the key lookup's snapshot."""
    uow = getattr(request.state, "uow", None)
    if uow is None:
        with request.app.state.database.uow(read_only=read_only) as fresh:
            yield fresh
        return
    request.state.uow = None  # taken: a second use in the request opens its own
    try:
        if not read_only:
            uow.begin_write()
        yield uow
    finally:
        uow.__exit__(None, None, None)


def read(request: Request, action: Callable[[UnitOfWork], Any]) -> Any:
    """Reads run in a unit of work that is never committed: a read cannot change anything."""
    with unit_of_work(request, read_only=True) as uow:
        result = action(uow)
    if isinstance(result, Page):
        return {"object": "list", "data": result.items, "has_more": result.has_more}
    return result


def point_read(handler: Callable[..., Response]) -> Callable[..., Awaitable[Response]]:
    """For a handler that reads one object by its id (a handful of indexed reads), declared
    with `scope: Caller`. Its caller is found in the same unit of work as its read, and
    neither leaves the event loop: on SQLite both run on it directly (a read-only transaction
    never waits under WAL, and the admission limit keeps a connection free); on PostgreSQL in
    a greenlet through the asynchronous driver (`Database.loop_engine`), so each round trip
    awaits on the loop and a slow server stalls nothing. A worker thread adds no parallelism
    to Python work under the GIL, only its hand-offs (~0.3 ms a trip, more than the reads).
    Lists, balances and writes stay in threads and find their caller first: they can scan
    or wait, and a caller without a valid key must be refused before their body or query is
    validated (issue 13, scale.md). A point read has neither: its path ids are checked by
    the handler, after the caller."""
    def work(request: Request, kwargs: dict[str, Any], on_loop: bool) -> Response:
        try:
            secret = _sent(credential_of(request))
            return handler(request=request, scope=_open_for(request, secret, on_loop=on_loop),
                           **kwargs)
        finally:  # the unit of work the handler did not take is closed here, on its loop
            left = getattr(request.state, "uow", None)
            if left is not None:
                request.state.uow = None
                left.__exit__(None, None, None)

    @functools.wraps(handler)
    async def run(request: Request, **kwargs: Any) -> Response:
        if _reads_in_loop(request.app.state.database):
            return work(request, kwargs, False)
        return await request.app.state.database.read_on_loop(work, request, kwargs, True)

    # FastAPI reads the parameters from the signature: the handler's (annotations resolved
    # in its own module) without the looked-up `scope`, which `work` finds from the request's
    # credential itself: no dependency left for FastAPI to solve. (The OpenAPI document
    # declares how to authenticate for every operation, api/openapi.py.)
    hints = typing.get_type_hints(handler, include_extras=True)
    names = list(inspect.signature(handler).parameters)
    if names[:2] != ["request", "scope"] or hints["scope"] != Caller:
        raise TypeError(f"{handler.__name__}: a point read takes (request, scope: Caller, ...)")
    params = [p.replace(annotation=hints[name])
              for name, p in inspect.signature(handler).parameters.items() if name != "scope"]
    run.__signature__ = inspect.Signature(params, return_annotation=Response)  # type: ignore[attr-defined]
    return run


def answer(request: Request, action: Callable[[UnitOfWork], Any]) -> Response:
    """A read answered as JSON here, where the handler runs. A sync handler that returns a
    dict has it validated against its `dict[str, Any]` annotation in a further trip to a
    worker thread, which cost more than the encoding (issue 13). Same encoder (pydantic's),
    same bytes. Handlers with a `response_model` keep returning dicts: there the model shapes
    the answer."""
    return Response(to_json(read(request, action)), media_type="application/json")


class Paging:
    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=100, description="1-100")] = 20,
        starting_after: Annotated[str | None, Query(max_length=64, pattern=ID_PATTERN.pattern,
                                                    description="id of the last item seen")]
        = None,
    ) -> None:
        self.limit = limit
        self.starting_after = starting_after


Pages = Annotated[Paging, Depends()]
