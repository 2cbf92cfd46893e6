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
