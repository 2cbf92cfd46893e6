"""Lists with filters and pagination (issue 7), the S2 reasons in the subscription view, and
the S11 history of an auto_renew change, over HTTP on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import error_of
from tests.e2e.lifecycle import clock, ok, seats_plan, setup


def ids(api: TestClient, path: str, **params: Any) -> list[str]:
    body = ok(api.get(path, params={"limit": 100, **params}))
    assert body["object"] == "list" and body["has_more"] is False
    return [item["id"] for item in body["data"]]


@pytest.fixture
def shop(api: TestClient) -> TestClient:
    """acme (direct) and beta (of reseller r1, child r2 has gamma); basic monthly 1Y,
    yearly long_term; subscriptions a1 a2 (acme), b1 (beta), g1 (gamma)."""
    setup(api, seats_plan("basic", "monthly", "6.00"), seats_plan("yearly", "long_term", "60.00"))
    ok(api.post("/v1/products", json={"id": "av", "name": "Antivirus"}))
    ok(api.post("/v1/plans", json={**seats_plan("guard", "monthly", "2.00"), "product": "av"}))
    ok(api.post("/v1/resellers", json={"id": "r1", "name": "R1"}))
    ok(api.post("/v1/resellers", json={"id": "r2", "name": "R2", "parent": "r1"}))
    ok(api.post("/v1/customers", json={"id": "beta", "name": "Beta", "reseller": "r1"}))
    ok(api.post("/v1/customers", json={"id": "gamma", "name": "Gamma", "reseller": "r2"}))
    for sid, customer, plan, extra in (("a1", "acme", "basic", {}),
                                       ("a2", "acme", "yearly", {"auto_renew": False}),
                                       ("b1", "beta", "guard", {}),
                                       ("g1", "gamma", "basic", {})):
        ok(api.post("/v1/subscriptions", json={"id": sid, "customer": customer, "plan": plan,
                                               "resources": {"seats": 2}, **extra}))
    return api


def test_subscription_filters(shop: TestClient):
    # Issue 7: customer, reseller subtree, plan, product, status, expires_before, auto_renew.
    assert ids(shop, "/v1/subscriptions") == ["a1", "a2", "b1", "g1"]
    assert ids(shop, "/v1/subscriptions", customer="acme") == ["a1", "a2"]
    assert ids(shop, "/v1/subscriptions", reseller="r1") == ["b1", "g1"]
    assert ids(shop, "/v1/subscriptions", reseller="r2") == ["g1"]
    assert ids(shop, "/v1/subscriptions", plan="basic") == ["a1", "g1"]
    assert ids(shop, "/v1/subscriptions", product="av") == ["b1"]
    assert ids(shop, "/v1/subscriptions", auto_renew="false") == ["a2"]
    # bought 2024-08-20 for P1Y: last day 2025-08-19
    assert ids(shop, "/v1/subscriptions", expires_before="2025-08-19") == []
    assert ids(shop, "/v1/subscriptions", expires_before="2025-08-20") == ["a1", "a2", "b1", "g1"]
    ok(shop.post("/v1/subscriptions/a1/operations", json={"type": "stop"}))
    assert ids(shop, "/v1/subscriptions", status="stopped") == ["a1"]
    assert ids(shop, "/v1/subscriptions", status="active", customer="acme") == ["a2"]


def test_other_lists_and_their_filters(shop: TestClient):
    # Issue 7: customers, resellers, plans, products, operations and charge lines.
    assert ids(shop, "/v1/customers") == ["acme", "beta", "gamma"]
    assert ids(shop, "/v1/customers", reseller="r1") == ["beta", "gamma"]
    assert ids(shop, "/v1/resellers") == ["r1", "r2"]
    assert ids(shop, "/v1/resellers", parent="r1") == ["r2"]
    assert ids(shop, "/v1/plans", product="m365") == ["basic", "yearly"]
    assert ids(shop, "/v1/plans", billing_type="long_term") == ["yearly"]
    assert ids(shop, "/v1/products") == ["av", "m365"]
    ok(shop.post("/v1/subscriptions/a1/operations", json={"type": "change_resources",
                                                          "resources": {"seats": 3}}))
    clock(shop, "2024-09-02")
    ops = ok(shop.get("/v1/operations", params={"subscription": "a1"}))["data"]
    assert [o["type"] for o in ops][-2:] == ["change_resources", "purchase"]  # newest first
    changed = ok(shop.get("/v1/operations", params={"type": "change_resources"}))["data"]
    assert [o["subscription"] for o in changed] == ["a1"]
    assert changed[0]["amount"] == changed[0]["lines"][0]["amount"]
    assert ids(shop, "/v1/operations", created_from="2024-08-21", type="purchase") == []
    lines = ok(shop.get("/v1/charge-lines", params={"customer": "acme", "limit": 100}))["data"]
    assert {ln["created_on"] for ln in lines} == {"2024-08-20", "2024-09-01"}
    later = ids(shop, "/v1/charge-lines", customer="acme", created_from="2024-08-21")
    assert later and later == [ln["id"] for ln in lines if ln["created_on"] == "2024-09-01"]
    assert ids(shop, "/v1/charge-lines", created_to="2024-08-19") == []
    assert ids(shop, "/v1/charge-lines", kind="refund") == []


def test_pages_forward_and_backward(shop: TestClient):
    # API.md lists: limit, starting_after, ending_before; has_more in the direction read.
    first = ok(shop.get("/v1/subscriptions", params={"limit": 2}))
    assert [s["id"] for s in first["data"]] == ["a1", "a2"] and first["has_more"]
    second = ok(shop.get("/v1/subscriptions", params={"limit": 2, "starting_after": "a2"}))
    assert [s["id"] for s in second["data"]] == ["b1", "g1"] and not second["has_more"]
    back = ok(shop.get("/v1/subscriptions", params={"limit": 2, "ending_before": "g1"}))
    assert [s["id"] for s in back["data"]] == ["a2", "b1"] and back["has_more"]
    start = ok(shop.get("/v1/subscriptions", params={"limit": 2, "ending_before": "a2"}))
    assert [s["id"] for s in start["data"]] == ["a1"] and not start["has_more"]


@pytest.mark.parametrize("query, code, param", [
    ({"colour": "red"}, "unknown_parameter", "colour"),
    ({"starting_after": "zzz"}, "invalid_cursor", "starting_after"),
    ({"ending_before": "zzz"}, "invalid_cursor", "ending_before"),
    ({"starting_after": "a1", "ending_before": "b1"}, "invalid_parameter", "ending_before"),
    ({"status": "sleeping"}, "invalid_parameter", "status"),
    ({"expires_before": "2025-13-01"}, "invalid_parameter", "expires_before"),
    ({"auto_renew": "yes"}, "invalid_parameter", "auto_renew"),
    ({"limit": "0"}, "invalid_parameter", "limit"),
    ({"limit": "101"}, "invalid_parameter", "limit"),
])
def test_bad_list_queries_are_400(shop: TestClient, query, code, param):
    # Issue 7: an unknown parameter or a cursor not in the list is 400, never ignored.
    response = shop.get("/v1/subscriptions", params=query)
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["param"]) == (code, param)


def test_a_filtered_out_cursor_is_not_in_the_list(shop: TestClient):
    # Issue 7: the cursor must be in the filtered list.
    response = shop.get("/v1/subscriptions", params={"customer": "acme", "starting_after": "b1"})
    assert error_of(response)["code"] == "invalid_cursor"


def test_view_explains_every_unavailable_operation(shop: TestClient):
    # SPEC S2 / issue 7: renew not_in_renewal_window with the day it opens; after the
    # deletion window, outside_deletion_window with the day it closed; never only the code.
    view = ok(shop.get("/v1/subscriptions/a1"))
    reasons = view["unavailable_operations"]
    assert set(reasons) | set(view["available_operations"]) == {
        "change_resources", "renew", "prolong", "switch_plan", "stop", "activate", "delete",
        "change_renewal_options", "cancel_switch", "approve", "reject"}
    assert not set(reasons) & set(view["available_operations"])
    renew = reasons["renew"]
    assert renew["code"] == "not_in_renewal_window"
    assert renew["opens_on"] == "2025-07-20" and "2025-07-20" in renew["message"]
    assert renew["closes_on"] is None
    clock(shop, "2024-09-05")
    delete = ok(shop.get("/v1/subscriptions/a1"))["unavailable_operations"]["delete"]
    assert delete["code"] == "outside_deletion_window"
    assert delete["closes_on"] == "2024-08-27" and "2024-08-27" in delete["message"]
    refused = shop.post("/v1/subscriptions/a1/operations", json={"type": "delete"})
    assert refused.status_code == 409
    assert error_of(refused)["message"] == delete["message"]  # the click answers the same


def test_auto_renew_change_is_in_the_history(shop: TestClient):
    # SPEC S11: every change is kept, the PATCH of auto_renew too.
    ok(shop.patch("/v1/subscriptions/a1", json={"auto_renew": False}))
    ok(shop.patch("/v1/subscriptions/a1", json={"auto_renew": False}))  # no change: no entry
    history = ok(shop.get("/v1/subscriptions/a1/operations"))["data"]
    assert [(o["type"], o["params"], o["status"]) for o in history] == [
        ("change_auto_renew", {"auto_renew": False}, "completed"),
        ("purchase", history[1]["params"], "completed")]
    assert history[0]["actor"] == "operator:operator" and history[0]["amount"] == "0.00"


def test_stops_waiting_for_approval_in_a_subtree(shop: TestClient, client_factory, db_kind):
    # Issue 7 / SPEC S9, P3: "every stop waiting for approval in my subtree".
    ok(shop.put("/v1/resellers/r1/settings", json={"stop_requires_approval_groups": ["gov"]}))
    ok(shop.post("/v1/customers", json={"id": "delta", "name": "Delta", "reseller": "r2",
                                        "group": "gov"}))
    ok(shop.post("/v1/subscriptions", json={"id": "d1", "customer": "delta", "plan": "basic",
                                            "resources": {"seats": 1}}))
    key = ok(shop.post("/v1/api-keys", json={"customer": "delta"}))["secret"]
    delta = client_factory(db_kind, key=key)
    asked = ok(delta.post("/v1/subscriptions/d1/operations", json={"type": "stop"}))
    assert asked["status"] == "waiting_for_approval"
    ok(shop.post("/v1/subscriptions/a1/operations", json={"type": "stop"}))  # no approval
    manager = client_factory(db_kind, key=ok(shop.post("/v1/api-keys",
                                                       json={"reseller": "r1"}))["secret"])
    waiting = ids(manager, "/v1/operations", status="waiting_for_approval")
    assert waiting == [asked["id"]]
    assert ids(shop, "/v1/operations", status="waiting_for_approval", customer="acme") == []
