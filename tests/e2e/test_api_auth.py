"""Authentication (API.md: every request carries `Authorization: Bearer <key>`; SPEC P2)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import ClientFactory, error_of

READS = ["/v1/customers/acme", "/v1/plans/p", "/v1/customers/acme/charges",
         "/v1/subscriptions/s", "/v1/test/clock"]


@pytest.fixture
def anonymous(client_factory: ClientFactory, db_kind: str) -> TestClient:
    return client_factory(db_kind, key=None)


@pytest.mark.parametrize("path", READS)
def test_missing_key(anonymous: TestClient, path: str) -> None:
    response = anonymous.get(path)
    assert response.status_code == 401
    error = error_of(response)
    assert (error["code"], error["type"]) == ("authentication_required", "authentication_error")


@pytest.mark.parametrize("header", ["Bearer wrong-key", "Bearer test-operator-key-and-more",
                                    "Bearer test-operator-ke", "Bearer cl\u00e9".encode("latin-1"),
                                    "Bearer \u043a\u043b\u044e\u0447".encode()])
def test_wrong_key(anonymous: TestClient, header: str | bytes) -> None:
    # Non-ASCII keys must not crash the constant-time comparison.
    response = anonymous.get("/v1/customers/acme", headers={"Authorization": header})
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_api_key"


@pytest.mark.parametrize("header", ["Basic dGVzdDp0ZXN0", "Bearer", "test-operator-key", ""])
def test_not_a_bearer_key(anonymous: TestClient, header: str) -> None:
    response = anonymous.get("/v1/customers/acme", headers={"Authorization": header})
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_required"


def test_authentication_comes_before_validation(anonymous: TestClient) -> None:
    # An anonymous caller learns nothing about the body it sent, and nothing is written.
    response = anonymous.post("/v1/customers", json={"billing_day": "garbage"})
    assert response.status_code == 401
    response = anonymous.post("/v1/customers", json={"id": "acme", "name": "Acme"})
    assert response.status_code == 401
    authed = anonymous.get("/v1/customers/acme",
                           headers={"Authorization": "Bearer test-operator-key"})
    assert authed.status_code == 404


POINT_READS = ["/v1/products/{}", "/v1/plans/{}", "/v1/subscriptions/{}", "/v1/resellers/{}",
               "/v1/webhook-endpoints/{}", "/v1/payments/{}", "/v1/payment-sessions/{}"]


@pytest.mark.parametrize("path", POINT_READS)
def test_a_point_read_authenticates_before_it_looks_at_the_id(anonymous: TestClient,
                                                               path: str) -> None:
    # A point read finds its caller on the same trip as its read (issue 13), still first:
    # neither an id that cannot exist nor one that does not tells an anonymous caller anything.
    for sub_id in ("no such id!", "nope"):
        response = anonymous.get(path.format(sub_id))
        assert (response.status_code, error_of(response)["code"]) == \
            (401, "authentication_required")
        response = anonymous.get(path.format(sub_id), headers={"Authorization": "Bearer x"})
        assert (response.status_code, error_of(response)["code"]) == (401, "invalid_api_key")
    authed = anonymous.get(path.format("nope"),
                           headers={"Authorization": "Bearer test-operator-key"})
    assert authed.status_code == 404


def test_operator_key_works(api: TestClient) -> None:
    assert api.post("/v1/customers", json={"id": "acme", "name": "Acme"}).status_code == 200
    assert api.get("/v1/customers/acme").status_code == 200


def test_healthz_needs_no_key(anonymous: TestClient) -> None:
    response = anonymous.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
