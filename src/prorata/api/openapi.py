"""The served OpenAPI document as the contract (issue 7): FastAPI's document, plus what it
cannot infer from handlers that answer plain dicts — the response models of api/schemas_out,
the one error model on every 4xx the API really gives (400 instead of FastAPI's 422), the
`Idempotency-Key` header on every write, and the enums of the operation request."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from prorata.api import schemas_out, schemas_writes
from prorata.api.deps import SESSION_COOKIE
from prorata.domain.engine.availability import OPERATIONS

REF = "#/components/schemas/{model}"
RESPONSES = {**schemas_out.RESPONSES, **schemas_writes.RESPONSES}
WRITES = ("post", "put", "patch")
# Answer without a key, so never 401. Logout is not one of them: it ends the session of the
# key or cookie it is sent with, and answers 401 without one.
PUBLIC = {"/healthz", "/v1/login", "/v1/payment-gateways/{gateway}/callback"}
# How a caller authenticates (api/deps.py `credential_of`): every operation but the PUBLIC ones.
SECURITY_SCHEMES = {
    "HTTPBearer": {"type": "http", "scheme": "bearer",
                   "description": "`Authorization: Bearer <api key or session token>`"},
    "APIKeyCookie": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                     "description": "the session cookie set by POST /v1/login"},
}
SECURITY: list[dict[str, list[str]]] = [{"HTTPBearer": []}, {"APIKeyCookie": []}]
IDEMPOTENCY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "a repeat with the same key returns the first response and changes "
                   "nothing (SPEC S12); 1-255 printable characters",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
ERRORS = {
    "400": "bad input: a field, a query parameter, an unknown parameter or cursor",
    "401": "no key, or a key that is not valid",
    "404": "no such resource, or one outside the caller's scope (SPEC P2)",
    "409": "refused by a rule (SPEC S2 codes), a conflict, or an Idempotency-Key reused",
}
# The 4xx that only some operations answer, beyond ERRORS: the throttle of failed sign-ins,
# and a payment gateway refusing (services.checkout.GatewayFailed, 402).
ONLY_HERE: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("post", "/v1/login"): {"429": {
        "description": "too_many_attempts: too many failed sign-ins for this user or address; "
                       "retry after the seconds in `Retry-After`",
        "headers": {"Retry-After": {"description": "seconds to wait before the next attempt",
                                    "schema": {"type": "integer", "minimum": 1}}},
    }},
    ("post", "/v1/payments/{payment_id}/refunds"): {"402": {
        "description": "refund_failed: the gateway refused the refund; it stays listed on the "
                       "payment as failed and the balance is unchanged"}},
    ("post", "/v1/customers/{customer_id}/payment-sessions"): {"402": {
        "description": "gateway_error: the gateway refused the payment or could not be "
                       "reached; nothing is stored"}},
}


def _add_model(doc: dict[str, Any], model: type[BaseModel]) -> dict[str, str]:
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schema = model.model_json_schema(ref_template=REF)
    for name, sub in schema.pop("$defs", {}).items():
        schemas.setdefault(name, sub)
    schemas[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def _enums(doc: dict[str, Any]) -> None:
    schemas = doc.get("components", {}).get("schemas", {})
    props = schemas.get("OperationIn", {}).get("properties", {})
    if "type" in props:
        props["type"]["enum"] = list(OPERATIONS)
    for branch in props.get("timing", {}).get("anyOf", []):
        if branch.get("type") == "string":
            branch["enum"] = ["now", "end_of_cycle", "renewal"]


def enrich(doc: dict[str, Any]) -> dict[str, Any]:
    error = _add_model(doc, schemas_out.Error)
    _enums(doc)
    doc.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    for path, operations in doc.get("paths", {}).items():
        for method, op in operations.items():
            if path not in PUBLIC:
                op["security"] = SECURITY
            responses = op.setdefault("responses", {})
            model = RESPONSES.get((method, path))
            if model is not None:
                ok = responses.setdefault("200", {"description": "Successful Response"})
                ok["content"] = {"application/json": {"schema": _add_model(doc, model)}}
            responses.pop("422", None)  # validation errors are answered 400 (API.md)
            for status, text in ERRORS.items():
                if status == "401" and path in PUBLIC:
                    continue
                responses.setdefault(status, {"description": text, "content": {
                    "application/json": {"schema": error}}})
            for status, answer in ONLY_HERE.get((method, path), {}).items():
                responses.setdefault(status, {**answer, "content": {
                    "application/json": {"schema": error}}})
            if method in WRITES:
                params = op.setdefault("parameters", [])
                if not any(p.get("name") == "Idempotency-Key" for p in params):
                    params.append(IDEMPOTENCY)
    doc.get("components", {}).get("schemas", {}).pop("HTTPValidationError", None)
    doc.get("components", {}).get("schemas", {}).pop("ValidationError", None)
    return doc


def install(app: FastAPI) -> None:
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = enrich(original())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
