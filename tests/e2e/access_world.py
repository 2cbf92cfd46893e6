"""A small world for access tests (SPEC P1, P2): two reseller trees, customers at every level,
a subscription each, and a client per kind of caller.

    operator ── nw ── nw-east ── c-east
             │     └─ c-nw
             ├─ other ── c-other
             └─ c-direct
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient

from tests.e2e.conftest import ClientFactory
from tests.e2e.lifecycle import ok, seats_plan

RESELLERS = {"nw": None, "nw-east": "nw", "other": None}
CUSTOMERS = {"c-nw": "nw", "c-east": "nw-east", "c-other": "other", "c-direct": None}
# What each party may see (SPEC P2): the operator all, a reseller its subtree, a customer itself.
SEES = {
    "operator": set(RESELLERS) | set(CUSTOMERS),
    "reseller": {"nw", "nw-east", "c-nw", "c-east"},
    "downstream": {"nw-east", "c-east"},
    "customer": {"c-east"},
}
PARTIES = [*SEES, "wrong", "none", "revoked"]


@dataclass
class World:
    operator: TestClient
    clients: dict[str, TestClient]


def build(client_factory: ClientFactory, db_kind: str) -> World:
    api = client_factory(db_kind)
    ok(api.post("/v1/products", json={"id": "m365", "name": "Microsoft 365"}))
    ok(api.post("/v1/plans", json=seats_plan("basic", "monthly", "6.00", switch_to=[
        {"plan": "premium", "kind": "upgrade"}])))
    ok(api.post("/v1/plans", json=seats_plan("premium", "monthly", "9.00")))
    for rid, parent in RESELLERS.items():
        ok(api.post("/v1/resellers", json={"id": rid, "name": rid.upper(), "parent": parent}))
    for cid, reseller in CUSTOMERS.items():
        ok(api.post("/v1/customers", json={"id": cid, "name": cid.upper(), "reseller": reseller}))
        ok(api.post("/v1/subscriptions", json={"id": f"s-{cid}", "customer": cid,
                                               "plan": "basic", "resources": {"seats": 2}}))
    secrets = {
        "reseller": ok(api.post("/v1/api-keys", json={"reseller": "nw"}))["secret"],
        "downstream": ok(api.post("/v1/api-keys", json={"reseller": "nw-east"}))["secret"],
        "customer": ok(api.post("/v1/api-keys", json={"customer": "c-east"}))["secret"],
        "wrong": "prk_not-a-key",
    }
    revoked = ok(api.post("/v1/api-keys", json={"customer": "c-east"}))
    ok(api.delete(f"/v1/api-keys/{revoked['id']}"))
    secrets["revoked"] = revoked["secret"]
    clients = {"operator": api, "none": client_factory(db_kind, key=None)}
    for party, secret in secrets.items():
        clients[party] = client_factory(db_kind, key=secret)
    return World(api, clients)
