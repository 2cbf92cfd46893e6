"""Every endpoint against every kind of caller (SPEC P2): the operator sees everything, a
reseller its subtree, a downstream reseller its own smaller subtree, a customer itself; a
wrong, missing or revoked key is 401. Anything out of scope is 404, never 403, and its 404 is
byte for byte the 404 of an id that does not exist (apart from the id): nothing out of scope
is revealed, not even its existence."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.e2e.access_world import CUSTOMERS, PARTIES, RESELLERS, SEES, World, build
from tests.e2e.conftest import ClientFactory, error_of

# (path template, kind of record the id names)
READS = [
    ("/v1/customers/{}", "customer"), ("/v1/customers/{}/charges", "customer"),
    ("/v1/customers/{}/upcoming?until=2024-10-01", "customer"),  # issue 7
    ("/v1/resellers/{}", "reseller"), ("/v1/resellers/{}/settings", "reseller"),
    ("/v1/subscriptions/s-{}", "subscription"),
    ("/v1/subscriptions/s-{}/operations", "subscription"),
    ("/v1/subscriptions/s-{}/recommendations", "subscription"),
]
OPERATOR_ONLY = [
    ("post", "/v1/products", {"name": "X"}),
    ("post", "/v1/plans", seats_body := {"product": "m365", "name": "X",
                                         "billing_type": "monthly"}),
    ("patch", "/v1/plans/basic", {"name": "Renamed"}),
    ("post", "/v1/exchange-rates", {"from": "EUR", "to": "USD", "rate": "1.1",
                                    "effective_from": "2024-01-01"}),
    ("put", "/v1/settings/company-names", {"forbidden_characters": ["@"]}),
    ("get", "/v1/settings/company-names", None),
    ("post", "/v1/restrictions", {"inn": "7701"}),
    ("get", "/v1/restrictions", None),
    ("delete", "/v1/restrictions/nothing", None),
    ("get", "/v1/test/clock", None),
    ("post", "/v1/test/clock", {"date": "2024-08-21"}),
    ("get", "/v1/connectors", None),
    ("post", "/v1/test/worker", {}),
]


@pytest.fixture
def world(client_factory: ClientFactory, db_kind: str) -> World:
    return build(client_factory, db_kind)


def _owner(record: str) -> str:
    return record


def _records(kind: str) -> list[str]:
    return list(RESELLERS) if kind == "reseller" else list(CUSTOMERS)


def _call(client: TestClient, method: str, path: str, body: object) -> object:
    return client.request(method.upper(), path, json=body) if body is not None else \
        client.request(method.upper(), path)


@pytest.mark.parametrize("party", PARTIES)
def test_reads(world: World, party: str) -> None:
    # SPEC P2: who sees what; 404 for the rest, identical to a nonexistent id's
    client = world.clients[party]
    for template, kind in READS:
        for record in _records("reseller" if kind == "reseller" else "customer"):
            response = client.get(template.format(record))
            if party not in SEES:
                assert response.status_code == 401, (party, template, record)
                continue
            if record in SEES[party]:
                assert response.status_code == 200, (party, template, record, response.text)
                continue
            assert response.status_code == 404, (party, template, record, response.text)
            ghost = world.operator.get(template.format("ghost"))
            assert ghost.status_code == 404
            assert response.content.replace(record.encode(), b"ID") == \
                ghost.content.replace(b"ghost", b"ID"), (party, template, record)


@pytest.mark.parametrize("party", ["reseller", "downstream", "customer"])
def test_operator_only_endpoints_answer_like_unknown_routes(world: World, party: str) -> None:
    # SPEC P2: catalog, rates, name rules, restriction lists and the clock are the operator's
    unknown = world.clients[party].get("/v1/no-such-route")
    for method, path, body in OPERATOR_ONLY:
        response = _call(world.clients[party], method, path, body)
        assert response.status_code == 404, (party, method, path, response.text)
        assert response.json() == unknown.json(), (method, path)
    for method, path, body in OPERATOR_ONLY:
        if path.startswith("/v1/test/clock") or path.startswith("/v1/restrictions/"):
            continue
        assert _call(world.operator, method, path, body).status_code == 200, (method, path)


@pytest.mark.parametrize("party", ["wrong", "none", "revoked"])
def test_bad_credentials_write_nothing(world: World, party: str) -> None:
    client = world.clients[party]
    for method, path, body in [*OPERATOR_ONLY, ("post", "/v1/customers", {"name": "Z"}),
                               ("post", "/v1/api-keys", {"customer": "c-east"}),
                               ("post", "/v1/users", {"email": "a@b.cd", "password": "x" * 9})]:
        response = _call(client, method, path, body)
        assert response.status_code == 401, (party, method, path)
        code = "authentication_required" if party == "none" else "invalid_api_key"
        assert error_of(response)["code"] == code


# (party, parent or owner it names, expected status) for creating parties below someone
CREATES = [
    ("operator", "nw-east", 200), ("operator", None, 200),
    ("reseller", "nw-east", 200), ("reseller", None, 200), ("reseller", "other", 404),
    ("downstream", "nw", 404), ("downstream", "nw-east", 200), ("downstream", None, 200),
    ("customer", None, 404), ("customer", "nw-east", 404),
]


@pytest.mark.parametrize(("party", "under", "status"), CREATES)
def test_who_creates_customers_and_resellers_where(world: World, party: str, under: str | None,
                                                   status: int) -> None:
    # SPEC P2: resellers create parties only in their own subtree; customers create none
    client = world.clients[party]
    customer = client.post("/v1/customers", json={"name": "New Co", "reseller": under})
    reseller = client.post("/v1/resellers", json={"name": "New Re", "parent": under})
    assert (customer.status_code, reseller.status_code) == (status, status)
    if status == 200 and party != "operator":
        # A reseller's new parties hang below itself when it names nobody.
        expected = under or {"reseller": "nw", "downstream": "nw-east"}[party]
        assert customer.json()["reseller"] == expected
        assert reseller.json()["parent"] == expected


@pytest.mark.parametrize(("party", "target", "status"), [
    ("operator", {"reseller": "other"}, 200), ("operator", {}, 200),
    ("reseller", {"reseller": "nw"}, 200), ("reseller", {"reseller": "nw-east"}, 200),
    ("reseller", {"customer": "c-east"}, 200), ("reseller", {"customer": "c-other"}, 404),
    ("downstream", {"reseller": "nw"}, 404), ("downstream", {"customer": "c-nw"}, 404),
    ("customer", {"customer": "c-east"}, 200), ("customer", {}, 200),
    ("customer", {"customer": "c-nw"}, 404), ("customer", {"reseller": "nw-east"}, 404),
])
def test_who_creates_keys_and_users_for_whom(world: World, party: str, target: dict[str, str],
                                             status: int) -> None:
    # SPEC P2: the operator for anyone, a reseller for its subtree, a customer for itself
    client = world.clients[party]
    key = client.post("/v1/api-keys", json=target)
    user = client.post("/v1/users", json={**target, "email": f"{party}-{len(target)}@x.io",
                                          "password": "correct horse"})
    assert (key.status_code, user.status_code) == (status, status), (key.text, user.text)
    if status == 200:
        created = TestClient(client.app)
        created.headers["Authorization"] = f"Bearer {key.json()['secret']}"
        assert created.get("/v1/customers/ghost").status_code == 404  # a working key


@pytest.mark.parametrize(("party", "customer", "status"), [
    ("operator", "c-other", 200), ("reseller", "c-east", 200), ("reseller", "c-other", 404),
    ("downstream", "c-nw", 404), ("downstream", "c-east", 200), ("customer", "c-east", 200),
    ("customer", "c-nw", 404),
])
def test_who_orders_for_whom(world: World, party: str, customer: str, status: int) -> None:
    # SPEC P2: subscriptions only for customers in scope
    response = world.clients[party].post("/v1/subscriptions", json={
        "customer": customer, "plan": "basic", "resources": {"seats": 1}})
    assert response.status_code == status, response.text


@pytest.mark.parametrize("party", ["operator", "reseller", "downstream", "customer"])
def test_operations_and_renames_follow_scope(world: World, party: str) -> None:
    # SPEC P2: writes on records out of scope are 404 like reads
    client = world.clients[party]
    for cid in CUSTOMERS:
        visible = cid in SEES[party]
        change = client.post(f"/v1/subscriptions/s-{cid}/operations", json={
            "type": "change_resources", "resources": {"seats": 3}, "preview": True})
        rename = client.patch(f"/v1/customers/{cid}", json={"name": f"{cid} renamed"})
        auto = client.patch(f"/v1/subscriptions/s-{cid}", json={"auto_renew": False})
        for response in (change, rename, auto):
            assert response.status_code == (200 if visible else 404), (cid, response.text)
    for rid in RESELLERS:
        response = client.patch(f"/v1/resellers/{rid}", json={"name": f"{rid} renamed"})
        assert response.status_code == (200 if rid in SEES[party] else 404)


def test_group_stop_approval_is_the_managers(world: World) -> None:
    # SPEC P3 + S9: nw asks approval for its "vip" customers' stops; approve is managers'
    reseller, customer = world.clients["reseller"], world.clients["customer"]
    assert reseller.put("/v1/resellers/nw/settings",
                        json={"stop_requires_approval_groups": ["vip"]}).status_code == 200
    assert reseller.patch("/v1/customers/c-east", json={"group": "vip"}).status_code == 200
    stop = customer.post("/v1/subscriptions/s-c-east/operations", json={"type": "stop"})
    assert stop.json()["status"] == "waiting_for_approval", stop.text
    response = customer.post("/v1/subscriptions/s-c-east/operations", json={"type": "approve"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "managers_only"
    approved = world.clients["downstream"].post("/v1/subscriptions/s-c-east/operations",
                                                json={"type": "approve"})
    assert approved.status_code == 200, approved.text
    assert customer.get("/v1/subscriptions/s-c-east").json()["status"] == "stopped"
    # c-nw is not in the group: its stop needs no approval
    other = reseller.post("/v1/subscriptions/s-c-nw/operations", json={"type": "stop"})
    assert other.json()["status"] == "completed"


@pytest.mark.parametrize(("party", "key_of", "status"), [
    ("operator", "customer", 200), ("reseller", "downstream", 200),
    ("downstream", "reseller", 404), ("customer", "downstream", 404),
])
def test_who_revokes_which_key(client_factory: ClientFactory, db_kind: str, party: str,
                               key_of: str, status: int) -> None:
    world = build(client_factory, db_kind)
    owner = {"customer": {"customer": "c-east"}, "downstream": {"reseller": "nw-east"},
             "reseller": {"reseller": "nw"}}[key_of]
    key = world.operator.post("/v1/api-keys", json=owner).json()
    response = world.clients[party].delete(f"/v1/api-keys/{key['id']}")
    assert response.status_code == status
    user = client_factory(db_kind, key=key["secret"])
    assert user.get("/v1/customers/ghost").status_code == (401 if status == 200 else 404)


@pytest.mark.parametrize(("party", "path", "field"), [
    ("customer", "/v1/customers/c-east", "credit_limit"),
    ("customer", "/v1/customers/c-east", "inn"), ("customer", "/v1/customers/c-east", "group"),
    ("downstream", "/v1/resellers/nw-east", "inn"),
])
def test_parties_rename_themselves_but_not_their_rules(world: World, party: str, path: str,
                                                       field: str) -> None:
    # SPEC P2/P6: an INN, group or credit limit is set from above, not by the party itself
    client = world.clients[party]
    value = "100.00" if field == "credit_limit" else "X1"
    response = client.patch(path, json={field: value})
    assert (response.status_code, error_of(response)["code"]) == (400, "not_editable")
    assert client.patch(path, json={"name": "Renamed"}).status_code == 200
    assert world.clients["reseller"].patch(path, json={field: value}).status_code == 200
