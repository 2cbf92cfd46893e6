"""Transaction behaviour of the unit of work: all or nothing."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from prorata.adapters.db import Database
from prorata.adapters.db.schema import customers
from prorata.domain.model import Customer
from prorata.services.ports import OPERATOR, UnitOfWork
from tests.fakes import FakeDatabase

Db = Database | FakeDatabase


def test_leaving_without_commit_rolls_back(any_db: Db) -> None:
    with any_db.uow() as uow:
        uow.add_customer(Customer("acme", "Acme"))
        assert uow.get_customer(OPERATOR, "acme") is not None
    with any_db.uow() as uow:
        assert uow.get_customer(OPERATOR, "acme") is None


def test_an_exception_rolls_back(any_db: Db) -> None:
    with pytest.raises(RuntimeError), any_db.uow() as uow:
        uow.add_customer(Customer("acme", "Acme"))
        raise RuntimeError("boom")
    with any_db.uow() as uow:
        assert uow.get_customer(OPERATOR, "acme") is None


def test_commit_then_keep_working(any_db: Db) -> None:
    """After commit() the unit of work is usable again; what follows is a new transaction."""
    with any_db.uow() as uow:
        uow.add_customer(Customer("acme", "Acme"))
        uow.commit()
        uow.add_customer(Customer("beta", "Beta"))
    with any_db.uow() as uow:
        assert uow.get_customer(OPERATOR, "acme") is not None
        assert uow.get_customer(OPERATOR, "beta") is None


def test_uncommitted_writes_are_invisible_to_others(any_db: Db) -> None:
    with any_db.uow(read_only=True) as reader, any_db.uow() as writer:
        writer.add_customer(Customer("acme", "Acme"))
        assert reader.get_customer(OPERATOR, "acme") is None
        writer.commit()


def test_outside_with_is_refused(any_db: Db) -> None:
    uow = any_db.uow()
    with pytest.raises(RuntimeError):
        uow.get_customer(OPERATOR, "acme")


def test_connection_shares_the_transaction(database: Database) -> None:
    """The scheduler's set-wise statements commit or roll back with the rest."""
    with database.uow() as uow:
        uow.add_customer(Customer("acme", "Acme"))
        count = uow.connection.execute(select(func.count()).select_from(customers)).scalar()
        assert count == 1
    with database.uow() as uow:
        assert uow.connection.execute(select(func.count()).select_from(customers)).scalar() == 0


def test_sqlite_writers_queue_instead_of_failing(database: Database) -> None:
    """SQLite: a second writer waits for the first (BEGIN IMMEDIATE) and then sees its
    commit, instead of failing with 'database is locked' on a stale snapshot."""
    if database.dialect != "sqlite":
        pytest.skip("SQLite only")
    seen: list[object] = []
    first_open = threading.Event()

    def second() -> None:
        first_open.wait()
        with database.uow() as uow:
            seen.append(uow.get_customer(OPERATOR, "acme"))
            uow.add_customer(Customer("beta", "Beta"))
            uow.commit()

    thread = threading.Thread(target=second)
    thread.start()
    with database.uow() as uow:
        first_open.set()
        time.sleep(0.2)
        uow.add_customer(Customer("acme", "Acme"))
        uow.commit()
    thread.join(timeout=30)
    assert seen and seen[0] is not None
    with database.uow() as uow:
        assert uow.get_customer(OPERATOR, "beta") is not None


def test_both_implement_the_port(database: Database) -> None:
    """Checked by mypy (structural typing); at run time only that they open and close."""
    for db in (database, FakeDatabase()):
        uow: UnitOfWork = db.uow()
        with uow:
            pass
