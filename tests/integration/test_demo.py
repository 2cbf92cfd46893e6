"""`prorata serve --demo`: the demo data loads through the use cases, once, and its people can
sign in to the control panel (a newcomer's first two commands)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from prorata.adapters.db import Database
from prorata.services import access
from prorata.services.demo import DEMO_PASSWORD, DEMO_USERS, load_demo

TODAY = date(2024, 8, 20)


def test_demo_loads_once(database: Database) -> None:
    assert load_demo(database, TODAY) is True
    assert load_demo(database, TODAY) is False  # a restarted `serve --demo` adds nothing
    with database.uow(read_only=True) as uow:
        assert uow.get_product("m365") is not None


def test_demo_people_sign_in_with_their_own_scope(database: Database) -> None:
    load_demo(database, TODAY)
    seen = {}
    for email, _ in DEMO_USERS:
        with database.uow() as uow:
            answer, token = access.login(uow, {"email": email, "password": DEMO_PASSWORD},
                                         datetime(2024, 8, 20, 9, tzinfo=UTC))
            uow.commit()
        assert token
        seen[email] = (answer.get("reseller"), answer.get("customer"))
    assert seen == {"operator@demo.example": (None, None),
                    "northwind@demo.example": ("northwind", None),
                    "acme@demo.example": (None, "acme")}
