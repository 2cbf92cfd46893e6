"""API keys, users and sessions (SPEC P2). Login is the one write without a caller: it is
where a caller comes from. Its answer and the HttpOnly cookie carry the same session token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from prorata.api.deps import SESSION_COOKIE, Caller, check_id, credential, write
from prorata.api.schemas import ApiKeyIn, LoginIn, UserIn, dump
from prorata.api.signin import sign_in
from prorata.services import access

router = APIRouter(prefix="/v1", tags=["access"])


@router.post("/api-keys", summary="Create an API key for a party in scope (secret shown once)")
def create_api_key(request: Request, scope: Caller, body: ApiKeyIn) -> JSONResponse:
    data = dump(body)
    return write(request, scope, data, lambda uow: access.create_api_key(uow, scope, data))


@router.delete("/api-keys/{key_id}", summary="Revoke an API key")
def revoke_api_key(request: Request, scope: Caller, key_id: str) -> JSONResponse:
    check_id(key_id, "API key")
    return write(request, scope, {}, lambda uow: access.revoke_api_key(uow, scope, key_id))


@router.post("/users", summary="Create a user (a person signing in for a party in scope)")
def create_user(request: Request, scope: Caller, body: UserIn) -> JSONResponse:
    data = dump(body)
    return write(request, scope, {k: v for k, v in data.items() if k != "password"},
                 lambda uow: access.create_user(uow, scope, data))


@router.post("/login", summary="Sign in: a session token and an HttpOnly cookie")
def login(request: Request, body: LoginIn) -> JSONResponse:
    """Throttled per e-mail and per client address (api/signin.py). With accounts in several
    parties, `party` picks one (400 `party_required` lists the choices)."""
    answer, token = sign_in(request, dump(body), datetime.now(UTC))
    response = JSONResponse(answer)
    # Strict: a cross-site request never carries the cookie, so it cannot ride on a session.
    response.set_cookie(SESSION_COOKIE, token, max_age=access.SESSION_HOURS * 3600,
                        httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")
    return response


@router.post("/logout", summary="End the session (cookie or bearer token)")
def logout(request: Request, scope: Caller,
           secret: Annotated[str | None, Depends(credential)]) -> JSONResponse:
    with request.app.state.database.uow() as uow:
        answer: dict[str, Any] = access.logout(uow, secret)
        uow.commit()
    response = JSONResponse(answer)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
