"""Checks shared by the catalog, party and rate use cases.

The services re-check what the API schemas already checked because they are also called by the
demo loader, the CLI and tests without going through HTTP; a bad value must never reach the
database, where it would surface as a 500 instead of a stable error code."""

from __future__ import annotations

import re
from typing import Any

from prorata.domain.errors import DomainError, InvalidInput, NotFound
from prorata.ids import new_id
from prorata.services.ports import Scope

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_TEXT = 200


class ResourceExists(DomainError):
    """A client-chosen id is already taken (API.md: clients may choose ids)."""

    status = 409
    type = "invalid_request_error"

    def __init__(self, what: str, ident: str, param: str = "id") -> None:
        super().__init__("resource_exists", f"A {what} {ident!r} already exists", param)


class OutOfScope(DomainError):
    """SPEC P2: what the caller may not touch answers 404, never 403, so that nothing about
    other parties' data (not even that an endpoint is theirs to use) leaks."""

    status = 404
    type = "not_found"

    def __init__(self) -> None:
        super().__init__("not_found", "No such route or resource", None)


def require_operator(scope: Scope) -> None:
    if scope.kind != "operator":
        raise OutOfScope()


def require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidInput("invalid_request", "the request body must be a JSON object", None)
    return body


def choose_id(body: dict[str, Any], prefix: str) -> str:
    """The client's id when given (and well-formed), otherwise a fresh random one. Random, not
    sequential, so ids reveal nothing about how many parties or plans others have."""
    raw = body.get("id")
    if raw is None:
        return new_id(prefix)
    if not isinstance(raw, str) or not ID_PATTERN.match(raw):
        raise InvalidInput(
            "invalid_id",
            "id must be 1-64 characters: letters, digits, '_', '.', '-', starting with a letter "
            "or digit",
            "id",
        )
    return raw


def scoped_id(scope: Scope, body: dict[str, Any], prefix: str) -> str:
    """Ids are global names, so only a caller whose scope is the whole namespace (the
    operator) may choose one: a reseller or customer choosing ids could tell a taken id (409)
    from a free one (200) and so learn that another tenant's object exists. Theirs are
    assigned by the server; an `id` from them is refused, whether taken or not."""
    if scope.kind != "operator" and body.get("id") is not None:
        raise InvalidInput("id_not_allowed", "ids are assigned by the server; leave id out",
                           "id")
    return choose_id(body, prefix)


def text(body: dict[str, Any], key: str, *, required: bool = True,
         max_length: int = MAX_TEXT) -> str | None:
    """A printable, non-blank string. Control characters are refused: PostgreSQL rejects NUL in
    text columns, and none of them belongs in a name shown on invoices."""
    value = body.get(key)
    if value is None:
        if required:
            raise InvalidInput("missing_field", f"{key} is required", key)
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("invalid_field", f"{key} must be a non-empty string", key)
    if len(value) > max_length:
        raise InvalidInput("invalid_field", f"{key} may be at most {max_length} characters", key)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise InvalidInput("invalid_field", f"{key} must not contain control characters", key)
    return value.strip()


def missing(what: str, ident: object, param: str) -> NotFound:
    """`NotFound` naming the request field that pointed nowhere, not just the kind of record."""
    error = NotFound(what, str(ident))
    error.param = param
    return error


def reference(body: dict[str, Any], key: str, what: str) -> str | None:
    """An id naming another record; absent or well-formed. A malformed id cannot exist, so it
    gets the same answer as an unknown one; existence itself is the caller's check."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise missing(what, value, key)
    return value
