"""The unit of work's access and party methods (SPEC P2, P3, P6), alike on SQLite,
PostgreSQL and the fake."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from prorata.adapters.db import Database
from prorata.domain.model import Customer
from prorata.domain.parties import Restriction
from prorata.services.ports import OPERATOR, DuplicateKey
from tests.fakes import FakeDatabase

Db = Database | FakeDatabase
NOW = datetime(2024, 8, 20, 12, tzinfo=UTC)


def test_api_keys_by_hash_and_revocation(any_db: Db) -> None:
    with any_db.uow() as uow:
        uow.add_api_key("k1", "reseller", "nw", "h1")
        uow.commit()
    with any_db.uow() as uow:
        assert uow.find_api_key("h1") == {"id": "k1", "party_kind": "reseller",
                                          "party_id": "nw", "revoked": False}
        assert uow.find_api_key("h2") is None
        with pytest.raises(DuplicateKey):
            uow.add_api_key("k2", "customer", "c", "h1")  # hashes are unique
    with any_db.uow() as uow:
        uow.revoke_api_key("k1")
        uow.commit()
    with any_db.uow() as uow:
        assert uow.find_api_key("h1") is None
        assert uow.get_api_key("k1")["revoked"] is True  # type: ignore[index]


def test_users_and_sessions_expire(any_db: Db) -> None:
    with any_db.uow() as uow:
        uow.add_user("u1", "a@b.io", "hash", "customer", "acme")
        uow.add_session("s1", "u1", "t1", NOW + timedelta(hours=1))
        uow.commit()
    with any_db.uow() as uow:
        assert [u["id"] for u in uow.find_users("a@b.io")] == ["u1"]
        assert uow.find_session("t1", NOW) == {"party_kind": "customer", "party_id": "acme"}
        assert uow.find_session("t1", NOW + timedelta(hours=2)) is None
        with pytest.raises(DuplicateKey):  # one account per e-mail and party (issue 6)
            uow.add_user("u2", "a@b.io", "hash", "customer", "acme")
        uow.add_user("u3", "a@b.io", "hash", "operator", "operator")  # another party: fine
        assert [u["id"] for u in uow.find_users("a@b.io")] == ["u1", "u3"]
        assert uow.find_users("nobody@b.io") == []
    with any_db.uow() as uow:
        uow.delete_session("t1")
        uow.commit()
    with any_db.uow() as uow:
        assert uow.find_session("t1", NOW) is None


def test_restrictions(any_db: Db) -> None:
    with any_db.uow() as uow:
        for i in range(3):
            uow.add_restriction(Restriction(f"r{i}", f"INN{i}", ("m365",) if i else ()))
        uow.commit()
    with any_db.uow() as uow:
        page = uow.list_restrictions(2, None)
        assert [r.id for r in page.items] == ["r0", "r1"] and page.has_more
        assert [r.id for r in uow.list_restrictions(2, "r1").items] == ["r2"]
        assert uow.get_restriction("r1") == Restriction("r1", "INN1", ("m365",))
        assert {r.id for r in uow.restrictions_for(["INN0", "INN2", "X"])} == {"r0", "r2"}
        uow.delete_restriction("r0")
        uow.commit()
    with any_db.uow() as uow:
        assert uow.get_restriction("r0") is None
        assert uow.restrictions_for(["INN0"]) == []


def test_reseller_chain_and_updates(any_db: Db) -> None:
    with any_db.uow() as uow:
        uow.add_reseller("top", "Top", None, "77")
        uow.add_reseller("mid", "Mid", "top")
        uow.add_reseller("low", "Low", "mid")
        uow.add_reseller("top2", "Other", None)
        uow.add_customer(Customer("acme", "Acme", reseller="low"))
        uow.commit()
    with any_db.uow() as uow:
        uow.update_reseller("mid", {"name": "Middle", "settings": {"grace_period_days": 3}})
        uow.update_customer(Customer("acme", "Acme AG", reseller="top2", currency="EUR",
                                     inn="1", group="vip"))
        uow.commit()
    with any_db.uow() as uow:
        chain = uow.reseller_chain("low")
        assert [r["id"] for r in chain] == ["top", "mid", "low"]
        assert chain[0]["inn"] == "77" and chain[1]["name"] == "Middle"
        assert chain[1]["settings"] == {"grace_period_days": 3}
        assert uow.reseller_chain("ghost") == []
        acme = uow.get_customer(OPERATOR, "acme")
        assert acme is not None and (acme.name, acme.group, acme.inn) == ("Acme AG", "vip", "1")
        assert (acme.reseller, acme.currency) == ("low", "USD")  # fixed fields stay
