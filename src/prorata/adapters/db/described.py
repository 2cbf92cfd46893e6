"""psycopg cursors that describe a statement's result columns once, not after every execution.

psycopg builds `cursor.description` anew each time it is asked: a Python `Column` per result
column (its name decoded, its type looked up). SQLAlchemy asks after every statement, to learn
whether rows came back. A GET of a subscription reads 54 columns (its customer, product and
reseller come with it, uow.py), and building them was ~14% of the handler's CPU on PostgreSQL
(issue 13, docs/design/scale.md "Round 9"). The columns of a statement's result depend on its
text alone while the schema stands, so each database keeps them per statement text and hands
the same list out again. SQLAlchemy reads its own compiled statement for types and names; a text
statement's rows are keyed by these names.

Installed through psycopg's documented `cursor_factory` (SQLAlchemy's `connect_args`) on a
database's thread engine and its event-loop engine, which share one cache."""

from __future__ import annotations

from typing import Any

import psycopg

# Statement texts remembered per database: the application has a few hundred; past this, new
# texts are described the ordinary way (nothing is evicted, nothing grows).
LIMIT = 1024


def cursor_factories() -> dict[str, type]:
    """The cursor classes of one database, for psycopg's blocking ("sync") and asynchronous
    ("async") connections, sharing one cache."""
    cache: dict[str, list[Any] | None] = {}

    def remember(cursor: Any, query: Any) -> None:
        # Only what this execution produced is described from memory: a later result on the
        # same cursor (another statement, `nextset`, a copy) is a different `pgresult`.
        cursor._described = (cursor.pgresult, query) if isinstance(query, str) else None

    def described(cursor: Any, base: Any) -> list[Any] | None:
        result = cursor.pgresult
        mark = getattr(cursor, "_described", None)
        if mark is None or mark[0] is not result or result is None:
            return base.description.__get__(cursor)  # type: ignore[no-any-return]
        query = mark[1]
        if query in cache:
            columns = cache[query]
            # A migration that changed what a `SELECT *` returns, seen by the same database.
            if (0 if columns is None else len(columns)) == result.nfields:
                return columns
        columns = base.description.__get__(cursor)
        if len(cache) < LIMIT:
            cache[query] = columns
        return columns

    class Cursor(psycopg.Cursor[Any]):
        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            out = super().execute(query, params, **kwargs)
            remember(self, query)
            return out

        @property
        def description(self) -> list[Any] | None:  # type: ignore[override]
            return described(self, psycopg.Cursor)

    class AsyncCursor(psycopg.AsyncCursor[Any]):
        async def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            out = await super().execute(query, params, **kwargs)
            remember(self, query)
            return out

        @property
        def description(self) -> list[Any] | None:  # type: ignore[override]
            return described(self, psycopg.AsyncCursor)

    return {"sync": Cursor, "async": AsyncCursor}
