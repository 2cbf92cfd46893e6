"""Sign-in and sign-out with the sessions of POST /v1/login (one cookie for panel and API)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from prorata.api.deps import SESSION_COOKIE
from prorata.api.signin import sign_in
from prorata.domain.errors import DomainError, PartyRequired, TooManyRequests
from prorata.services import access
from prorata.web.guard import guard, guard_form, see_other
from prorata.web.render import page
from prorata.web.session import (
    LOGIN_CSRF_COOKIE,
    BadForm,
    Form,
    cookie_options,
    new_login_csrf,
    read_form,
    session_token,
)

router = APIRouter(prefix="/panel", include_in_schema=False)


def _login_page(request: Request, error: str = "", email: str = "", status: int = 200,
                choices: list[dict[str, object]] | None = None) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_csrf()
    request.cookies[LOGIN_CSRF_COOKIE] = token  # the page's hidden field uses it
    response = page(request, "login.html", status=status, error=error, email=email,
                    choices=choices or [])
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, **cookie_options(request))
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def login(request: Request) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    try:
        form = await read_form(request, expected=expected)
    except BadForm as exc:
        return _login_page(request, exc.message, status=403)
    email = form.get("email")[:320]
    data = {"email": email, "password": form.get("password"),
            "party": form.get("party")[:80] or None}
    try:
        # the API's sign-in: the same throttle and client address (api/signin.py)
        _, token = await run_in_threadpool(sign_in, request, data, datetime.now(UTC))
    except PartyRequired as exc:
        # the password opens accounts of several organisations: pick one, sign in again
        choices = (exc.details or {}).get("choices")
        return _login_page(request, "This account belongs to several organisations: choose "
                           "one and enter the password again.", email=email, status=400,
                           choices=choices if isinstance(choices, list) else [])
    except TooManyRequests as exc:
        response = _login_page(request, exc.message, email=email, status=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except DomainError as exc:
        return _login_page(request, exc.message, email=email, status=401)
    response = see_other("/panel/")
    response.set_cookie(SESSION_COOKIE, token, max_age=access.SESSION_HOURS * 3600,
                        **cookie_options(request))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    def sign_out(_scope: object, _form: Form) -> Response:
        with request.app.state.database.uow() as uow:
            access.logout(uow, session_token(request))
            uow.commit()
        response = see_other("/panel/login")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return await guard_form(request, sign_out)


@router.get("/")
def home(request: Request) -> Response:
    return guard(request, lambda scope: see_other("/panel/subscriptions"))
