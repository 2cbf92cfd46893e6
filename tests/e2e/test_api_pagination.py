"""List pages (API.md: `{"object": "list", "data", "has_more"}` with `limit` and
`starting_after`), and a smoke test of the subscription endpoints that fill them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import error_of

PLAN = {"id": "hosting", "product": "web", "name": "Hosting", "billing_type": "long_term",
        "periods": ["P1Y"],
        "resources": [{"id": "sites", "primary": True, "min": 1, "max": 10, "price": "60"},
                      {"id": "storage", "included": 10, "max": 1000, "price": "0.5"}]}


@pytest.fixture
def customer(api: TestClient) -> TestClient:
    api.post("/v1/products", json={"id": "web", "name": "Web hosting"})
    assert api.post("/v1/plans", json=PLAN).status_code == 200
    api.post("/v1/customers", json={"id": "acme", "name": "Acme"})
    for i in range(3):
        response = api.post("/v1/subscriptions", json={
            "id": f"sub-{i}", "customer": "acme", "plan": "hosting",
            "resources": {"sites": 1 + i, "storage": 20}})
        assert response.status_code == 200, response.json()
    return api


def test_subscription_smoke(customer: TestClient) -> None:
    sub = customer.get("/v1/subscriptions/sub-0").json()
    assert (sub["status"], sub["expires_on"], sub["resources"]) == (
        "active", "2025-08-19", {"sites": 1, "storage": 20})  # SPEC T1
    preview = customer.post("/v1/subscriptions/sub-0/operations", json={
        "type": "change_resources", "resources": {"sites": 2, "storage": 20}, "preview": True})
    assert preview.status_code == 200, preview.json()
    assert customer.get("/v1/subscriptions/sub-0").json()["resources"]["sites"] == 1
    patched = customer.patch("/v1/subscriptions/sub-0", json={"auto_renew": False})
    assert patched.json()["auto_renew"] is False
    history = customer.get("/v1/subscriptions/sub-0/operations").json()
    assert history["object"] == "list" and history["data"]
    recs = customer.get("/v1/subscriptions/sub-0/recommendations").json()
    assert recs == {"object": "list", "data": [], "has_more": False}


def test_walk_charge_lines_page_by_page(customer: TestClient) -> None:
    everything = customer.get("/v1/customers/acme/charges?limit=100").json()
    assert everything["has_more"] is False
    lines = everything["data"]
    assert len(lines) == 6  # two resources × three purchases
    seen: list[dict[str, object]] = []
    after = None
    while True:
        query = "limit=4" + (f"&starting_after={after}" if after else "")
        page = customer.get(f"/v1/customers/acme/charges?{query}").json()
        assert len(page["data"]) <= 4
        seen.extend(page["data"])
        if not page["has_more"]:
            break
        after = page["data"][-1]["id"]
    assert seen == lines  # oldest first, nothing skipped or repeated


def test_default_limit(customer: TestClient) -> None:
    page = customer.get("/v1/customers/acme/charges").json()
    assert len(page["data"]) == 6 and page["has_more"] is False
    one = customer.get("/v1/customers/acme/charges?limit=1").json()
    assert len(one["data"]) == 1 and one["has_more"] is True


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=abc", "limit=-1",
                                   "limit=1.5", "limit=99999999999999999999999",
                                   "starting_after=bad%20id", "starting_after=" + "x" * 65])
def test_bad_paging_parameters(customer: TestClient, query: str) -> None:
    response = customer.get(f"/v1/customers/acme/charges?{query}")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_request"
    assert error["param"] == query.split("=")[0]


@pytest.mark.parametrize("path", [
    "/v1/customers/acme/charges", "/v1/subscriptions/sub-0/operations",
    "/v1/customers/acme/invoices", "/v1/customers/acme/payments", "/v1/events"])
def test_a_cursor_not_in_the_list_is_refused(customer: TestClient, path: str) -> None:
    """An unknown cursor, or one from another list (here another subscription's operation),
    answers 400 rather than an empty page that would pass for the end of the list."""
    other = customer.get("/v1/subscriptions/sub-1/operations").json()["data"][0]["id"]
    for cursor in ("no-such-id", other):
        if path == "/v1/events" and cursor == other:
            continue  # an operation id is simply unknown to the events list
        response = customer.get(f"{path}?starting_after={cursor}")
        assert response.status_code == 400, (path, cursor, response.json())
        error = error_of(response)
        assert (error["code"], error["param"]) == ("invalid_cursor", "starting_after")
