"""Every list against every kind of caller (SPEC P2): a list answers exactly what the caller
may see — the operator everything, a reseller its subtree, a customer itself — and a wrong,
missing or revoked key is 401."""

from __future__ import annotations

import pytest

from tests.e2e.access_world import CUSTOMERS, PARTIES, RESELLERS, SEES, World, build
from tests.e2e.conftest import ClientFactory, error_of


@pytest.fixture
def world(client_factory: ClientFactory, db_kind: str) -> World:
    return build(client_factory, db_kind)


def _all(client, path: str) -> list[dict]:
    response = client.get(path + ("&" if "?" in path else "?") + "limit=100")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "list" and body["has_more"] is False
    return body["data"]


def _customers(party: str) -> set[str]:
    return SEES[party] & set(CUSTOMERS)


@pytest.mark.parametrize("party", PARTIES)
def test_each_list_answers_exactly_the_callers_scope(world: World, party: str):
    # SPEC P2: scope every read where data is loaded; a list never shows another's objects.
    client = world.clients[party]
    if party not in SEES:
        for path in ("/v1/customers", "/v1/subscriptions", "/v1/plans", "/v1/operations"):
            response = client.get(path)
            assert response.status_code == 401
            assert error_of(response)["type"] == "authentication_error"
        return
    customers = _customers(party)
    assert {c["id"] for c in _all(client, "/v1/customers")} == customers
    assert {r["id"] for r in _all(client, "/v1/resellers")} == SEES[party] & set(RESELLERS)
    assert {s["id"] for s in _all(client, "/v1/subscriptions")} == \
        {f"s-{c}" for c in customers}
    assert {(o["subscription"], o["type"]) for o in _all(client, "/v1/operations")} == \
        {(f"s-{c}", "purchase") for c in customers}
    assert {ln["customer"] for ln in _all(client, "/v1/charge-lines")} == customers
    assert {p["id"] for p in _all(client, "/v1/plans")} == {"basic", "premium"}
    assert {p["id"] for p in _all(client, "/v1/products")} == {"m365"}
    owners = {k["reseller"] or k["customer"] for k in _all(client, "/v1/api-keys")}
    expected = {"operator": {"nw", "nw-east", "c-east"}, "reseller": {"nw", "nw-east", "c-east"},
                "downstream": {"nw-east", "c-east"}, "customer": {"c-east"}}[party]
    assert owners == expected
    assert all("secret" not in k for k in _all(client, "/v1/api-keys"))


@pytest.mark.parametrize("party", ["reseller", "downstream", "customer"])
def test_a_filter_naming_another_scope_finds_nothing(world: World, party: str):
    # SPEC P2: filtering by a party outside the scope answers nothing, not its objects.
    client = world.clients[party]
    assert _all(client, "/v1/subscriptions?customer=c-other") == []
    assert _all(client, "/v1/customers?reseller=other") == []
    assert _all(client, "/v1/charge-lines?customer=c-direct") == []


def test_a_cursor_of_another_scope_is_refused_like_an_unknown_one(world: World):
    # SPEC P2 + issue 7: a starting_after not in the (scoped) list is 400, revealing nothing.
    client = world.clients["customer"]
    foreign = client.get("/v1/subscriptions", params={"starting_after": "s-c-other"})
    unknown = client.get("/v1/subscriptions", params={"starting_after": "s-nothing"})
    assert foreign.status_code == unknown.status_code == 400
    assert error_of(foreign)["code"] == error_of(unknown)["code"] == "invalid_cursor"
