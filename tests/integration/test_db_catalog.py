"""Parties and catalog: client-chosen ids, plan JSON, scopes (SPEC P1, P2, C2, C7)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from prorata.adapters.db import Database
from prorata.adapters.db.mapping import plan_from_json, plan_to_json
from prorata.domain.catalog import (
    BillingType,
    PlanSettings,
    RenewalMode,
    Resource,
    SwitchTarget,
)
from prorata.domain.model import Customer
from prorata.services.ports import OPERATOR, DuplicateKey, Scope
from tests.dbfixtures import sample_plan
from tests.fakes import FakeDatabase

Db = Database | FakeDatabase


def rich_plan():  # type: ignore[no-untyped-def]
    """Every kind of value a plan holds: per-period prices, 4-decimal prices, settings."""
    return sample_plan(
        billing_type=BillingType.LONG_TERM, periods=("P1Y", "P3Y"),
        resources=(
            Resource(id="seats", name="Licenses", primary=True, priority=1, included=2, min=1,
                     max=None, price={"P1Y": Decimal("72.0000"), "P3Y": Decimal("200.1234")},
                     setup_price=Decimal("5"), erp_price=None),
            Resource(id="disk", name="Диск", unit="GB", price={"P1Y": Decimal("0.0001"),
                                                             "P3Y": Decimal("0")}),
        ),
        switch_to=(SwitchTarget("gold", "upgrade"), SwitchTarget("bronze", "downgrade")),
        settings=PlanSettings(expired_renewal_mode=RenewalMode.SHIFTED, delayed_switch_point=None,
                              upgrade_fee=Decimal("9.99"), refund_on_stop=False,
                              markup_percent=Decimal("12.5"), plan_change_timing="end_of_cycle"),
    )


def test_plan_json_round_trip() -> None:  # SPEC C2, C7
    plan = rich_plan()
    data = plan_to_json(plan)
    assert data["resources"][0]["price"] == {"P1Y": "72.0000", "P3Y": "200.1234"}
    assert data["settings"]["upgrade_fee"] == "9.99"
    assert data["settings"]["expired_renewal_mode"] == "shifted"
    assert plan_from_json(data) == plan


def test_plan_json_tolerates_unknown_and_missing_settings() -> None:
    data = plan_to_json(sample_plan())
    data["settings"] = {"manual_renewal_point": 15, "retired_setting": 1}
    assert plan_from_json(data).settings == PlanSettings(manual_renewal_point=15)


def test_plan_round_trip_and_update(any_db: Db) -> None:  # SPEC C8: prices change by update
    plan = rich_plan()
    with any_db.uow() as uow:
        uow.add_product({"id": "m365", "name": "Microsoft 365", "vendor": "instant",
                         "attributes": [{"id": "domain", "audience": "customer"}]})
        uow.add_plan(plan)
        uow.commit()
    with any_db.uow() as uow:
        assert uow.get_plan(plan.id) == plan
        assert uow.get_product("m365") == {
            "id": "m365", "name": "Microsoft 365", "vendor": "instant", "vendor_settings": {},
            "attributes": [{"id": "domain", "audience": "customer"}]}
        changed = replace(plan, name="Renamed", settings=PlanSettings())
        uow.update_plan(changed)
        uow.commit()
    with any_db.uow() as uow:
        assert uow.get_plan(plan.id) == changed
        assert uow.get_plan("nope") is None and uow.get_product("nope") is None
        with pytest.raises(LookupError):
            uow.update_plan(replace(plan, id="nope"))


def test_client_chosen_ids_are_unique(any_db: Db) -> None:
    with any_db.uow() as uow:
        uow.add_product({"id": "m365", "name": "M"})
        uow.add_plan(sample_plan())
        uow.add_reseller("r1", "R1", None)
        uow.add_customer(Customer("acme", "Acme"))
        with pytest.raises(DuplicateKey):
            uow.add_product({"id": "m365", "name": "again"})
        with pytest.raises(DuplicateKey):
            uow.add_plan(sample_plan())
        with pytest.raises(DuplicateKey):
            uow.add_reseller("r1", "again", None)
        with pytest.raises(DuplicateKey):
            uow.add_customer(Customer("acme", "again"))
        uow.commit()  # the transaction survived every refusal
    with any_db.uow() as uow:
        assert uow.get_customer(OPERATOR, "acme").name == "Acme"  # type: ignore[union-attr]


def test_missing_references_are_lookup_errors(any_db: Db) -> None:
    with any_db.uow() as uow:
        with pytest.raises(LookupError):
            uow.add_reseller("r2", "R2", parent="ghost")
        with pytest.raises(LookupError):
            uow.add_customer(Customer("acme", "Acme", reseller="ghost"))
        with pytest.raises(LookupError):
            uow.add_plan(sample_plan(product="ghost"))


def test_customer_round_trip(any_db: Db) -> None:  # SPEC P4
    customer = Customer("acme", "Acme", reseller="r1", billing_day=28, currency="EUR",
                        inn="7701234567", group="vip", credit_limit=Decimal("1000.50"))
    with any_db.uow() as uow:
        uow.add_reseller("r1", "R1", None)
        uow.add_customer(customer)
        uow.commit()
    with any_db.uow() as uow:
        assert uow.get_customer(OPERATOR, "acme") == customer


def build_tree(uow) -> None:  # type: ignore[no-untyped-def]
    """operator ─ r1 ─ r2 ─ c2;  r1 ─ c1;  r3 ─ c3;  c0 (the operator's own); and a reseller
    whose id shares r1's prefix, which a naive LIKE 'r1%' would wrongly include."""
    uow.add_reseller("r1", "R1", None)
    uow.add_reseller("r2", "R2", "r1")
    uow.add_reseller("r3", "R3", None)
    uow.add_reseller("r1x", "R1x", None)
    uow.add_reseller("a%_/b", "Odd", "r1")
    for cid, rid in (("c0", None), ("c1", "r1"), ("c2", "r2"), ("c3", "r3"), ("c4", "r1x"),
                     ("c5", "a%_/b")):
        uow.add_customer(Customer(cid, cid.upper(), reseller=rid))


def visible(uow, scope: Scope) -> set[str]:  # type: ignore[no-untyped-def]
    return {c for c in ("c0", "c1", "c2", "c3", "c4", "c5") if uow.get_customer(scope, c)}


def test_scopes_for_customers(any_db: Db) -> None:  # SPEC P2
    with any_db.uow() as uow:
        build_tree(uow)
        assert visible(uow, OPERATOR) == {"c0", "c1", "c2", "c3", "c4", "c5"}
        assert visible(uow, Scope("reseller", "r1")) == {"c1", "c2", "c5"}
        assert visible(uow, Scope("reseller", "r2")) == {"c2"}
        assert visible(uow, Scope("reseller", "a%_/b")) == {"c5"}
        assert visible(uow, Scope("reseller", "ghost")) == set()
        assert visible(uow, Scope("customer", "c2")) == {"c2"}


def test_scopes_for_resellers(any_db: Db) -> None:  # SPEC P1, P2
    with any_db.uow() as uow:
        build_tree(uow)
        r2 = uow.get_reseller(OPERATOR, "r2")
        assert r2 is not None and r2["parent"] == "r1" and r2["path"] == "/r1/r2/"
        assert uow.get_reseller(Scope("reseller", "r1"), "r2") is not None
        assert uow.get_reseller(Scope("reseller", "r1"), "r1") is not None
        assert uow.get_reseller(Scope("reseller", "r1"), "r1x") is None
        assert uow.get_reseller(Scope("reseller", "r2"), "r1") is None
        assert uow.get_reseller(Scope("customer", "c1"), "r1") is None
        assert uow.get_reseller(OPERATOR, "ghost") is None


def test_reseller_created_after_a_failed_lookup(any_db: Db) -> None:  # SPEC P2
    with any_db.uow() as uow:
        scope = Scope("reseller", "r1")
        assert uow.get_customer(scope, "c1") is None
        uow.add_reseller("r1", "R1", None)
        uow.add_customer(Customer("c1", "C1", reseller="r1"))
        assert uow.get_customer(scope, "c1") is not None
