"""Panel lists through issue 7's list services (`services.lists.list_of`), so a page shows
exactly what GET /v1/<kind> shows the same caller (SPEC P2): the store narrows every list to
the scope in SQL, and paging is the API's (`starting_after`), not a truncated first page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from prorata.domain.errors import InvalidInput
from prorata.services import lists
from prorata.services.ports import Scope, UnitOfWork

PAGE_SIZE = 50


@dataclass
class Listing:
    """One page of a list; `error` is the list service's message for a bad filter, shown on
    the page (a hand-edited URL is a notice, not an error page)."""

    items: list[dict[str, Any]] = field(default_factory=list)
    next_url: str | None = None
    error: str | None = None


def params_of(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    """The filters the page offers, plus the paging cursor; empty values mean no filter."""
    out = {}
    for name in (*names, "starting_after"):
        value = request.query_params.get(name, "")[:64]
        if value:
            out[name] = value
    return out


def fetch(uow: UnitOfWork, scope: Scope, kind: str, params: dict[str, str], path: str,
          fixed: dict[str, str] | None = None, size: int = PAGE_SIZE) -> Listing:
    """`fixed` filters are the page's own (not in its URL), `params` the visitor's."""
    try:
        found = lists.list_of(uow, scope, kind, {**params, **(fixed or {}), "limit": str(size)})
    except InvalidInput as error:
        return Listing(error=error.message)
    next_url = None
    if found.has_more and found.items:
        query = {k: v for k, v in params.items() if k != "starting_after"}
        next_url = f"{path}?{urlencode({**query, 'starting_after': found.items[-1]['id']})}"
    return Listing(found.items, next_url)
