"""Read-only units of work on PostgreSQL run without a transaction (issue 13): at READ
COMMITTED each statement has its own snapshot anyway, so nothing a read sees changes, and the
BEGIN and ROLLBACK round trips are saved. A read-only unit of work that turns into a writing
one (`begin_write`) is transactional again."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from prorata.adapters.db import Database
from prorata.adapters.db.schema import products
from prorata.adapters.db.session import _autocommit_reads
from tests.dbfixtures import seed_catalog
from tests.loops import run_in_a_fresh_loop


def _in_transaction(uow: Any) -> bool:
    raw = uow.connection.connection.driver_connection
    if uow.connection.dialect.name == "postgresql":
        import psycopg

        return bool(raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE)
    return bool(raw.in_transaction)


def test_a_read_opens_no_transaction_on_postgresql(database: Database) -> None:
    with database.uow() as uow:
        seed_catalog(uow)
        uow.commit()
    with database.uow(read_only=True) as uow:
        assert uow.connection.execute(select(products.c.id)).first() is not None
        # PostgreSQL: no BEGIN was sent; SQLite keeps its snapshot transaction (database.py)
        assert _in_transaction(uow) is (database.dialect == "sqlite")


def test_a_read_that_turns_into_a_write_is_one_transaction_again(database: Database) -> None:
    with database.uow(read_only=True) as uow:
        uow.connection.execute(select(products.c.id)).all()
        uow.begin_write()
        uow.connection.execute(products.insert().values(
            id="p-rolled-back", name="Never kept", vendor="instant", attributes=[]))
        assert _in_transaction(uow)
        # left without commit: the unit of work's exit rolls the insert back
    with database.uow(read_only=True) as uow:
        assert uow.connection.execute(
            select(products.c.id).where(products.c.id == "p-rolled-back")).first() is None
    with database.uow() as uow:  # the pooled connection came back transactional
        uow.connection.execute(products.insert().values(
            id="p-rolled-back", name="Never kept", vendor="instant", attributes=[]))
        assert _in_transaction(uow)


def test_a_stricter_server_default_keeps_its_snapshot(database: Database,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    if database.dialect != "postgresql":
        pytest.skip("PostgreSQL's isolation levels")
    with database.engine.connect() as conn:
        assert _autocommit_reads(conn)
        monkeypatch.setattr(conn.dialect, "default_isolation_level", "REPEATABLE READ")
        assert not _autocommit_reads(conn)


# The event loop's engine (PostgreSQL, `Database.loop_engine`) makes its connections in
# autocommit once, instead of switching a pooled connection's level on every check-out and
# back on every return (issue 13, round 9): the same reads, without that work.

def _on_loop(database: Database, work: Any) -> Any:
    return run_in_a_fresh_loop(database.read_on_loop(work))


def _level(uow: Any) -> tuple[bool, bool]:
    """(autocommit, in a transaction) of the unit of work's connection."""
    return bool(uow.connection.connection.driver_connection.autocommit), _in_transaction(uow)


def test_a_read_on_the_loop_opens_no_transaction(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("PostgreSQL's second engine")
    with database.uow() as uow:
        seed_catalog(uow)
        uow.commit()

    def read() -> tuple[bool, bool]:
        with database.uow(read_only=True, on_loop=True) as uow:
            assert uow.connection.execute(select(products.c.id)).first() is not None
            # made so: no level set on check-out (and so none to reset on return)
            assert "isolation_level" not in uow.connection.get_execution_options()
            return _level(uow)

    assert _on_loop(database, read) == (True, False)


def test_a_write_on_the_loop_is_a_transaction_and_leaves_none_behind(
        database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("PostgreSQL's second engine")

    def write_then_read() -> list[tuple[bool, bool]]:
        seen = []
        with database.uow(read_only=True, on_loop=True) as uow:
            uow.begin_write()
            uow.connection.execute(products.insert().values(
                id="p-loop", name="Never kept", vendor="instant", attributes=[]))
            seen.append(_level(uow))
        with database.uow(on_loop=True) as uow:  # a writing unit of work from the start
            uow.connection.execute(select(products.c.id)).all()
            seen.append(_level(uow))
        with database.uow(read_only=True, on_loop=True) as uow:  # the connection came back
            found = uow.connection.execute(
                select(products.c.id).where(products.c.id == "p-loop")).first()
            seen.append(_level(uow))
        assert found is None  # the write was rolled back at the unit of work's exit
        return seen

    assert _on_loop(database, write_then_read) == [(False, True), (False, True), (True, False)]


def test_a_stricter_server_default_keeps_its_snapshot_on_the_loop(
        database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    if database.dialect != "postgresql":
        pytest.skip("PostgreSQL's second engine")
    dialect = database.loop_engine().dialect

    def read() -> tuple[bool, bool]:
        with database.uow(read_only=True, on_loop=True) as uow:
            uow.connection.execute(select(products.c.id)).all()
            return _level(uow)

    assert _on_loop(database, read) == (True, False)  # connects, learns the server's default
    monkeypatch.setattr(dialect, "default_isolation_level", "REPEATABLE READ")
    assert _on_loop(database, read) == (False, True)
