"""Rendering and the one way the panel writes.

`perform` is the API's `deps.write` for forms: one transaction, the use case, and an
idempotency record keyed by the token the form was rendered with, so a double submit (two
clicks, a reload of the POST) replays the first answer and changes nothing (SPEC S12)."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from prorata.domain.errors import DomainError
from prorata.services.ports import DuplicateKey, Scope, UnitOfWork
from prorata.web.consumption import CATEGORY_LABELS
from prorata.web.session import csrf_token

HERE = Path(__file__).parent
env = Environment(loader=FileSystemLoader(HERE / "templates"),
                  autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
env.globals["label"] = lambda code: str(code).replace("_", " ").capitalize()
env.globals["cat_label"] = lambda code: CATEGORY_LABELS.get(str(code), str(code))


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    scope: Scope | None = context.pop("scope", None)
    html = env.get_template(template).render(
        request=request, scope=scope, csrf=csrf_token(request), **context)
    return HTMLResponse(html, status_code=status)


def error_page(request: Request, scope: Scope | None, exc: DomainError) -> HTMLResponse:
    """Every refusal is a page with its message and its 4xx status, never a 500."""
    status = exc.status if 400 <= exc.status < 500 else 400
    return page(request, "error.html", status=status, scope=scope, error=exc)


def new_form_key() -> str:
    return secrets.token_urlsafe(18)


class Replayed(DomainError):
    status = 409

    def __init__(self) -> None:
        super().__init__("form_reused", "This form was already sent with other values. "
                         "Reload the page and try again.", None)


def perform(request: Request, scope: Scope, form_key: str, body: Any,
            action: Callable[[UnitOfWork], dict[str, Any]]) -> dict[str, Any]:
    key = f"panel:{form_key}" if form_key else ""
    fingerprint = hashlib.sha256(json.dumps([request.url.path, body], sort_keys=True,
                                            default=str).encode()).hexdigest()
    database = request.app.state.database
    try:
        with database.uow() as uow:
            if key:
                record = uow.get_idempotent(scope, key)
                if record is not None:
                    return _replay(record, fingerprint)
            result = action(uow)
            if key:
                uow.put_idempotent(scope, key, {"fingerprint": fingerprint, "status": 200,
                                                "body": result})
            uow.commit()
    except DuplicateKey:
        with database.uow() as uow:
            record = uow.get_idempotent(scope, key) if key else None
        if record is None:
            raise
        return _replay(record, fingerprint)
    return result


def _replay(record: dict[str, Any], fingerprint: str) -> dict[str, Any]:
    if record.get("fingerprint") != fingerprint:
        raise Replayed()
    return dict(record["body"])


def read(request: Request, action: Callable[[UnitOfWork], Any]) -> Any:
    with request.app.state.database.uow(read_only=True) as uow:
        return action(uow)
