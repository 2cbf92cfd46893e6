"""The served OpenAPI document describes the whole public contract of API.md."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import ClientFactory

# Every endpoint of API.md, as (method, path).
API_MD = [
    ("post", "/v1/resellers"), ("post", "/v1/customers"), ("get", "/v1/customers/{id}"),
    ("post", "/v1/products"), ("post", "/v1/plans"), ("get", "/v1/plans/{id}"),
    ("patch", "/v1/plans/{id}"), ("post", "/v1/subscriptions"),
    ("get", "/v1/subscriptions/{id}"), ("patch", "/v1/subscriptions/{id}"),
    ("post", "/v1/subscriptions/{id}/operations"), ("get", "/v1/subscriptions/{id}/operations"),
    ("get", "/v1/subscriptions/{id}/recommendations"), ("get", "/v1/customers/{id}/charges"),
    ("post", "/v1/exchange-rates"), ("get", "/v1/test/clock"), ("post", "/v1/test/clock"),
    ("get", "/healthz"),
]
# Part of API.md, owned by the next issue (API keys, company names P5, restrictions P6).
# Strict: the marker must go once the endpoint is served.
NOT_YET = [("post", "/v1/api-keys"), ("put", "/v1/settings/company-names"),
           ("post", "/v1/restrictions"), ("delete", "/v1/restrictions/{id}")]



@pytest.fixture
def openapi(client_factory: ClientFactory) -> dict[str, dict[str, object]]:
    client: TestClient = client_factory("sqlite")
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def _normalise(path: str) -> str:
    """`/v1/customers/{customer_id}` → `/v1/customers/{id}`: parameter names are free."""
    return "/".join("{id}" if part.startswith("{") else part for part in path.split("/"))


def _served(openapi: dict[str, dict[str, object]]) -> set[tuple[str, str]]:
    paths = openapi["paths"]
    return {(method, _normalise(path)) for path, ops in paths.items() for method in ops}  # type: ignore[union-attr]


@pytest.mark.parametrize(("method", "path"), API_MD)
def test_api_md_endpoint_is_described(openapi: dict[str, dict[str, object]], method: str,
                                      path: str) -> None:
    assert (method, path) in _served(openapi)


@pytest.mark.parametrize(("method", "path"), NOT_YET)
def test_api_md_endpoint_not_yet_served(openapi: dict[str, dict[str, object]], method: str,
                                        path: str) -> None:
    assert (method, path) in _served(openapi)


def test_request_bodies_are_described(openapi: dict[str, dict[str, object]]) -> None:
    schemas = openapi["components"]["schemas"]  # type: ignore[index]
    exchange = schemas["ExchangeRateIn"]["properties"]  # type: ignore[index]
    assert set(exchange) == {"from", "to", "rate", "effective_from"}  # public names, not from_
    assert exchange["rate"]["type"] == "string"  # money is a decimal string (T5)
    customer = schemas["CustomerIn"]["properties"]  # type: ignore[index]
    assert {"id", "name", "reseller", "billing_day", "currency", "inn", "group",
            "credit_limit"} <= set(customer)


def test_login_documents_the_throttle(openapi: dict[str, object]) -> None:
    # issue 13 / SPEC security throttle: POST /v1/login answers 429 too_many_attempts with
    # Retry-After; the document says so, and only there
    paths: dict[str, dict[str, dict[str, object]]] = openapi["paths"]  # type: ignore[assignment]
    responses: dict[str, dict[str, object]] = paths["/v1/login"]["post"]["responses"]  # type: ignore[assignment]
    throttled = responses["429"]
    assert "too_many_attempts" in str(throttled["description"])
    assert "Retry-After" in throttled["headers"]  # type: ignore[operator]
    assert "application/json" in throttled["content"]  # type: ignore[operator]
    others = [(p, m) for p, ops in paths.items() for m, o in ops.items()
              if "429" in o.get("responses", {}) and (p, m) != ("/v1/login", "post")]  # type: ignore[attr-defined]
    assert others == []


def test_every_operation_but_the_public_ones_declares_how_to_authenticate(
        openapi: dict[str, dict[str, object]]) -> None:
    # The key or session token as a bearer, or the session cookie (api/deps.py `credential`,
    # read without FastAPI's security dependencies since issue 13: declared by api/openapi.py).
    schemes = openapi["components"]["securitySchemes"]  # type: ignore[index]
    assert schemes == {
        "HTTPBearer": {"type": "http", "scheme": "bearer",
                       "description": "`Authorization: Bearer <api key or session token>`"},
        "APIKeyCookie": {"type": "apiKey", "in": "cookie", "name": "prorata_session",
                         "description": "the session cookie set by POST /v1/login"}}
    public = {("get", "/healthz"), ("post", "/v1/login"),
              ("post", "/v1/payment-gateways/{gateway}/callback")}
    bearer_or_cookie: list[dict[str, list[str]]] = [{"HTTPBearer": []}, {"APIKeyCookie": []}]
    for path, operations in openapi["paths"].items():
        for method, op in operations.items():  # type: ignore[attr-defined]
            expected = None if (method, path) in public else bearer_or_cookie
            assert op.get("security") == expected, (method, path)


def test_a_bearer_of_another_scheme_or_none_is_not_a_credential(
        client_factory: ClientFactory) -> None:
    client: TestClient = client_factory("sqlite", key=None)
    for header in ("Basic dGVzdDp0ZXN0", "Bearer", "Bearer ", "Token test-operator-key"):
        response = client.get("/v1/plans/p1", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.json()["error"]["code"] == "authentication_required", header
    # the scheme's case does not matter (RFC 7235)
    key = "test-operator-key"
    assert client.get("/v1/plans/p1", headers={"Authorization": f"bearer {key}"}).status_code \
        == 404
