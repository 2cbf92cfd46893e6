"""Notifications against every kind of caller (SPEC P2): events, webhook endpoints, their
delivery logs and templates are seen in the caller's scope only; an endpoint of one reseller
never receives another tree's events; anything out of scope is 404, never 403."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from fastapi.testclient import TestClient

from tests.e2e.access_world import CUSTOMERS, PARTIES, SEES, World, build
from tests.e2e.conftest import ClientFactory, error_of
from tests.e2e.lifecycle import ok, op
from tests.e2e.notifying import all_events, worker_round
from tests.receivers import webhook_receiver

ENDPOINT_OWNERS = {"ep-op": None, "ep-nw": "nw", "ep-east": "nw-east", "ep-other": "other"}
# Which customers' events each endpoint receives: its owner's subtree (P2).
RECEIVES = {"ep-op": set(CUSTOMERS), "ep-nw": {"c-nw", "c-east"}, "ep-east": {"c-east"},
            "ep-other": {"c-other"}}
SEES_ENDPOINTS = {"operator": set(ENDPOINT_OWNERS), "reseller": {"ep-nw", "ep-east"},
                  "downstream": {"ep-east"}, "customer": set()}


@pytest.fixture
def world(client_factory: ClientFactory, db_kind: str) -> World:
    world = build(client_factory, db_kind)
    for cid in CUSTOMERS:
        ok(op(world.operator, {"type": "stop"}, sub=f"s-{cid}"))
    return world


@pytest.mark.parametrize("party", PARTIES)
def test_events_in_scope(world: World, party: str) -> None:
    client = world.clients[party]
    if party in ("wrong", "none", "revoked"):
        assert client.get("/v1/events").status_code == 401
        return
    every = all_events(world.operator, type="subscription_stopped")
    assert {e["customer"] for e in every} == set(CUSTOMERS)
    mine = all_events(client, type="subscription_stopped")
    assert {e["customer"] for e in mine} == SEES[party] & set(CUSTOMERS)
    for event in every:
        response = client.get(f"/v1/events/{event['id']}")
        if event["customer"] in SEES[party]:
            assert response.json() == event
        else:
            assert response.status_code == 404
            assert error_of(response)["code"] == "resource_missing"
    assert all_events(client, customer="c-other") == (
        [e for e in every if e["customer"] == "c-other"] if "c-other" in SEES[party] else [])
    foreign = [e for e in every if e["customer"] not in SEES[party]]
    if foreign:  # a cursor naming another tenant's event is refused like an unknown one
        response = client.get("/v1/events", params={"starting_after": foreign[0]["id"]})
        unknown = client.get("/v1/events", params={"starting_after": "evt_nope"})
        assert response.status_code == unknown.status_code == 400
        assert ((error_of(response)["code"], error_of(response)["param"])
                == (error_of(unknown)["code"], error_of(unknown)["param"])
                == ("invalid_cursor", "starting_after"))


def _endpoints(world: World, receivers: dict[str, str]) -> None:
    for eid, owner in ENDPOINT_OWNERS.items():
        ok(world.operator.post("/v1/webhook-endpoints", json={
            "id": eid, "url": receivers[eid], "reseller": owner}))


@pytest.mark.parametrize("party", ["operator", "reseller", "downstream", "customer"])
def test_endpoints_and_their_logs_in_scope(world: World, party: str) -> None:
    _endpoints(world, {eid: f"http://127.0.0.1:9/{eid}" for eid in ENDPOINT_OWNERS})
    client = world.clients[party]
    listed = client.get("/v1/webhook-endpoints")
    if party == "customer":
        assert listed.status_code == 404
    else:
        assert {e["id"] for e in ok(listed)["data"]} == SEES_ENDPOINTS[party]
    for eid in ENDPOINT_OWNERS:
        for path in (f"/v1/webhook-endpoints/{eid}", f"/v1/webhook-endpoints/{eid}/deliveries"):
            expected = 200 if eid in SEES_ENDPOINTS[party] else 404
            assert client.get(path).status_code == expected, (party, path)
        patched = client.patch(f"/v1/webhook-endpoints/{eid}", json={"description": "x"})
        assert patched.status_code == (200 if eid in SEES_ENDPOINTS[party] else 404)


def test_each_endpoint_receives_only_its_owners_subtree(world: World) -> None:
    # SPEC P2 + R3: tenancy of delivery, not only of reading.
    with webhook_receiver() as receiver:
        _endpoints(world, {eid: f"{receiver.url}/{eid}" for eid in ENDPOINT_OWNERS})
        for cid in CUSTOMERS:
            ok(op(world.operator, {"type": "activate"}, sub=f"s-{cid}"))
            ok(op(world.operator, {"type": "delete"}, sub=f"s-{cid}"))
        worker_round(world.operator)
        got: dict[str, set[str]] = defaultdict(set)
        for request in receiver.requests:
            got[request.path.rsplit("/", 1)[1]].add(json.loads(request.body)["data"]["customer"])
    assert dict(got) == RECEIVES
    logs = ok(world.clients["downstream"].get("/v1/webhook-endpoints/ep-east/deliveries"))
    assert {d["status"] for d in logs["data"]} == {"succeeded"} and len(logs["data"]) == 1


def test_managers_create_endpoints_and_templates_only_in_their_subtree(world: World) -> None:
    reseller, downstream = world.clients["reseller"], world.clients["downstream"]
    url = "http://127.0.0.1:9/x"
    own = ok(reseller.post("/v1/webhook-endpoints", json={"url": url}))
    assert own["reseller"] == "nw"
    below = ok(reseller.post("/v1/webhook-endpoints", json={"url": url, "reseller": "nw-east"}))
    assert below["reseller"] == "nw-east"
    for client, foreign in ((reseller, "other"), (downstream, "nw")):
        refused = client.post("/v1/webhook-endpoints", json={"url": url, "reseller": foreign})
        assert (refused.status_code, error_of(refused)["param"]) == (404, "reseller")
        assert client.get("/v1/templates/subscription_expiring",
                          params={"reseller": foreign}).status_code == 404
        assert client.put("/v1/templates/subscription_expiring", json={
            "subject": "a", "body": "b", "reseller": foreign}).status_code == 404
    customer = world.clients["customer"]
    assert customer.post("/v1/webhook-endpoints", json={"url": url}).status_code == 404
    preview = downstream.post("/v1/templates/subscription_stopped/preview",
                              json={"subscription": "s-c-nw"})
    assert preview.status_code == 404  # not its subscription
    for party in ("reseller", "downstream", "customer"):
        client = world.clients[party]
        assert client.get("/v1/settings/webhooks").status_code == 404
        assert client.put("/v1/settings/webhooks",
                          json={"block_private_networks": True}).status_code == 404


def test_anonymous_callers_learn_nothing(world: World) -> None:
    for party in ("wrong", "none", "revoked"):
        client: TestClient = world.clients[party]
        for path in ("/v1/webhook-endpoints", "/v1/templates", "/v1/events/evt_x"):
            assert client.get(path).status_code == 401
