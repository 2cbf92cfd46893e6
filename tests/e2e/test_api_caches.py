"""What a process keeps between requests never outlives a change made by another (issue 13):
a revoked key or an ended session is refused on the very next request, and an edited plan is
used by the next request, in every process. "Another process" is a second app on its own
`Database` (own pool, own plan cache) over the same database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient

from prorata.adapters.db import Database
from prorata.api import create_app
from prorata.domain.clock import TestClock
from tests.dbfixtures import MigratedDatabases
from tests.e2e.conftest import OPERATOR_KEY, START, ClientFactory
from tests.e2e.lifecycle import ok, seats_plan, setup


@pytest.fixture
def other_process(client_factory: ClientFactory, e2e_databases: MigratedDatabases,
                  db_kind: str) -> Iterator[tuple[TestClient, Database]]:
    """(a client without a key, its Database) of a second app on the test's database."""
    client_factory(db_kind)  # empties the database first
    database = Database(e2e_databases.get(db_kind).url)
    app = create_app(database, TestClock(date.fromisoformat(START)), OPERATOR_KEY, True)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client, database
    finally:
        database.dispose()


def as_(client: TestClient, secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_revoked_key_is_refused_on_the_next_request_everywhere(
        client_factory: ClientFactory, db_kind: str,
        other_process: tuple[TestClient, Database]) -> None:
    # SPEC P2: a revoked key gives no access; issue 13: no process may still honour it
    api, (other, _) = client_factory(db_kind), other_process
    ok(api.post("/v1/resellers", json={"id": "r1", "name": "North"}))
    key = ok(api.post("/v1/api-keys", json={"id": "k1", "reseller": "r1"}))
    for _ in range(3):  # both processes have served this key
        assert other.get("/v1/resellers/r1", headers=as_(other, key["secret"])).status_code == 200
        assert api.get("/v1/resellers/r1", headers=as_(api, key["secret"])).status_code == 200
    ok(api.delete("/v1/api-keys/k1"))
    assert other.get("/v1/resellers/r1", headers=as_(other, key["secret"])).status_code == 401
    assert api.get("/v1/resellers/r1", headers=as_(api, key["secret"])).status_code == 401


def test_logout_is_seen_on_the_next_request_everywhere(
        client_factory: ClientFactory, db_kind: str,
        other_process: tuple[TestClient, Database]) -> None:
    # SPEC P2: a session ends at logout; issue 13: in every process at once
    api, (other, _) = client_factory(db_kind), other_process
    ok(api.post("/v1/resellers", json={"id": "r1", "name": "North"}))
    ok(api.post("/v1/users", json={"email": "ann@example.com", "password": "correct horse",
                                   "reseller": "r1"}))
    anonymous = client_factory(db_kind, key=None)
    token = ok(anonymous.post("/v1/login", json={"email": "ann@example.com",
                                                 "password": "correct horse"}))["token"]
    for _ in range(3):
        assert other.get("/v1/resellers/r1", headers=as_(other, token)).status_code == 200
    ok(api.post("/v1/logout", headers=as_(api, token)))
    assert other.get("/v1/resellers/r1", headers=as_(other, token)).status_code == 401
    assert api.get("/v1/resellers/r1", headers=as_(api, token)).status_code == 401


def test_edited_plan_is_used_by_the_next_request_everywhere(
        client_factory: ClientFactory, db_kind: str,
        other_process: tuple[TestClient, Database]) -> None:
    # SPEC C1 (plan prices): an edit applies from the next request; issue 13: plans are cached
    # per (id, version) in each process, and the version is read on every request
    api, (other, other_db) = client_factory(db_kind), other_process
    setup(api, seats_plan("basic", "monthly", "6.00"))
    other.headers.update(as_(other, OPERATOR_KEY))
    price = lambda: other.get("/v1/plans/basic").json()["resources"][0]["price"]  # noqa: E731
    assert price() == "6.00"
    assert price() == "6.00"
    assert other_db.plans.held("basic") is not None  # the second process holds it
    ok(api.patch("/v1/plans/basic", json={"resources": [{"id": "seats", "price": "7.50"}]}))
    assert price() == "7.50"
    ok(api.patch("/v1/plans/basic", json={"resources": [{"id": "seats", "price": "8.25"}]}))
    assert price() == "8.25"
    assert api.get("/v1/plans/basic").json()["resources"][0]["price"] == "8.25"
