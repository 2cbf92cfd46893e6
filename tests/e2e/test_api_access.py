"""API keys, users, sessions (SPEC P2) and the operator's and resellers' rules over HTTP:
company names (P5), restriction lists (P6), delegated settings (P3), order attributes (P7)."""

from __future__ import annotations

from sqlalchemy import text

from tests.e2e.access_world import World, build
from tests.e2e.conftest import ClientFactory, error_of
from tests.e2e.lifecycle import clock, ok, seats_plan


def test_key_secret_is_shown_once_and_stored_as_a_hash(client_factory: ClientFactory,
                                                       db_kind: str) -> None:
    # SPEC P2: keys belong to one party; the database keeps no usable secret
    world = build(client_factory, db_kind)
    key = ok(world.operator.post("/v1/api-keys", json={"id": "k1", "reseller": "nw"}))
    assert key["secret"].startswith("prk_") and key["reseller"] == "nw"
    with world.operator.app.state.database.engine.connect() as conn:  # type: ignore[attr-defined]
        stored = conn.execute(text("SELECT secret_hash FROM api_keys WHERE id = 'k1'")).scalar()
    assert stored != key["secret"] and key["secret"] not in stored and len(stored) == 64
    again = world.operator.post("/v1/api-keys", json={"id": "k1", "reseller": "nw"})
    assert again.status_code == 409
    both = world.operator.post("/v1/api-keys", json={"reseller": "nw", "customer": "c-nw"})
    assert both.status_code == 400


def test_login_cookie_bearer_and_logout(client_factory: ClientFactory, db_kind: str) -> None:
    # SPEC P2: a user acts for one party, through a session cookie or its bearer token
    world = build(client_factory, db_kind)
    ok(world.clients["reseller"].post("/v1/users", json={
        "email": "Ann@NW.example", "password": "correct horse", "customer": "c-east"}))
    anonymous = client_factory(db_kind, key=None)
    session = ok(anonymous.post("/v1/login", json={"email": "ann@nw.example",
                                                   "password": "correct horse"}))
    assert session["customer"] == "c-east"
    cookie = anonymous.cookies.get("prorata_session")
    assert cookie == session["token"]
    assert ok(anonymous.get("/v1/customers/c-east"))["id"] == "c-east"  # by cookie
    assert anonymous.get("/v1/customers/c-nw").status_code == 404        # scoped
    bearer = client_factory(db_kind, key=session["token"])
    assert bearer.get("/v1/subscriptions/s-c-east").status_code == 200   # by bearer token
    ok(anonymous.post("/v1/logout"))
    assert bearer.get("/v1/customers/c-east").status_code == 401
    assert anonymous.get("/v1/customers/c-east").status_code == 401


def test_wrong_credentials_do_not_reveal_the_email(client_factory: ClientFactory,
                                                   db_kind: str) -> None:
    api = client_factory(db_kind)
    ok(api.post("/v1/users", json={"email": "op@example.com", "password": "long enough"}))
    anonymous = client_factory(db_kind, key=None)
    wrong_password = anonymous.post("/v1/login", json={"email": "op@example.com",
                                                       "password": "not it at all"})
    no_user = anonymous.post("/v1/login", json={"email": "nobody@example.com",
                                                "password": "not it at all"})
    assert wrong_password.status_code == no_user.status_code == 401
    assert wrong_password.content == no_user.content
    assert error_of(no_user)["code"] == "invalid_credentials"
    assert anonymous.post("/v1/login", json={}).status_code == 400
    taken = api.post("/v1/users", json={"email": "OP@example.com", "password": "long enough"})
    assert (taken.status_code, error_of(taken)["param"]) == (409, "email")
    short = api.post("/v1/users", json={"email": "x@example.com", "password": "short"})
    assert error_of(short)["code"] == "invalid_password"


def test_company_name_rules(api: object) -> None:
    # SPEC P5: checked on every create and rename of customers and resellers
    client = api  # type: ignore[assignment]
    rules = {"forbidden_characters": ["@"], "forbidden_abbreviations": ["LLC", "ООО"],
             "forbidden_tlds": [".com"]}
    saved = ok(client.put("/v1/settings/company-names", json=rules))  # type: ignore[attr-defined]
    assert saved["forbidden_tlds"] == ["com"]
    for path, body in (("/v1/customers", {"name": "LLC .com"}),
                       ("/v1/resellers", {"name": "ооо"})):
        response = client.post(path, json=body)  # type: ignore[attr-defined]
        error = error_of(response)
        assert (response.status_code, error["code"], error["param"]) == \
            (400, "name_empty_after_rules", "name")
    ok(client.post("/v1/customers", json={"id": "acme", "name": "Acme LLC"}))  # type: ignore
    ok(client.post("/v1/resellers", json={"id": "nw", "name": "northwind.com"}))  # type: ignore
    bad = client.patch("/v1/customers/acme", json={"name": "Acme@Home"})  # type: ignore
    assert error_of(bad)["code"] == "forbidden_character" and "'@'" in error_of(bad)["message"]
    bad = client.patch("/v1/resellers/nw", json={"name": "LLC"})  # type: ignore
    assert error_of(bad)["code"] == "name_empty_after_rules"
    assert ok(client.patch("/v1/resellers/nw", json={"name": "Northwind", "inn": "77"}))[  # type: ignore
        "inn"] == "77"


