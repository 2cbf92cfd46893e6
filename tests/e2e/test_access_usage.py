"""Usage import and consumption against every kind of caller (SPEC P2, B4): the operator all,
a reseller its subtree, a customer itself (and it reads only: usage is the vendor's data,
imported by managers); everything else 404 with the very body of an id that does not exist."""

from __future__ import annotations

import pytest

from tests.e2e.access_world import CUSTOMERS, PARTIES, SEES, World, build
from tests.e2e.conftest import ClientFactory
from tests.e2e.lifecycle import ok
from tests.e2e.usage_helpers import METERS, buy_payg, rec

READS = ["/v1/subscriptions/{sub}/consumption", "/v1/customers/{customer}/consumption"]


@pytest.fixture
def usage_world(client_factory: ClientFactory, db_kind: str) -> World:
    world = build(client_factory, db_kind)
    operator = world.operator
    ok(operator.post("/v1/products", json={"id": "azure", "name": "Azure"}))
    ok(operator.post("/v1/plans", json={
        "id": "azure-payg", "product": "azure", "name": "Azure Plan", "billing_type": "payg",
        "currency": "USD", "periods": [], "resources": METERS}))
    for cid in CUSTOMERS:
        buy_payg(operator, cid, f"az-{cid}")
        ok(operator.post(f"/v1/subscriptions/az-{cid}/usage",
                         json={"records": [rec("seed", "2024-08-20")]}))
    return world


def _path(template: str, cid: str) -> str:
    return template.format(sub=f"az-{cid}", customer=cid)


@pytest.mark.parametrize("party", PARTIES)
def test_consumption_reads(usage_world: World, party: str) -> None:
    # SPEC P2: scoped like every read; out of scope is the 404 of a missing id
    client = usage_world.clients[party]
    for template in READS:
        for cid in CUSTOMERS:
            response = client.get(_path(template, cid))
            if party not in SEES:
                assert response.status_code == 401, (party, template)
            elif cid in SEES[party]:
                assert response.status_code == 200, (party, template, cid, response.text)
                assert len(response.json()["data"]) == 1
            else:
                assert response.status_code == 404, (party, template, cid)
                ghost = usage_world.operator.get(_path(template, "ghost"))
                assert response.content.replace(cid.encode(), b"ID") == \
                    ghost.content.replace(b"ghost", b"ID"), (party, template, cid)


@pytest.mark.parametrize("party", PARTIES)
def test_who_imports(usage_world: World, party: str) -> None:
    # SPEC P2 + B4: managers import for the customers of their scope; a customer never
    # (404, even its own); another tenant's subscription is 404 and stores nothing
    client = usage_world.clients[party]
    for cid in CUSTOMERS:
        response = client.post(f"/v1/subscriptions/az-{cid}/usage",
                               json={"records": [rec(f"by-{party}", "2024-08-20")]})
        if party not in SEES:
            assert response.status_code == 401, (party, cid)
            continue
        allowed = cid in SEES[party] and party != "customer"
        assert response.status_code == (200 if allowed else 404), (party, cid, response.text)
        rows = ok(usage_world.operator.get(f"/v1/subscriptions/az-{cid}/consumption"))["data"]
        assert rows[0]["records"] == (2 if allowed else 1), (party, cid)


def test_unknown_subscription_body_matches(usage_world: World) -> None:
    reseller = usage_world.clients["reseller"]
    foreign = reseller.post("/v1/subscriptions/az-c-other/usage",
                            json={"records": [rec("x", "2024-08-20")]})
    ghost = reseller.post("/v1/subscriptions/ghost/usage",
                          json={"records": [rec("x", "2024-08-20")]})
    assert foreign.status_code == ghost.status_code == 404
    assert foreign.content.replace(b"az-c-other", b"ID") == ghost.content.replace(b"ghost", b"ID")
