"""A small world for the panel tests, made through the API with the operator key: a reseller
tree, two customers, people who sign in for each party, and a plan pair seed 004 can show
(a primary resource, additional resources with equal priority, ERP prices).

    operator ── nw ── acme (sub "s-acme": basic, 5 seats)
             └─ other ── rival (sub "s-rival")
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.e2e.lifecycle import ok

PASSWORD = "correct horse battery"
USERS = {"customer": ("ann@acme.test", {"customer": "acme"}),
         "rival": ("rob@rival.test", {"customer": "rival"}),
         "reseller": ("rita@nw.test", {"reseller": "nw"}),
         "operator": ("olga@op.test", {})}
_CSRF = re.compile(r'name="csrf" value="([^"]*)"')
_OPS = re.compile(r'data-op="([a-z_]+)"')


def plan(plan_id: str, price: str, *, switch_to: list[dict[str, str]] | None = None,
         settings: dict[str, Any] | None = None, billing_type: str = "monthly") -> dict[str, Any]:
    return {"id": plan_id, "product": "m365", "name": plan_id.replace("-", " ").title(),
            "billing_type": billing_type, "currency": "USD", "periods": ["P1Y"],
            "resources": [
                {"id": "seats", "name": "Licenses", "primary": True, "priority": 0,
                 "included": 0, "min": 1, "max": 50, "price": price, "setup_price": "0",
                 "erp_price": "7.20"},
                {"id": "storage", "name": "Storage GB", "priority": 1, "included": 10,
                 "min": 0, "max": 1000, "price": "0.10", "setup_price": "0"},
                {"id": "archive", "name": "Archive", "priority": 1, "included": 0,
                 "min": 0, "max": 5, "price": "2.00", "setup_price": "0"}],
            "switch_to": switch_to or [], "settings": settings or {}}


def build(api: TestClient, **settings: Any) -> None:
    ok(api.post("/v1/products", json={"id": "m365", "name": "Microsoft 365"}))
    ok(api.post("/v1/plans", json=plan("basic", "6.00", settings=settings, switch_to=[
        {"plan": "premium", "kind": "upgrade"}])))
    ok(api.post("/v1/plans", json=plan("premium", "9.00")))
    for rid in ("nw", "other"):
        ok(api.post("/v1/resellers", json={"id": rid, "name": rid.upper()}))
    for cid, reseller in (("acme", "nw"), ("rival", "other")):
        ok(api.post("/v1/customers", json={"id": cid, "name": cid.title() + " Ltd",
                                           "reseller": reseller}))
        ok(api.post("/v1/subscriptions", json={"id": f"s-{cid}", "customer": cid,
                                               "plan": "basic",
                                               "resources": {"seats": 5}}))
    for email, owner in USERS.values():
        ok(api.post("/v1/users", json={"email": email, "password": PASSWORD, **owner}))


def csrf(html: str) -> str:
    found = _CSRF.search(html)
    assert found, html[:500]
    return found.group(1)


def offered(html: str) -> set[str]:
    """The operations the page offers: every control carries data-op."""
    return set(_OPS.findall(html))


def sign_in(client: TestClient, who: str) -> TestClient:
    email, _ = USERS[who]
    page = client.get("/panel/login")
    response = client.post("/panel/login", data={"csrf": csrf(page.text), "email": email,
                                                 "password": PASSWORD},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def post_form(client: TestClient, url: str, data: dict[str, Any], page_url: str) -> Any:
    """A form post with the CSRF token of the page the form is on."""
    token = csrf(client.get(page_url).text)
    return client.post(url, data={"csrf": token, **data}, follow_redirects=False)
