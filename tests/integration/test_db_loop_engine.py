"""PostgreSQL's second engine, for point reads on the event loop (issue 13, round 8:
`Database.loop_engine`, `Database.read_on_loop`): its connections are closed by `dispose`,
whether or not a loop runs in the disposing thread, and only a dead connection makes a read
run again."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from prorata.adapters.db import Database
from tests.dbfixtures import _admin_engine, create_pg_database, drop_pg_database
from tests.loops import run_in_a_fresh_loop

pytestmark = pytest.mark.postgres


@pytest.fixture
def fresh() -> Any:
    name, url = create_pg_database("prorata_loop")
    database = Database(url)
    yield name, database
    database.dispose()
    drop_pg_database(name)


def _sessions(name: str, *, settle: bool = False) -> int:
    """The server sessions of database `name`; with `settle`, once they are gone or after 5 s
    (a session closed by its client leaves pg_stat_activity when its backend has exited)."""
    deadline = time.monotonic() + (5 if settle else 0)
    while True:
        count = _count(name)
        if count == 0 or time.monotonic() >= deadline:
            return count
        time.sleep(0.05)


def _count(name: str) -> int:
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = :name"),
                {"name": name}).scalar_one())
    finally:
        engine.dispose()


def _select_one(database: Database) -> int:
    with database.loop_engine().connect() as conn:
        return int(conn.execute(text("SELECT 1")).scalar_one())


def test_dispose_closes_the_loop_engines_connections(fresh: Any) -> None:
    name, database = fresh
    assert run_in_a_fresh_loop(database.read_on_loop(_select_one, database)) == 1
    assert _sessions(name) == 1  # pooled, kept open between requests
    database.dispose()
    assert _sessions(name, settle=True) == 0
    # made again on the next use
    assert run_in_a_fresh_loop(database.read_on_loop(_select_one, database)) == 1


def test_dispose_inside_a_running_loop_closes_them_too(fresh: Any) -> None:
    name, database = fresh

    async def main() -> None:
        assert await database.read_on_loop(_select_one, database) == 1
        database.dispose()

    run_in_a_fresh_loop(main())
    assert _sessions(name, settle=True) == 0


def test_only_a_dead_connection_makes_a_read_run_again(fresh: Any) -> None:
    _, database = fresh
    calls: list[int] = []

    def bad_sql() -> None:
        calls.append(1)
        with database.loop_engine().connect() as conn:
            conn.execute(text("SELECT no_such_column"))

    with pytest.raises(DBAPIError):
        run_in_a_fresh_loop(database.read_on_loop(bad_sql))
    assert len(calls) == 1