def _restricted_world(client_factory: ClientFactory, db_kind: str) -> World:
    world = build(client_factory, db_kind)
    api = world.operator
    ok(api.post("/v1/plans", json=seats_plan("monthly-m", "monthly", "6.00", periods=["P1M"])))
    ok(api.post("/v1/customers", json={"id": "c-inn", "name": "Listed", "inn": "77 01"}))
    for cid in ("c-inn", "c-east"):
        ok(api.post("/v1/subscriptions", json={"id": f"m-{cid}", "customer": cid,
                                               "plan": "monthly-m", "resources": {"seats": 1}}))
    return world


def test_restriction_lists(client_factory: ClientFactory, db_kind: str) -> None:
    # SPEC P6: a listed INN (own or an ancestor reseller's) refuses change, renew, switch
    world = _restricted_world(client_factory, db_kind)
    api = world.operator
    first = ok(api.post("/v1/restrictions", json={"inn": "7701"}))
    assert (first["inn"], first["products"]) == ("7701", [])
    ok(api.patch("/v1/resellers/nw", json={"inn": "NW-1"}))
    ok(api.post("/v1/restrictions", json={"id": "r-nw", "inn": "nw-1", "products": ["m365"]}))
    assert len(ok(api.get("/v1/restrictions"))["data"]) == 2
    missing = api.post("/v1/restrictions", json={"inn": "1", "products": ["nope"]})
    assert (missing.status_code, error_of(missing)["param"]) == (404, "products[0]")
    for sub in ("m-c-inn", "m-c-east", "s-c-nw"):
        view = ok(api.get(f"/v1/subscriptions/{sub}"))
        assert not {"change_resources", "switch_plan", "renew"} & set(
            view["available_operations"])
        refused = api.post(f"/v1/subscriptions/{sub}/operations",
                           json={"type": "change_resources", "resources": {"seats": 2}})
        assert (refused.status_code, error_of(refused)["code"]) == (409, "restricted_party")
    assert "change_resources" in ok(api.get("/v1/subscriptions/s-c-other"))[
        "available_operations"]
    order = api.post("/v1/subscriptions", json={"customer": "c-inn", "plan": "basic"})
    assert error_of(order)["code"] == "restricted_party"
    ok(api.delete("/v1/restrictions/r-nw"))
    assert api.delete("/v1/restrictions/r-nw").status_code == 404
    assert ok(api.post("/v1/subscriptions/m-c-east/operations", json={
        "type": "change_resources", "resources": {"seats": 2}}))["status"] == "completed"


def test_restricted_auto_renewal_is_skipped_and_recorded(client_factory: ClientFactory,
                                                         db_kind: str) -> None:
    # SPEC P6: the daily run skips the automatic renewal and records why
    world = _restricted_world(client_factory, db_kind)
    api = world.operator
    ok(api.post("/v1/restrictions", json={"inn": "7701", "products": ["m365"]}))
    clock(api, "2024-09-20")
    history = ok(api.get("/v1/subscriptions/m-c-inn/operations"))["data"]
    skipped = [op for op in history if op["status"] == "skipped"]
    assert skipped and skipped[0]["error"]["code"] == "restricted_party"
    assert ok(api.get("/v1/subscriptions/m-c-inn"))["renewal_order"] is None
    renewed = ok(api.get("/v1/subscriptions/m-c-east"))
    assert renewed["expires_on"] > "2024-09-19" or renewed["renewal_order"] is not None


def test_customer_does_not_see_restricted_skips(client_factory: ClientFactory,
                                                db_kind: str) -> None:
    # SPEC P6: the skip is in the history for managers; nothing is shown to the customer
    world = _restricted_world(client_factory, db_kind)
    api = world.operator
    ok(api.patch("/v1/resellers/nw", json={"inn": "NW-1"}))
    ok(api.post("/v1/restrictions", json={"inn": "nw-1", "products": ["m365"]}))
    clock(api, "2024-09-20")
    path = "/v1/subscriptions/m-c-east/operations"

    def codes(party: str) -> list[object]:
        return [(h["status"], (h["error"] or {}).get("code"))
                for h in ok(world.clients[party].get(path))["data"]]

    for manager in ("operator", "reseller", "downstream"):
        assert ("skipped", "restricted_party") in codes(manager), manager
    mine = codes("customer")
    assert mine and ("skipped", "restricted_party") not in mine
    assert len(mine) == len(codes("operator")) - 1


