"""`OPTIONS` answers the methods a path really has (issue 7): 204 with `Allow`, from the
routing table itself, so it cannot drift from the routes. A path no route knows is the usual
404. It needs no key: it tells nothing the published OpenAPI document does not."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from prorata.api.errors import error_response

ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(app: FastAPI, path: str) -> set[str]:
    """Asks the router, method by method, which would match the path fully (routers nest, so
    the routes are not walked by hand)."""
    methods: set[str] = set()
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        scope: dict[str, Any] = {"type": "http", "path": path, "method": method, "root_path": "",
                 "path_params": {}}
        if any(route.matches(scope)[0] is Match.FULL for route in app.router.routes):
            methods.add(method)
    if methods:
        methods.add("OPTIONS")
        if "GET" in methods:
            methods.add("HEAD")
    return methods


class _Options:
    """Plain ASGI middleware: every other request passes straight through. (Starlette's
    `@app.middleware("http")` wraps each request in a task group and memory streams, a cost
    paid by every request although only OPTIONS needs it; issue 13.)"""

    def __init__(self, app: ASGIApp, routes: FastAPI) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "OPTIONS":
            await self.app(scope, receive, send)
            return
        methods = allowed_methods(self.routes, Request(scope).url.path)
        response: Response
        if not methods:
            response = error_response(404, "not_found", "not_found", "No such route or resource")
        else:
            allow = ", ".join(m for m in ORDER if m in methods)
            response = Response(status_code=204, headers={"Allow": allow})
        await response(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_middleware(_Options, routes=app)
