"""The notification methods of the `UnitOfWork` port (SPEC R2, R3, P2), kept alike by the SQL
adapter on both databases and by the fake: the scoped event list, templates per owner, and
webhook endpoints seen in their owner's scope."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from prorata.domain.errors import InvalidInput
from prorata.domain.model import Customer, Event
from prorata.services.ports import OPERATOR, Scope
from tests.dbfixtures import sample_subscription, seed_catalog

DAY = date(2025, 1, 1)
NW, EAST, OTHER = Scope("reseller", "nw"), Scope("reseller", "nw-east"), Scope("reseller", "x")


def _world(db: Any) -> list[str]:
    with db.uow() as uow:
        uow.add_reseller("nw", "Northwind", None, email="m@nw.example")
        uow.add_reseller("nw-east", "East", "nw")
        uow.add_reseller("x", "Other", None)
        seed_catalog(uow, customer="acme", reseller="nw-east")
        uow.add_customer(Customer("beta", "Beta", reseller="x", email="b@x.example"))
        uow.add_subscription(sample_subscription())
        made = [Event("subscription_stopped", {"i": 0}, subscription="sub1", created_on=DAY),
                Event("payment_failed", {"i": 1}, customer="beta", created_on=DAY),
                Event("payment_failed", {"i": 2}, customer="acme", created_on=DAY)]
        uow.add_events(made)
        uow.commit()
    return [e.id or "" for e in made]


def _ids(page: Any) -> list[str]:
    return [item["event"].id for item in page.items]


def test_events_are_listed_in_scope_newest_first(any_db: Any) -> None:
    stopped, beta, acme = _world(any_db)
    with any_db.uow() as uow:
        assert _ids(uow.list_events(OPERATOR, 10, None)) == [acme, beta, stopped]
        assert _ids(uow.list_events(NW, 10, None)) == [acme, stopped]
        assert _ids(uow.list_events(EAST, 10, None)) == [acme, stopped]
        assert _ids(uow.list_events(OTHER, 10, None)) == [beta]
        assert _ids(uow.list_events(Scope("customer", "beta"), 10, None)) == [beta]
        assert _ids(uow.list_events(OPERATOR, 10, None, event_type="payment_failed",
                                    customer="acme")) == [acme]
        assert _ids(uow.list_events(OPERATOR, 10, None, subscription="sub1")) == [stopped]
        page = uow.list_events(OPERATOR, 1, acme)
        assert _ids(page) == [beta] and page.has_more
        with pytest.raises(InvalidInput):  # a foreign cursor is not in this list
            uow.list_events(OTHER, 10, acme)
        assert uow.get_event(NW, beta) is None
        found = uow.get_event(NW, acme)
        assert found["event"].data == {"i": 2} and found["event"].customer == "acme"


def test_templates_per_owner(any_db: Any) -> None:
    _world(any_db)
    with any_db.uow() as uow:
        uow.put_template("payment_failed", "*", None, "op", "body")
        uow.put_template("payment_failed", "nw", "nw", "nw", "body")
        uow.put_template("payment_failed", "nw", "nw", "nw again", "body 2")
        uow.put_template("invoice_issued", "nw", "nw", "inv", "b")
        uow.commit()
    with any_db.uow() as uow:
        assert uow.get_templates(["nw-east", "nw", "*"], "payment_failed") == {
            ("payment_failed", "*"): ("op", "body"),
            ("payment_failed", "nw"): ("nw again", "body 2")}
        assert set(uow.get_templates(["nw"])) == {("payment_failed", "nw"),
                                                  ("invoice_issued", "nw")}
        assert uow.delete_template("payment_failed", "nw") is True
        assert uow.delete_template("payment_failed", "nw") is False
        uow.commit()
    with any_db.uow() as uow:
        assert uow.get_templates(["nw", "*"], "payment_failed") == {
            ("payment_failed", "*"): ("op", "body")}


def test_endpoints_in_their_owners_scope(any_db: Any) -> None:
    _world(any_db)
    with any_db.uow() as uow:
        for eid, owner in (("a-op", None), ("b-nw", "nw"), ("c-east", "nw-east"), ("d-x", "x")):
            uow.add_endpoint({"id": eid, "reseller": owner, "url": f"http://127.0.0.1/{eid}",
                              "events": ["payment_failed"], "secret": "whsec_AAAA"})
        uow.commit()
    with any_db.uow() as uow:
        seen = {name: [e["id"] for e in uow.list_endpoints(scope, 10, None).items]
                for name, scope in (("op", OPERATOR), ("nw", NW), ("east", EAST),
                                    ("x", OTHER), ("cust", Scope("customer", "acme")))}
        assert seen == {"op": ["a-op", "b-nw", "c-east", "d-x"], "nw": ["b-nw", "c-east"],
                        "east": ["c-east"], "x": ["d-x"], "cust": []}
        assert uow.get_endpoint(EAST, "b-nw") is None
        found = uow.get_endpoint(NW, "c-east")
        assert (found["url"], found["events"], found["enabled"], found["secret"]) == \
            ("http://127.0.0.1/c-east", ["payment_failed"], True, "whsec_AAAA")
        uow.update_endpoint("c-east", {"enabled": False, "disabled_reason": "by hand"})
        uow.update_endpoint("d-x", {"deleted_at": found["created_at"]})
        uow.commit()
    with any_db.uow() as uow:
        assert uow.get_endpoint(OPERATOR, "c-east")["disabled_reason"] == "by hand"
        assert uow.get_endpoint(OPERATOR, "d-x") is None
        page = uow.list_endpoints(OPERATOR, 2, None)
        assert [e["id"] for e in page.items] == ["a-op", "b-nw"] and page.has_more
        assert [e["id"] for e in uow.list_endpoints(OPERATOR, 2, "b-nw").items] == ["c-east"]
        assert uow.list_deliveries("a-op", 10, None).items == []