def test_delegated_settings(client_factory: ClientFactory, db_kind: str) -> None:
    # SPEC P3: a reseller's setting applies below it and is read-only there
    world = build(client_factory, db_kind)
    top, down = world.clients["reseller"], world.clients["downstream"]
    ok(top.put("/v1/resellers/nw/settings", json={"grace_period_days": 5}))
    refused = down.put("/v1/resellers/nw-east/settings", json={"grace_period_days": 9})
    assert (refused.status_code, error_of(refused)["code"], error_of(refused)["param"]) == \
        (409, "setting_delegated", "grace_period_days")
    ok(down.put("/v1/resellers/nw-east/settings", json={"stop_requires_approval_groups": ["a"]}))
    view = ok(down.get("/v1/resellers/nw-east/settings"))["effective"]
    assert view["grace_period_days"] == {"value": 5, "source": "nw", "read_only": True}
    assert view["stop_requires_approval_groups"]["source"] == "nw-east"
    assert down.put("/v1/resellers/nw/settings", json={}).status_code == 404
    bad = top.put("/v1/resellers/nw/settings", json={"grace_period_days": -1})
    assert bad.status_code == 400


def test_reseller_grace_period_keeps_unpaid_service_running(client_factory: ClientFactory,
                                                            db_kind: str) -> None:
    # SPEC P3 over S7: the subtree's grace period replaces the plan's (0 here)
    world = build(client_factory, db_kind)
    api = world.operator
    ok(api.put("/v1/resellers/nw/settings", json={"grace_period_days": 5}))
    for cid, reseller in (("g-east", "nw-east"), ("g-other", "other")):
        ok(api.post("/v1/customers", json={"id": cid, "name": cid, "reseller": reseller,
                                           "credit_limit": "0"}))
        ok(api.post("/v1/subscriptions", json={"id": f"s-{cid}", "customer": cid,
                                               "plan": "basic", "resources": {"seats": 1}}))
    clock(api, "2024-09-01")
    assert ok(api.get("/v1/subscriptions/s-g-other"))["status"] == "stopped"
    assert ok(api.get("/v1/subscriptions/s-g-east"))["status"] == "active"
    clock(api, "2024-09-07")
    assert ok(api.get("/v1/subscriptions/s-g-east"))["status"] == "stopped"


def test_recommendations_follow_reseller_priorities(client_factory: ClientFactory,
                                                    db_kind: str) -> None:
    # SPEC P3/R1: ordered by the reseller's priority for the target, which is reported
    world = build(client_factory, db_kind)
    api = world.operator
    ok(api.post("/v1/plans", json=seats_plan("gold", "monthly", "12.00")))
    ok(api.patch("/v1/plans/basic", json={"name": "Basic"}))
    ok(api.post("/v1/plans", json=seats_plan("ladder", "monthly", "6.00", switch_to=[
        {"plan": "premium", "kind": "upgrade"}, {"plan": "gold", "kind": "upgrade"}])))
    ok(api.post("/v1/subscriptions", json={"id": "lad", "customer": "c-east", "plan": "ladder",
                                           "resources": {"seats": 1}}))
    default = ok(api.get("/v1/subscriptions/lad/recommendations"))["data"]
    assert [(r["plan"], r["priority"]) for r in default] == [("premium", 0), ("gold", 1)]
    ok(world.clients["reseller"].put("/v1/resellers/nw/settings", json={
        "recommendation_priorities": {"gold": -1}}))
    ranked = ok(world.clients["customer"].get("/v1/subscriptions/lad/recommendations"))["data"]
    assert [(r["plan"], r["priority"]) for r in ranked] == [("gold", -1), ("premium", 0)]


def test_order_attributes_by_audience(client_factory: ClientFactory, db_kind: str) -> None:
    # SPEC P7: managers and customers are asked for different attributes
    world = build(client_factory, db_kind)
    api = world.operator
    ok(api.post("/v1/products", json={"id": "gw", "name": "Workspace", "attributes": [
        {"id": "domain", "name": "Domain", "audience": "customer", "required": True},
        {"id": "tenant", "name": "Tenant", "audience": "manager", "required": True}]}))
    plan = seats_plan("gw-plan", "monthly", "5.00")
    ok(api.post("/v1/plans", json={**plan, "product": "gw"}))
    order = {"customer": "c-east", "plan": "gw-plan", "resources": {"seats": 1}}

    def refused(client: object, attributes: dict[str, str]) -> tuple[object, object]:
        response = client.post("/v1/subscriptions",  # type: ignore[attr-defined]
                               json={**order, "attributes": attributes})
        error = error_of(response)
        return error["code"], error["param"]

    manager, customer = world.clients["reseller"], world.clients["customer"]
    assert refused(manager, {}) == ("attribute_required", "attributes.tenant")
    assert refused(customer, {"domain": "a.io", "tenant": "t"}) == \
        ("attribute_not_allowed", "attributes.tenant")
    assert refused(customer, {}) == ("attribute_required", "attributes.domain")
    assert refused(manager, {"tenant": "t", "colour": "red"}) == \
        ("unknown_attribute", "attributes.colour")
    sub = ok(customer.post("/v1/subscriptions", json={**order, "attributes": {"domain": "a.io"}}))
    assert sub["attributes"] == {"domain": "a.io"}
    assert ok(manager.post("/v1/subscriptions", json={**order, "attributes": {
        "tenant": "t1"}}))["attributes"] == {"tenant": "t1"}
