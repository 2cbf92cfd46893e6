"""The OpenAPI document says what comes back (issue 7), and /docs and /redoc work offline:
their scripts and styles are served from the package, none from a CDN."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import ClientFactory


@pytest.fixture
def client(client_factory: ClientFactory) -> TestClient:
    return client_factory("sqlite", key=None)


def _resolve(doc: dict, ref: str) -> dict:
    return doc["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_lists_and_views_have_typed_answers_with_enums(client: TestClient):
    doc = client.get("/openapi.json").json()
    ok = doc["paths"]["/v1/subscriptions"]["get"]["responses"]["200"]
    listing = _resolve(doc, ok["content"]["application/json"]["schema"]["$ref"])
    assert set(listing["required"]) >= {"object", "data", "has_more"}
    view = doc["paths"]["/v1/subscriptions/{sub_id}"]["get"]["responses"]["200"]
    sub = _resolve(doc, view["content"]["application/json"]["schema"]["$ref"])
    assert "unavailable_operations" in sub["properties"]
    status = _resolve(doc, sub["properties"]["status"]["$ref"])
    assert "active" in status["enum"] and "switching" in status["enum"]  # SPEC S1
    op_in = doc["components"]["schemas"]["OperationIn"]["properties"]
    assert "switch_plan" in op_in["type"]["enum"]
    assert any(b.get("enum") == ["now", "end_of_cycle", "renewal"]
               for b in op_in["timing"]["anyOf"])


def test_every_error_answer_has_the_error_model_and_writes_take_idempotency_keys(
        client: TestClient):
    doc = client.get("/openapi.json").json()
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            responses = op["responses"]
            assert "422" not in responses, (method, path)  # bad input is 400 (API.md)
            for status in ("400", "404"):
                schema = responses[status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path)
            if method in ("post", "put", "patch"):
                names = [p["name"] for p in op.get("parameters", [])]
                assert "Idempotency-Key" in names, (method, path)
    assert "401" in doc["paths"]["/v1/customers"]["get"]["responses"]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_their_assets_from_the_server(client: TestClient, page: str):
    html = client.get(page)
    assert html.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html.text)
    assert assets
    for asset in assets:
        assert asset.startswith("/"), asset  # no CDN
        served = client.get(asset)
        assert served.status_code == 200 and len(served.content) > 10_000
