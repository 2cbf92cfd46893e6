"""`OPTIONS` answers the methods a path really has (issue 7): 204 with `Allow`, from the
routing table itself, so it cannot drift from the routes. A path no route knows is the usual
404. It needs no key: it tells nothing the published OpenAPI document does not."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from starlette.routing import Match

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


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def options(request: Request,
                      call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.method != "OPTIONS":
            return await call_next(request)
        methods = allowed_methods(app, request.url.path)
        if not methods:
            return error_response(404, "not_found", "not_found", "No such route or resource")
        allow = ", ".join(m for m in ORDER if m in methods)
        return Response(status_code=204, headers={"Allow": allow})
