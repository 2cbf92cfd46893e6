"""Two writers to one subscription: one wins, the other gets Conflict (HTTP 409)."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from prorata.domain.errors import Conflict
from prorata.domain.model import Customer
from prorata.domain.plans import build_plan
from prorata.services.ports import OPERATOR
from prorata.services.subscriptions import create_subscription, get_subscription, run_operation

DAY = date(2024, 8, 25)


def _seed(database) -> None:
    plan = build_plan({"name": "Basic", "billing_type": "monthly", "currency": "USD",
                       "periods": ["P1Y"],
                       "resources": [{"id": "seats", "name": "Licenses", "min": 1, "max": 300,
                                      "price": "6.00"}]}, "m365", "basic")
    with database.uow() as uow:
        uow.add_product({"id": "m365", "name": "M365", "vendor": "instant", "attributes": []})
        uow.add_plan(plan)
        uow.add_customer(Customer("acme", "Acme"))
        create_subscription(uow, OPERATOR, {"id": "s1", "customer": "acme", "plan": "basic",
                                            "resources": {"seats": 5}}, date(2024, 8, 20))
        uow.commit()


def test_interleaved_writers_one_wins_the_other_conflicts(database):
    # Architecture: concurrent writers to one subscription — one wins, the other gets 409.
    if database.dialect == "sqlite":
        pytest.skip("SQLite serializes writers (BEGIN IMMEDIATE): they cannot interleave")
    _seed(database)
    first, second = database.uow(), database.uow()
    with first, second:
        run_operation(first, OPERATOR, "s1",
                      {"type": "change_resources", "resources": {"seats": 8}}, DAY)
        done = threading.Event()
        outcome: list[BaseException | None] = []

        def late_writer() -> None:
            try:
                run_operation(second, OPERATOR, "s1",
                              {"type": "change_resources", "resources": {"seats": 9}}, DAY)
                outcome.append(None)
            except BaseException as exc:  # noqa: BLE001 - reported to the test thread
                outcome.append(exc)
            done.set()

        # The second writer read version 0 before the first commits: its update waits on the
        # row lock, then finds the version moved and refuses.
        thread = threading.Thread(target=late_writer)
        thread.start()
        done.wait(0.5)
        first.commit()
        thread.join(10)
        assert len(outcome) == 1 and isinstance(outcome[0], Conflict)
        assert outcome[0].status == 409
    with database.uow(read_only=True) as uow:
        assert get_subscription(uow, OPERATOR, "s1", DAY)["resources"] == {"seats": 8}


def test_serialized_writers_see_each_others_result(database):
    # On either database, a writer that starts after another committed decides on fresh state.
    _seed(database)
    for seats in (8, 9):
        with database.uow() as uow:
            run_operation(uow, OPERATOR, "s1",
                          {"type": "change_resources", "resources": {"seats": seats}}, DAY)
            uow.commit()
    with database.uow(read_only=True) as uow:
        assert get_subscription(uow, OPERATOR, "s1", DAY)["resources"] == {"seats": 9}
