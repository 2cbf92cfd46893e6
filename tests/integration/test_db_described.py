"""psycopg cursors that describe a statement's result columns once per statement text
(adapters/db/described.py, issue 13 round 9): the same answers as psycopg's own
`description`, built once instead of after every execution."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import _column

from prorata.adapters.db import Database, described
from prorata.services.ports import OPERATOR
from tests.dbfixtures import create_pg_database, drop_pg_database, sample_subscription, seed_catalog
from tests.loops import run_in_a_fresh_loop

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg() -> Iterator[tuple[str, str]]:
    name, url = create_pg_database("prorata_described")
    yield name, url
    drop_pg_database(name)


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many psycopg `Column`s were built."""
    count = [0]
    original = _column.Column.__init__

    def counting(self: Any, *args: Any) -> None:
        count[0] += 1
        original(self, *args)

    monkeypatch.setattr(_column.Column, "__init__", counting)
    return count


def _names(description: Any) -> list[str] | None:
    return None if description is None else [c.name for c in description]


def _conn(url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(url.replace("postgresql+psycopg", "postgresql"),
                           cursor_factory=described.cursor_factories()["sync"], autocommit=True)


def test_a_statement_is_described_once(pg: tuple[str, str], built: list[int]) -> None:
    with _conn(pg[1]) as conn:
        cur = conn.cursor()
        cur.execute("SELECT 1 AS a, 'x' AS b")
        first = cur.description
        assert _names(first) == ["a", "b"] and built[0] == 2
        cur.execute("SELECT 1 AS a, 'x' AS b")
        assert cur.description is first and built[0] == 2  # from memory
        cur.execute("SELECT 2 AS c")  # another text: its own
        assert _names(cur.description) == ["c"]
        cur.execute("CREATE TABLE t (id int)")
        assert cur.description is None
        cur.execute("INSERT INTO t VALUES (1)")
        assert cur.description is None
        cur.execute("INSERT INTO t VALUES (1)")
        assert cur.description is None


def test_a_changed_result_is_described_afresh(pg: tuple[str, str]) -> None:
    with _conn(pg[1]) as conn:
        cur = conn.cursor()
        cur.execute("CREATE TABLE t (id int)")
        cur.execute("SELECT * FROM t")
        assert _names(cur.description) == ["id"]
        cur.execute("ALTER TABLE t ADD COLUMN more text")
        cur.execute("SELECT * FROM t")
        assert _names(cur.description) == ["id", "more"]


def test_results_not_of_execute_are_described_by_psycopg(pg: tuple[str, str]) -> None:
    with _conn(pg[1]) as conn:
        cur = conn.cursor()
        cur.execute("SELECT 1 AS a")
        assert _names(cur.description) == ["a"]
        cur.executemany("SELECT %s AS b", [(1,), (2,)], returning=True)
        assert _names(cur.description) == ["b"]
        cur.execute("SELECT 1 AS a")
        assert _names(cur.description) == ["a"]


def test_past_the_limit_statements_are_described_each_time(
        pg: tuple[str, str], built: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(described, "LIMIT", 1)
    with _conn(pg[1]) as conn:
        cur = conn.cursor()
        for _ in range(2):
            cur.execute("SELECT 1 AS a")
            assert _names(cur.description) == ["a"]
            cur.execute("SELECT 2 AS b, 3 AS c")
            assert _names(cur.description) == ["b", "c"]
        assert built[0] == 1 + 2 + 2  # the first text remembered, the second built twice


def test_the_async_cursor_too(pg: tuple[str, str], built: list[int]) -> None:
    async def main() -> list[Any]:
        url = pg[1].replace("postgresql+psycopg", "postgresql")
        async with await psycopg.AsyncConnection.connect(
                url, cursor_factory=described.cursor_factories()["async"]) as conn:
            cur = conn.cursor()
            out = []
            for _ in range(2):
                await cur.execute("SELECT 1 AS a, 2 AS b")
                out.append(cur.description)
            return out

    first, second = run_in_a_fresh_loop(main())
    assert _names(first) == ["a", "b"] and second is first and built[0] == 2


def test_both_engines_read_a_subscription_without_describing_it_again(
        pg: tuple[str, str], built: list[int]) -> None:
    database = Database(pg[1])
    try:
        database.migrate()
        with database.uow() as uow:
            seed_catalog(uow)
            uow.add_subscription(sample_subscription("s1"))
            uow.commit()

        def read(on_loop: bool) -> Any:
            with database.uow(read_only=True, on_loop=on_loop) as uow:
                return uow.get_subscription(OPERATOR, "s1")

        counts = []
        for on_loop in (False, False, True, True):
            before = built[0]
            sub = run_in_a_fresh_loop(database.read_on_loop(read, True)) if on_loop else read(False)
            assert sub is not None and sub.id == "s1"
            counts.append(built[0] - before)
        assert counts[0] > 20 and counts[1] == 0  # the joined row: ~54 columns, once
        assert counts[2:] == [0, 0]  # the loop engine shares its database's cache
    finally:
        database.dispose()
