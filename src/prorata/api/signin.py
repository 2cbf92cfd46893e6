"""Signing in, shared by `POST /v1/login` and the panel's sign-in form, so both are throttled
alike (services/throttle.py) and see the same client address (api/client_address.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request

from prorata.api.client_address import client_address
from prorata.domain.errors import Unauthenticated
from prorata.services import access, throttle


def sign_in(request: Request, data: dict[str, Any], now: datetime) -> tuple[dict[str, Any], str]:
    """(answer, token). Throttled per e-mail and per client address before the password is
    verified; a failed sign-in writes nothing else, so its record is committed before the 401
    is raised. A `party_required` answer is no failure: the password was right."""
    client = client_address(request)
    raw = data.get("email")
    email = raw if isinstance(raw, str) else ""
    with request.app.state.database.uow() as uow:
        throttle.check(uow, email, client, now)
        try:
            answer, token = access.login(uow, data, now)
        except Unauthenticated:
            throttle.record_failure(uow, email, client, now)
            uow.commit()
            raise
        uow.commit()
    return answer, token
