"""Ids do not reveal other tenants' objects (SPEC P2, docs/design/security.md): ids are one
global namespace, so only the operator, whose scope is that whole namespace, chooses them. A
reseller's or customer's `id` is refused alike whether another tenant holds it or nobody
does; without one the server assigns a random id."""

from __future__ import annotations

import pytest

from tests.e2e.access_world import World, build
from tests.e2e.conftest import ClientFactory, error_of
from tests.e2e.lifecycle import ok

# (path, body without id, an id another tenant holds)
CREATES = [
    ("/v1/customers", {"name": "New Co", "reseller": "nw"}, "c-other"),
    ("/v1/resellers", {"name": "New Re", "parent": "nw"}, "other"),
    ("/v1/subscriptions", {"customer": "c-nw", "plan": "basic", "resources": {"seats": 1}},
     "s-c-other"),
    ("/v1/api-keys", {"reseller": "nw"}, None),
    ("/v1/webhook-endpoints", {"url": "http://127.0.0.1:9/hook"}, None),
]


@pytest.fixture
def world(client_factory: ClientFactory, db_kind: str) -> World:
    w = build(client_factory, db_kind)
    # a key and an endpoint of the other tenant, so their ids are taken
    other = ok(w.operator.post("/v1/api-keys", json={"id": "key-other", "reseller": "other"}))
    assert other["id"] == "key-other"
    ok(w.operator.post("/v1/webhook-endpoints", json={"id": "we-other", "reseller": "other",
                                                      "url": "http://127.0.0.1:9/o"}))
    return w


@pytest.mark.parametrize("path, body, taken", CREATES)
def test_taken_and_free_ids_answer_alike(world: World, path: str, body: dict,
                                         taken: str | None) -> None:
    # SPEC P2: a reseller learns nothing from an id: taken elsewhere or free, the same 400
    taken = taken or {"/v1/api-keys": "key-other"}.get(path, "we-other")
    reseller = world.clients["reseller"]
    answers = [reseller.post(path, json={**body, "id": ident}) for ident in (taken, "free-id")]
    assert [a.status_code for a in answers] == [400, 400]
    assert [error_of(a)["code"] for a in answers] == ["id_not_allowed"] * 2
    assert answers[0].content == answers[1].content
    made = ok(reseller.post(path, json=body))
    assert made["id"] not in (taken, "free-id")


def test_operator_chooses_ids(world: World) -> None:
    # SPEC P2: the operator's scope is the whole namespace; a taken id is its own 409
    taken = world.operator.post("/v1/customers", json={"id": "c-other", "name": "X"})
    assert taken.status_code == 409
    assert ok(world.operator.post("/v1/customers", json={"id": "c-new", "name": "X"}))[
        "id"] == "c-new"
