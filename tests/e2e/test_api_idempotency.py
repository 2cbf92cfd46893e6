"""`Idempotency-Key` on writes (SPEC S12): a repeat returns the first response and changes
nothing; the same key with another request is refused."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient

from prorata.api import deps
from tests.e2e.conftest import error_of

PLAN = {"id": "basic", "product": "m365", "name": "Basic", "billing_type": "monthly",
        "periods": ["P1Y"], "resources": [{"id": "seats", "primary": True, "min": 1,
                                            "max": 300, "price": "6.00"}]}


def _key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


def test_repeat_returns_the_first_response(api: TestClient) -> None:
    # SPEC S12: a server-assigned id proves the second request created nothing
    first = api.post("/v1/customers", json={"name": "Acme"}, headers=_key("k1"))
    again = api.post("/v1/customers", json={"name": "Acme"}, headers=_key("k1"))
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    other = api.post("/v1/customers", json={"name": "Acme"}, headers=_key("k2"))
    assert other.json()["id"] != first.json()["id"]


def test_repeat_of_a_purchase_charges_once(api: TestClient) -> None:
    # SPEC S12: the repeat changes nothing, so the customer is charged once
    api.post("/v1/products", json={"id": "m365", "name": "M365"})
    api.post("/v1/plans", json=PLAN)
    api.post("/v1/customers", json={"id": "acme", "name": "Acme"})
    body = {"customer": "acme", "plan": "basic", "resources": {"seats": 5}}
    first = api.post("/v1/subscriptions", json=body, headers=_key("buy-1"))
    assert first.status_code == 200, first.json()
    lines = api.get("/v1/customers/acme/charges").json()["data"]
    again = api.post("/v1/subscriptions", json=body, headers=_key("buy-1"))
    assert again.json() == first.json()
    assert api.get("/v1/customers/acme/charges").json()["data"] == lines


def test_same_key_other_body_is_refused(api: TestClient) -> None:
    api.post("/v1/customers", json={"id": "acme", "name": "Acme"}, headers=_key("k"))
    response = api.post("/v1/customers", json={"id": "acme2", "name": "Acme"},
                        headers=_key("k"))
    assert response.status_code == 409
    assert error_of(response)["code"] == "idempotency_key_reused"
    assert api.get("/v1/customers/acme2").status_code == 404


def test_same_key_other_endpoint_is_refused(api: TestClient) -> None:
    api.post("/v1/resellers", json={"id": "x", "name": "X"}, headers=_key("k"))
    response = api.post("/v1/customers", json={"id": "x", "name": "X"}, headers=_key("k"))
    assert response.status_code == 409
    assert error_of(response)["code"] == "idempotency_key_reused"


def test_a_refused_request_does_not_burn_the_key(api: TestClient) -> None:
    # Nothing changed, so the client may fix its input and retry with the same key.
    bad = api.post("/v1/customers", json={"name": "Acme", "billing_day": 40}, headers=_key("k"))
    assert bad.status_code == 400
    good = api.post("/v1/customers", json={"name": "Acme", "billing_day": 4}, headers=_key("k"))
    assert good.status_code == 200


def test_patch_is_idempotent_too(api: TestClient) -> None:
    api.post("/v1/products", json={"id": "m365", "name": "M365"})
    api.post("/v1/plans", json=PLAN)
    patch = {"name": "Basic 2"}
    first = api.patch("/v1/plans/basic", json=patch, headers=_key("p"))
    assert api.patch("/v1/plans/basic", json=patch, headers=_key("p")).json() == first.json()


def test_invalid_key(api: TestClient) -> None:
    response = api.post("/v1/customers", json={"name": "Acme"}, headers=_key("k" * 256))
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_idempotency_key"


def test_concurrent_repeats_create_one_customer(api: TestClient) -> None:
    # SPEC S12 under concurrency: every answer is the one committed response
    def post(_: int) -> tuple[int, dict[str, object]]:
        response = api.post("/v1/customers", json={"name": "Racer"}, headers=_key("race"))
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(post, range(12)))
    assert {status for status, _ in results} == {200}
    assert len({body["id"] for _, body in results}) == 1  # type: ignore[misc]


def test_a_write_without_a_key_is_not_fingerprinted(api: TestClient,
                                                    monkeypatch: Any) -> None:
    """The request's fingerprint (a canonical JSON of it, hashed) is compared only between
    requests that share a key: one without a key does not pay for it (issue 13)."""
    calls: list[Any] = []
    original = deps._fingerprint
    monkeypatch.setattr(deps, "_fingerprint",
                        lambda *args: calls.append(args) or original(*args))
    assert api.post("/v1/customers", json={"name": "Acme"}).status_code == 200
    assert calls == []
    assert api.post("/v1/customers", json={"name": "Acme"}, headers=_key("k")).status_code == 200
    assert len(calls) == 1
