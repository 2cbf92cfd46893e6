"""One wrapper for every panel page: who is signed in, the form's CSRF check, and refusals
turned into pages (a clear message with its 4xx status; never a 500 for bad input)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from prorata.domain.errors import DomainError
from prorata.services.ports import Scope
from prorata.web.render import error_page
from prorata.web.session import Form, NotSignedIn, current_scope, read_form

LOGIN = "/panel/login"


def _to_login() -> Response:
    return RedirectResponse(LOGIN, status_code=303)


def today(request: Request) -> date:
    return request.app.state.clock.today()  # type: ignore[no-any-return]


def guard(request: Request, handler: Callable[[Scope], Response]) -> Response:
    try:
        scope = current_scope(request)
    except NotSignedIn:
        return _to_login()
    try:
        return handler(scope)
    except DomainError as exc:
        return error_page(request, scope, exc)


async def guard_form(request: Request, handler: Callable[[Scope, Form], Response]) -> Response:
    """A form post: signed in, then the CSRF token, then the handler off the event loop."""
    try:
        scope = await run_in_threadpool(current_scope, request)
    except NotSignedIn:
        return _to_login()
    try:
        form = await read_form(request)
        return await run_in_threadpool(handler, scope, form)  # type: ignore[no-any-return]
    except DomainError as exc:
        return error_page(request, scope, exc)


def see_other(url: str) -> Response:
    return RedirectResponse(url, status_code=303)
