"""Subscriptions: full round trip, optimistic locking, scopes (SPEC S5, S7, S8, C8, P2)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from prorata.adapters.db import Database
from prorata.adapters.db import mapping as m
from prorata.adapters.db.schema import subscriptions
from prorata.domain.errors import Conflict
from prorata.domain.model import (
    Customer,
    Operation,
    OpStatus,
    PendingOrder,
    Status,
    Subscription,
    UnitPrice,
)
from prorata.services.ports import OPERATOR, DuplicateKey, Scope
from tests.dbfixtures import sample_subscription, seed_catalog
from tests.fakes import FakeDatabase

Db = Database | FakeDatabase


def busy_subscription():  # type: ignore[no-untyped-def]
    """Every optional part filled in: pending orders, next amounts, captured prices."""
    return sample_subscription(
        status=Status.RENEWING,
        prices={"seats": UnitPrice(Decimal("6.1234"), Decimal("10")),
                "disk": UnitPrice(Decimal("0.0001"), Decimal("0"))},
        resources={"seats": 5, "disk": 0}, high_water={"seats": 7, "disk": 0},
        renewal_order=PendingOrder("op1", "renewal", "m365-basic", "P1Y", {"seats": 6},
                                   date(2025, 8, 20), date(2025, 9, 1), date(2026, 8, 20),
                                   {"seats": UnitPrice(Decimal("6.5"), Decimal("0.0001"))}),
        scheduled_switch=PendingOrder("op2", "switch", "gold", None, {"seats": 6},
                                      date(2024, 10, 1)),
        next_resources={"seats": 8}, prolong_operation="op3", stop_request="op4",
        stopped_on=date(2024, 9, 2), expired_on=date(2025, 8, 21), unpaid_since=date(2024, 9, 3),
        attributes={"domain": "acme.example", "notes": ["a", 1, None]}, version=3,
        due_on=date(2024, 10, 1),
    )


def test_every_field_is_stored() -> None:
    """A field added to the domain records must not be silently dropped by the mapping."""
    sub = busy_subscription()
    stored = set(m.subscription_values(sub)) | {"id", "customer_id", "version"}
    columns = {"plan": "plan_id", "customer": "customer_id"}
    assert {columns.get(f, f) for f in Subscription.__dataclass_fields__} == stored
    order = sub.renewal_order
    assert set(m.order_to_json(order) or {}) == set(PendingOrder.__dataclass_fields__)
    assert {f for f in Operation.__dataclass_fields__} <= {
        *m.operation_values(Operation("x", "s", "t", OpStatus.SCHEDULED, "a", {}, None,
                                      date(2024, 1, 1))),
        "id", "subscription", "type", "actor", "created_on", "dedup_key"}


def test_subscription_round_trip(any_db: Db) -> None:  # SPEC C8 (captured prices), S5.3, S8.3
    sub = busy_subscription()
    with any_db.uow() as uow:
        seed_catalog(uow)
        uow.add_subscription(sub)
        uow.commit()
    with any_db.uow() as uow:
        assert uow.get_subscription(OPERATOR, sub.id) == sub
        assert uow.get_subscription(OPERATOR, "nope") is None


def test_endless_and_empty_subscription_round_trip(any_db: Db) -> None:
    sub = sample_subscription(period=None, period_end=None, charged_until=None, prices={},
                              resources={}, high_water={})
    with any_db.uow() as uow:
        seed_catalog(uow)
        uow.add_subscription(sub)
        assert uow.get_subscription(OPERATOR, sub.id) == sub


def test_null_pending_orders_are_sql_null(database: Database) -> None:
    """The scheduler selects `renewal_order IS NULL`; JSON 'null' would not match."""
    with database.uow() as uow:
        seed_catalog(uow)
        uow.add_subscription(sample_subscription())
        row = uow.connection.execute(select(subscriptions).where(
            subscriptions.c.renewal_order.is_(None), subscriptions.c.next_resources.is_(None),
            subscriptions.c.scheduled_switch.is_(None))).first()
        assert row is not None and row.reseller_path == "/"


def test_update_writes_everything_and_bumps_the_version(any_db: Db) -> None:
    with any_db.uow() as uow:
        seed_catalog(uow)
        uow.add_subscription(sample_subscription())
        uow.commit()
    with any_db.uow() as uow:
        sub = uow.get_subscription(OPERATOR, "sub1")
        assert sub is not None and sub.version == 0
        busy = busy_subscription()
        busy.version = 0
        uow.update_subscription(busy)
        assert busy.version == 1
        uow.commit()
    with any_db.uow() as uow:
        assert uow.get_subscription(OPERATOR, "sub1") == busy


def test_stale_version_conflicts(any_db: Db) -> None:  # DESIGN: optimistic lock → 409
    with any_db.uow() as uow:
        seed_catalog(uow)
        uow.add_subscription(sample_subscription())
        uow.commit()
    with any_db.uow() as uow:
        stale = uow.get_subscription(OPERATOR, "sub1")
    with any_db.uow() as uow:
        fresh = uow.get_subscription(OPERATOR, "sub1")
        assert fresh is not None
        fresh.auto_renew = False
        uow.update_subscription(fresh)
        uow.commit()
    with any_db.uow() as uow:
        assert stale is not None
        stale.resources = {"seats": 99}
        with pytest.raises(Conflict) as err:
            uow.update_subscription(stale)
        assert err.value.code == "conflict" and err.value.status == 409
        assert stale.version == 0
        current = uow.get_subscription(OPERATOR, "sub1")
        assert current is not None and current.resources == {"seats": 5} and current.version == 1


def test_concurrent_updates_second_one_conflicts(any_db: Db) -> None:
    """Two open units of work load the same version; the first commits, the second fails.
    (Not on SQLite: its writers cannot overlap — the second would wait for the first.)"""
    if isinstance(any_db, Database) and any_db.dialect == "sqlite":
        pytest.skip("SQLite serializes writers; see test_sqlite_writers_queue_instead_of_failing")
    with any_db.uow() as uow:
        seed_catalog(uow)
        uow.add_subscription(sample_subscription())
        uow.commit()
    with any_db.uow() as first, any_db.uow() as second:
        a = first.get_subscription(OPERATOR, "sub1")
        b = second.get_subscription(OPERATOR, "sub1")
        assert a is not None and b is not None
        first.update_subscription(a)
        first.commit()
        with pytest.raises(Conflict):
            second.update_subscription(b)


def test_duplicate_and_orphan_subscriptions(any_db: Db) -> None:
    with any_db.uow() as uow:
        seed_catalog(uow)
        uow.add_subscription(sample_subscription())
        with pytest.raises(DuplicateKey):
            uow.add_subscription(sample_subscription())
        with pytest.raises(LookupError):
            uow.add_subscription(sample_subscription("sub2", customer="ghost"))
        with pytest.raises(LookupError):
            uow.add_subscription(sample_subscription("sub3", plan="ghost"))
        assert uow.get_subscription(OPERATOR, "sub1") is not None


def test_scopes_for_subscriptions(any_db: Db) -> None:  # SPEC P2
    with any_db.uow() as uow:
        seed_catalog(uow, customer="c0")
        uow.add_reseller("r1", "R1", None)
        uow.add_reseller("r2", "R2", "r1")
        uow.add_reseller("r3", "R3", None)
        uow.add_customer(Customer("c1", "C1", reseller="r1"))
        uow.add_customer(Customer("c2", "C2", reseller="r2"))
        for cid in ("c0", "c1", "c2"):
            uow.add_subscription(sample_subscription(f"s-{cid}", customer=cid))

        def seen(scope: Scope) -> set[str]:
            return {s for s in ("s-c0", "s-c1", "s-c2") if uow.get_subscription(scope, s)}

        assert seen(OPERATOR) == {"s-c0", "s-c1", "s-c2"}
        assert seen(Scope("reseller", "r1")) == {"s-c1", "s-c2"}
        assert seen(Scope("reseller", "r2")) == {"s-c2"}
        assert seen(Scope("reseller", "r3")) == set()
        assert seen(Scope("customer", "c1")) == {"s-c1"}
        assert seen(Scope("customer", "c0")) == {"s-c0"}


def test_fake_fails_the_later_commit_of_two_overlapping_updates() -> None:
    """Where PostgreSQL makes the second writer wait and then fail, the fake fails its commit."""
    db = FakeDatabase()
    with db.uow() as uow:
        seed_catalog(uow)
        uow.add_subscription(sample_subscription())
        uow.commit()
    with db.uow() as first, db.uow() as second:
        a, b = first.get_subscription(OPERATOR, "sub1"), second.get_subscription(OPERATOR, "sub1")
        assert a is not None and b is not None
        first.update_subscription(a)
        second.update_subscription(b)
        first.commit()
        with pytest.raises(Conflict):
            second.commit()
