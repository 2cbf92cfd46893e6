"""The control panel (SPEC U1, API.md "Control panel"): server-rendered pages under /panel on
the same services as the API, with htmx and the stylesheet shipped in the package (no build
step, no internet)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from prorata.web import (
    pages_admin,
    pages_auth,
    pages_notify,
    pages_operator,
    pages_store,
    pages_sub,
)
from prorata.web.render import HERE


def install(app: FastAPI) -> None:
    app.mount("/panel/static", StaticFiles(directory=HERE / "static"), name="panel-static")
    for module in (pages_auth, pages_sub, pages_admin, pages_operator, pages_notify,
                   pages_store):
        app.include_router(module.router)


__all__ = ["install"]
