"""One error shape for every failure: `{"error": {type, code, message, param}}` (API.md).

Clients branch on `code`, so every path out of the app, including the framework's own 404,
405 and body validation, is translated here rather than left in FastAPI's default shape."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from prorata.domain.errors import DomainError, TooManyRequests
from prorata.services.ports import DuplicateKey

log = logging.getLogger("prorata.api")

# Pydantic names union members in error locations ("str", "dict[str,str]", "function-after[..]");
# they mean nothing to a client, who named a field.
_TYPE_TAG = re.compile(r"^(str|int|bool|float|none|list|dict|constrained-str)$|[\[(]")


def error_response(status: int, type_: str, code: str, message: str,
                   param: str | None = None,
                   details: dict[str, Any] | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"type": type_, "code": code, "message": message, "param": param,
                   **(details or {})}},
        status_code=status,
    )


def param_from_loc(loc: Sequence[Any]) -> str | None:
    """("body", "resources", 0, "price") → "resources[0].price"."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and _TYPE_TAG.search(part):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or None


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    response = error_response(exc.status, exc.type, exc.code, exc.message, exc.param,
                              exc.details)
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    # An unknown field is named first, whatever else is wrong: it is usually a typo of the
    # field the other errors complain about.
    errors.sort(key=lambda e: e.get("type") != "extra_forbidden")
    first = errors[0] if errors else {"type": "", "loc": (), "msg": "invalid request"}
    if first.get("type") == "json_invalid":
        return error_response(400, "invalid_request_error", "invalid_json",
                              "The request body is not valid JSON")
    param = param_from_loc(first.get("loc", ()))
    if first.get("type") == "extra_forbidden":
        return error_response(400, "invalid_request_error", "unknown_parameter",
                              f"Unknown parameter: {param}", param)
    message = str(first.get("msg", "invalid request"))
    return error_response(400, "invalid_request_error", "invalid_request",
                          f"{param}: {message}" if param else message, param)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(404, "not_found", "not_found", "No such route or resource")
    if exc.status_code == 405:
        response = error_response(405, "invalid_request_error", "method_not_allowed",
                                  f"{request.method} is not allowed here")
        if exc.headers and "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    if exc.status_code == 400:
        return error_response(400, "invalid_request_error", "invalid_request", str(exc.detail))
    return error_response(exc.status_code, "api_error", "http_error", str(exc.detail))


async def _duplicate_key(request: Request, exc: Exception) -> JSONResponse:
    return error_response(409, "invalid_request_error", "resource_exists",
                          "A resource with this id already exists", "id")


async def _too_deep(request: Request, exc: Exception) -> JSONResponse:
    # json.loads raises RecursionError on absurdly nested input: still the client's fault.
    return error_response(400, "invalid_request_error", "invalid_json",
                          "The request body is nested too deeply")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, "api_error", "internal_error", "An unexpected error occurred")


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(DuplicateKey, _duplicate_key)
    app.add_exception_handler(RecursionError, _too_deep)
    app.add_exception_handler(Exception, _unexpected)
