"""What a subscription's read brings along (issue 13): its customer, its plan's version and its
product come in the same statement, so that the rest of the unit of work asks the database for
none of them — while every answer stays what a statement of its own would have given (SPEC P2,
C1)."""

from __future__ import annotations

from dataclasses import replace

from prorata.adapters.db import Database
from prorata.domain.model import Customer
from prorata.services.ports import OPERATOR, Scope
from tests.dbfixtures import sample_plan, sample_subscription, seed_catalog, sent_statements


def _seed(database: Database) -> None:
    with database.uow() as uow:
        uow.add_reseller("r1", "R1", None)
        uow.add_reseller("r2", "R2", None)
        seed_catalog(uow, customer="acme", reseller="r1")
        uow.add_subscription(sample_subscription())
        uow.commit()


def test_the_customer_and_the_plan_come_with_the_subscription(database: Database) -> None:
    _seed(database)
    with database.uow(read_only=True) as uow:
        uow.get_plan("m365-basic")  # the process now holds version 0
    scope = Scope("reseller", "r1")
    with database.uow(read_only=True) as uow, sent_statements(database.engine) as sent:
        sub = uow.get_subscription(scope, "sub1")
        assert sub is not None
        after_sub = len(sent)
        customer = uow.get_customer(scope, "acme")
        plan = uow.get_plan("m365-basic")
        product = uow.get_product("m365")
        assert len(sent) == after_sub  # none of them needed a statement
    assert customer == Customer("acme", "Acme", reseller="r1")
    assert plan is not None and plan.name == "Business Basic"
    assert product == {"id": "m365", "name": "Microsoft 365", "vendor": "instant",
                       "vendor_settings": {}, "attributes": []}


def test_a_product_read_along_is_a_new_object_each_time(database: Database) -> None:
    # As from a statement: a caller changing its answer changes nothing for the next one.
    _seed(database)
    with database.uow(read_only=True) as uow:
        assert uow.get_subscription(OPERATOR, "sub1") is not None
        first = uow.get_product("m365")
        assert first is not None
        first["attributes"].append({"id": "x"})
        first["vendor_settings"]["x"] = 1
        assert uow.get_product("m365") == {"id": "m365", "name": "Microsoft 365",
                                           "vendor": "instant", "vendor_settings": {},
                                           "attributes": []}


def test_what_comes_along_is_never_shown_to_another_caller(database: Database) -> None:
    # SPEC P2: a customer read along for one caller is not an answer for another
    _seed(database)
    with database.uow(read_only=True) as uow:
        assert uow.get_subscription(Scope("reseller", "r1"), "sub1") is not None
        assert uow.get_customer(Scope("reseller", "r2"), "acme") is None
        assert uow.get_customer(Scope("customer", "other"), "acme") is None
        assert uow.get_customer(OPERATOR, "acme") is not None
    with database.uow(read_only=True) as uow:
        assert uow.get_subscription(Scope("reseller", "r2"), "sub1") is None
        assert uow.get_customer(Scope("reseller", "r2"), "acme") is None


def test_a_newer_plan_version_is_read_not_served_from_memory(database: Database) -> None:
    # SPEC C1: an edit committed elsewhere applies from the next read
    _seed(database)
    with database.uow(read_only=True) as uow:
        uow.get_plan("m365-basic")
    with database.uow() as uow:
        uow.update_plan(replace(sample_plan(), name="Basic 2025"))
        uow.commit()
    with database.uow(read_only=True) as uow, sent_statements(database.engine) as sent:
        assert uow.get_subscription(OPERATOR, "sub1") is not None
        after_sub = len(sent)
        assert uow.get_plan("m365-basic").name == "Basic 2025"  # type: ignore[union-attr]
        assert len(sent) == after_sub + 1


def test_writes_in_the_unit_of_work_are_seen(database: Database) -> None:
    # A customer or plan this transaction changes is read again, not taken from the memo.
    _seed(database)
    with database.uow() as uow:
        assert uow.get_subscription(OPERATOR, "sub1") is not None
        uow.update_customer(Customer("acme", "Acme Ltd", reseller="r1"))
        assert uow.get_customer(OPERATOR, "acme").name == "Acme Ltd"  # type: ignore[union-attr]
        uow.update_plan(replace(sample_plan(), name="Draft"))
        assert uow.get_subscription(OPERATOR, "sub1") is not None
        assert uow.get_plan("m365-basic").name == "Draft"  # type: ignore[union-attr]


def test_a_top_resellers_chain_comes_along_and_a_deeper_one_is_read(database: Database) -> None:
    # P3/P6: settings come from the whole chain above the customer, top first
    _seed(database)
    with database.uow() as uow:
        uow.add_reseller("r1a", "R1a", "r1")
        uow.add_customer(Customer("deep", "Deep", reseller="r1a"))
        uow.add_subscription(sample_subscription("sub2", customer="deep"))
        uow.commit()
    with database.uow(read_only=True) as uow:
        expected_top = uow.reseller_chain("r1")
        expected_deep = uow.reseller_chain("r1a")
    assert [r["id"] for r in expected_deep] == ["r1", "r1a"]
    with database.uow(read_only=True) as uow, sent_statements(database.engine) as sent:
        assert uow.get_subscription(OPERATOR, "sub1") is not None
        after_sub = len(sent)
        assert uow.reseller_chain("r1") == expected_top
        assert len(sent) == after_sub  # a reseller without a parent is its own chain
        assert uow.get_subscription(OPERATOR, "sub2") is not None
        after_sub = len(sent)
        assert uow.reseller_chain("r1a") == expected_deep
        assert len(sent) == after_sub + 1


def test_a_reseller_changed_in_the_unit_of_work_is_read_again(database: Database) -> None:
    _seed(database)
    with database.uow() as uow:
        assert uow.get_subscription(OPERATOR, "sub1") is not None
        uow.update_reseller("r1", {"settings": {"grace_days": 9}})
        assert uow.reseller_chain("r1")[0]["settings"] == {"grace_days": 9}


def test_a_later_transaction_of_the_unit_of_work_reads_afresh(database: Database) -> None:
    # What was read along belongs to its transaction: after a commit (the unit of work goes on
    # in a new one) a customer changed meanwhile by another is read again, not remembered.
    _seed(database)
    with database.uow() as uow:
        assert uow.get_subscription(OPERATOR, "sub1") is not None
        uow.commit()
        with database.uow() as other:
            other.update_customer(Customer("acme", "Acme Renamed", reseller="r1"))
            other.commit()
        assert uow.get_customer(OPERATOR, "acme").name == "Acme Renamed"  # type: ignore[union-attr]
