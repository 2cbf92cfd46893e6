"""Who is using the panel, and proof that a form came from the panel.

The panel signs people in with the same sessions as `POST /v1/login` (the same HttpOnly
cookie), and resolves the cookie to a `Scope` with the API's own `KeyResolver`, so the panel
sees exactly what the API would show the same person (SPEC P2).

CSRF: every form carries a token derived from the session token (HMAC with a fixed label).
It is unguessable without the HttpOnly cookie and needs no storage; the sign-in form, which
has no session yet, uses a double-submit cookie instead. The cookie is also SameSite=Strict."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request

from prorata.api.deps import SESSION_COOKIE
from prorata.domain.errors import DomainError, InvalidInput
from prorata.services.ports import Scope

LOGIN_CSRF_COOKIE = "prorata_login_csrf"
MAX_FORM_BYTES = 64 * 1024


class NotSignedIn(Exception):
    """The page needs a signed-in user: answered with a redirect to the sign-in page."""


class BadForm(InvalidInput):
    """A form the panel did not render (no or wrong CSRF token, garbage encoding)."""

    status = 403

    def __init__(self, message: str = "The form has expired. Reload the page and try again.",
                 ) -> None:
        super().__init__("invalid_form", message, None)


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


def current_scope(request: Request) -> Scope:
    token = session_token(request)
    if token is None:
        raise NotSignedIn()
    try:
        with request.app.state.database.uow(read_only=True) as uow:
            return request.app.state.keys.resolve_scope(uow, token)  # type: ignore[no-any-return]
    except DomainError:
        raise NotSignedIn() from None


def csrf_token(request: Request) -> str:
    token = session_token(request)
    if token is None:
        return request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return hmac.new(token.encode("utf-8", "surrogatepass"), b"prorata-panel-csrf",
                    hashlib.sha256).hexdigest()


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


class Form:
    """A parsed `application/x-www-form-urlencoded` body: first value per name."""

    def __init__(self, values: dict[str, list[str]]) -> None:
        self._values = values

    def get(self, name: str, default: str = "") -> str:
        found = self._values.get(name)
        return found[0] if found else default

    def all(self, name: str) -> list[str]:
        """Every value sent under `name` (a group of checkboxes), in order."""
        return list(self._values.get(name, []))

    def with_prefix(self, prefix: str) -> dict[str, str]:
        return {k[len(prefix):]: v[0] for k, v in self._values.items()
                if k.startswith(prefix) and v}

    def names(self) -> list[str]:
        return list(self._values)


async def read_form(request: Request, *, expected: str | None = None) -> Form:
    """The form, after checking its CSRF token against `expected` (default: the session's)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise BadForm("The form is too large.")
    try:
        values = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                          max_num_fields=500)
    except (UnicodeDecodeError, ValueError):
        raise BadForm() from None
    form = Form(values)
    want = csrf_token(request) if expected is None else expected
    sent = form.get("csrf")
    if not want or not sent or not hmac.compare_digest(sent.encode(), want.encode()):
        raise BadForm()
    return form


def cookie_options(request: Request) -> dict[str, Any]:
    return {"httponly": True, "samesite": "strict", "path": "/",
            "secure": request.url.scheme == "https"}
