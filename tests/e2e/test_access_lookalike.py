"""The access matrix for ids that look alike (SPEC P2): resellers whose ids differ only in
letter case, or hold LIKE wildcards (`%`, `_`), are separate tenants on both databases. On
SQLite a `LIKE` subtree test once let `NORTHWIND` read and change all of `northwind`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import ClientFactory
from tests.e2e.lifecycle import ok, seats_plan

# Each id is its own tenant: "NORTHWIND" and "NorthWind" equal "northwind" under ASCII case
# folding, "north_ind" and "n_" match it as LIKE patterns. Ids cannot hold `%` (refused with
# invalid_id), and an id's `_` is escaped in any pattern; the test holds either way.
TENANTS = ["northwind", "NORTHWIND", "NorthWind", "north_ind", "n_", "N_", "n.rthwind"]


def _cid(rid: str) -> str:
    return f"c.{rid.encode().hex()}"


@pytest.fixture
def lookalikes(client_factory: ClientFactory, db_kind: str) -> dict[str, TestClient]:
    api = client_factory(db_kind)
    ok(api.post("/v1/products", json={"id": "m365", "name": "Microsoft 365"}))
    ok(api.post("/v1/plans", json=seats_plan("basic", "monthly", "6.00")))
    clients = {}
    for rid in TENANTS:
        ok(api.post("/v1/resellers", json={"id": rid, "name": f"R {rid}"}))
        ok(api.post("/v1/customers", json={"id": _cid(rid), "name": f"C {rid}",
                                           "reseller": rid}))
        ok(api.post("/v1/subscriptions", json={"id": f"s-{_cid(rid)}", "customer": _cid(rid),
                                               "plan": "basic", "resources": {"seats": 1}}))
        secret = ok(api.post("/v1/api-keys", json={"reseller": rid}))["secret"]
        clients[rid] = client_factory(db_kind, key=secret)
    return clients


def test_lookalike_resellers_see_only_their_own_subtree(
        lookalikes: dict[str, TestClient]) -> None:
    # SPEC P2: the subtree test is exact (case and wildcards included) on both databases
    for me, client in lookalikes.items():
        for other in TENANTS:
            expected = 200 if other == me else 404
            for path in (f"/v1/customers/{_cid(other)}", f"/v1/subscriptions/s-{_cid(other)}",
                         f"/v1/customers/{_cid(other)}/charges"):
                assert client.get(path).status_code == expected, (me, other, path)
            path = f"/v1/resellers/{other}/settings"
            assert client.get(path).status_code == expected, (me, other, path)


def test_lookalike_reseller_cannot_create_under_another(
        lookalikes: dict[str, TestClient]) -> None:
    # SPEC P2: writes are scoped like reads
    response = lookalikes["NORTHWIND"].post(
        "/v1/customers", json={"name": "Sneak", "reseller": "northwind"})
    assert response.status_code == 404, response.text
    response = lookalikes["north_ind"].post(
        "/v1/resellers", json={"name": "Sneak", "parent": "northwind"})
    assert response.status_code == 404, response.text


def test_ids_with_like_wildcards_are_refused(client_factory: ClientFactory, db_kind: str) -> None:
    # SPEC P2: `%` never reaches a stored path
    api = client_factory(db_kind)
    response = api.post("/v1/resellers", json={"id": "n%", "name": "Wild"})
    assert response.status_code == 400 and "invalid_id" in response.text
