"""Every 2xx answer in /openapi.json has a schema (issue 7): an operation left at FastAPI's
generic 200 (no schema, `{}`, or an untyped object) would escape schemathesis' response
conformance check, so this walk fails on the first one. PDFs are binary application/pdf."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import ClientFactory


@pytest.fixture
def openapi(client_factory: ClientFactory) -> dict[str, Any]:
    response = client_factory("sqlite").get("/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def _typed(schema: dict[str, Any]) -> bool:
    """A named component, or a list/union of them: never `{}` or a bare `object`."""
    if "$ref" in schema:
        return True
    if schema.get("type") == "array":
        return _typed(schema.get("items", {}))
    branches = schema.get("anyOf") or schema.get("oneOf")
    return bool(branches) and all(_typed(b) for b in branches)


def _untyped(doc: dict[str, Any]) -> list[str]:
    missing = []
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            ok = {code: r for code, r in op["responses"].items() if code.startswith("2")}
            if not ok:
                missing.append(f"{method} {path}: no 2xx answer")
            for code, response in ok.items():
                content = response.get("content", {})
                if path.endswith("/pdf"):
                    if content.get("application/pdf", {}).get("schema") != {
                            "type": "string", "format": "binary"} or len(content) != 1:
                        missing.append(f"{method} {path} {code}: not binary application/pdf")
                    continue
                if not _typed(content.get("application/json", {}).get("schema", {})):
                    missing.append(f"{method} {path} {code}: no response schema")
    return missing


def test_every_2xx_answer_has_a_schema(openapi: dict[str, Any]) -> None:
    # issue 7: the OpenAPI document is the contract, including what comes back
    missing = _untyped(openapi)
    assert not missing, "\n".join(missing)


def test_the_walk_catches_a_generic_answer(openapi: dict[str, Any]) -> None:
    # the check above must be able to fail: FastAPI's generic 200 is reported
    path, method = "/v1/api-keys", "post"
    openapi["paths"][path][method]["responses"]["200"] = {
        "description": "Successful Response", "content": {"application/json": {"schema": {}}}}
    assert _untyped(openapi) == [f"{method} {path} 200: no response schema"]


def test_the_walk_catches_an_untyped_dict(openapi: dict[str, Any]) -> None:
    # what FastAPI infers from a handler annotated `-> dict[str, Any]` without a model: the
    # form the last 16 reads had, which no conformance check can fail
    path, method = "/v1/events", "get"
    openapi["paths"][path][method]["responses"]["200"]["content"]["application/json"] = {
        "schema": {"type": "object", "additionalProperties": True}}
    assert _untyped(openapi) == [f"{method} {path} 200: no response schema"]


def test_secret_bearing_answers_are_typed(openapi: dict[str, Any]) -> None:
    # the writes of the last gap carry their own models, with enums from the code
    schemas = openapi["components"]["schemas"]
    assert schemas["Refund"]["properties"]["status"]["$ref"].endswith("/RefundStatus")
    assert schemas["RefundStatus"]["enum"] == ["pending", "succeeded", "failed"]
    assert set(schemas["ExchangeRate"]["properties"]) >= {"from", "to", "rate", "effective_from"}
    template = schemas["Template"]["properties"]
    assert template["source"]["enum"] == ["default", "operator", "reseller"]
    assert "subscription_expiring" in template["event_type"]["enum"]
