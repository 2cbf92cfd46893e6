"""Transaction plumbing shared by the unit of work: one connection, one transaction, and the
translation of constraint violations into the errors the ports promise."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, Select, Table, and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from prorata.domain.errors import unknown_cursor
from prorata.services.ports import DuplicateKey, Page

CHUNK = 500  # ids per IN (...) list: well under every driver's parameter limit


def utcnow() -> datetime:
    """Audit timestamps only (created_at/updated_at). Business dates come from the clock the
    services pass in, never from here."""
    return datetime.now(UTC)


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _violation(exc: IntegrityError) -> str:
    """'unique', 'foreign_key' or 'other', from the driver's own error code."""
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is not None:
        return {"23505": "unique", "23503": "foreign_key"}.get(sqlstate, "other")
    name = getattr(orig, "sqlite_errorname", "") or ""
    if name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"):
        return "unique"
    if name == "SQLITE_CONSTRAINT_FOREIGNKEY":
        return "foreign_key"
    return "other"


class Session:
    """Owns the connection of one unit of work. The transaction is begun on entry (on SQLite
    that takes the write lock, see database.py) and again lazily after each commit."""

    def __init__(self, engine: Engine, *, read_only: bool = False, batch: bool = False,
                 autocommits: bool = False) -> None:
        """`autocommits`: the engine's connections are made in autocommit (the event loop's
        engine, database.py): reads find them as they want them; a write sets its level."""
        self._engine = engine
        self._read_only = read_only
        self._batch = batch
        self._autocommits = autocommits
        self._conn: Connection | None = None
        self._forget_reads()

    def __enter__(self) -> Any:
        if self._conn is not None:
            raise RuntimeError("this unit of work is already open")
        conn = self._engine.connect()
        if self._read_only and conn.dialect.name == "sqlite":
            conn.execution_options(prorata_read_only=True)  # for the BEGIN hook (database.py)
        # Set for this check-out (and reset on return) only where the engine makes its
        # connections otherwise.
        autocommit = self._read_only and _autocommit_reads(conn)
        if autocommit != self._autocommits:
            conn.execution_options(isolation_level="AUTOCOMMIT" if autocommit
                                   else conn.default_isolation_level)
        if self._batch:
            conn.execution_options(prorata_batch=True)
        conn.begin()
        self._conn = conn
        self._owners: dict[str, str] = {}  # subscription -> customer, as loaded (ledger.py)
        self._forget_reads()
        return self

    def _forget_reads(self) -> None:
        """What the current transaction read along with a subscription (uow.py) and answers
        from memory; forgotten when the transaction ends (commit, `begin_write`, exit), so a
        later transaction of the same unit of work reads afresh."""
        # (caller, customer id) -> the customer read along with a subscription (uow.py)
        self._customers_seen: dict[tuple[Any, str], Any] = {}
        self._plan_versions_seen: dict[str, int] = {}  # plan id -> version, read likewise
        self._products_seen: dict[str, Any] = {}  # product id -> its row, read likewise
        self._tops_seen: dict[str, Any] = {}  # reseller id -> its row, if it has no parent

    def __exit__(self, *exc: object) -> None:
        self._forget_reads()
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.rollback()  # no-op after commit(); otherwise discards everything (the contract)
        finally:
            conn.close()

    def begin_write(self) -> None:
        """Ends the read-only transaction (nothing to keep) and begins a writing one on the
        same connection: a request that looked up its key and now writes keeps one pooled
        connection instead of taking a second (issue 13)."""
        conn = self.connection
        conn.rollback()
        self._forget_reads()
        if self._read_only:
            if conn.dialect.name == "sqlite":
                conn.execution_options(prorata_read_only=False)
            elif _autocommit_reads(conn):
                conn.execution_options(isolation_level=conn.default_isolation_level)
            self._read_only = False
        conn.begin()

    def commit(self) -> None:
        """Later statements autobegin a new transaction, so the unit of work stays usable. A
        deferred reference (an event whose subscription was never written) fails here, as
        `LookupError` like the immediate ones."""
        self._forget_reads()
        try:
            self.connection.commit()
        except IntegrityError as exc:
            if _violation(exc) == "foreign_key":
                raise LookupError("a written row refers to a row that does not exist") from exc
            raise

    @property
    def connection(self) -> Connection:
        """The transaction's connection, for set-wise statements (the scheduler) that must
        commit or roll back together with the rest of the unit of work."""
        if self._conn is None:
            raise RuntimeError("use the unit of work inside `with`")
        return self._conn

    @property
    def dialect(self) -> str:
        return self.connection.dialect.name

    def _upsert_insert(self, table: Table) -> Any:
        """The dialect's INSERT, which has ON CONFLICT (same API on both databases)."""
        module: Any = postgresql if self.dialect == "postgresql" else sqlite
        return module.insert(table)

    @contextmanager
    def _unique(self, what: str, *, statements: int = 2,
                carry_on: bool = True) -> Iterator[None]:
        """A SAVEPOINT around a write that may hit a unique key: on PostgreSQL a failed
        statement poisons the whole transaction, and the caller wants to carry on after
        `DuplicateKey` (e.g. answer with the first request's result). SQLite undoes the one
        failed statement and carries on by itself, so a write of one statement needs no
        savepoint there (two statements and two round trips fewer per row written, issue 13);
        an executemany of several rows does, or the rows before the failing one would stay.
        `carry_on=False`: no caller goes on in this transaction after a failure (it rolls
        back), so the error is still told apart but no savepoint is paid for."""
        try:
            if not carry_on or (statements == 1 and self.dialect == "sqlite"):
                yield
                return
            with self.connection.begin_nested():
                yield
        except IntegrityError as exc:
            kind = _violation(exc)
            if kind == "unique":
                raise DuplicateKey(f"{what} already exists") from exc
            if kind == "foreign_key":
                raise LookupError(f"{what} refers to a row that does not exist") from exc
            raise

    def _insert_unique(self, table: Table, rows: list[dict[str, Any]], what: str, *,
                       carry_on: bool = True) -> None:
        if not rows:
            return
        if len(rows) == 1 and self.dialect == "postgresql" and _fks_all_deferred(table):
            # No SAVEPOINT on PostgreSQL (two statements and round trips fewer, issue 13): a
            # unique key met by ON CONFLICT DO NOTHING writes nothing and poisons nothing, and
            # with only deferred foreign keys no other failure here is one a caller carries
            # on after (NOT NULL or CHECK failures are bugs and end the request either way).
            result = self.connection.execute(_insert_or_nothing(table), rows[0])
            if result.rowcount == 0:
                raise DuplicateKey(f"{what} already exists")
            return
        with self._unique(what, statements=len(rows), carry_on=carry_on):
            self.connection.execute(table.insert(), rows)

    def _page(self, query: Select[Any], table: Table, owner: Any, starting_after: str | None,
              limit: int, newest_first: bool, convert: Any) -> Page:
        """Keyset pagination on (seq, id): stable under concurrent inserts, unlike OFFSET.
        An unknown cursor (or one of another owner) is refused with `invalid_cursor`."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        seq, ident = table.c.seq, table.c.id
        if starting_after is not None:
            cursor = self.connection.execute(
                select(seq).where(ident == starting_after, owner)).scalar_one_or_none()
            if cursor is None:
                raise unknown_cursor(starting_after)
            if newest_first:
                query = query.where(or_(seq < cursor, and_(seq == cursor, ident < starting_after)))
            else:
                query = query.where(or_(seq > cursor, and_(seq == cursor, ident > starting_after)))
        order = (seq.desc(), ident.desc()) if newest_first else (seq.asc(), ident.asc())
        rows = self.connection.execute(query.order_by(*order).limit(limit + 1)).all()
        return Page([convert(r) for r in rows[:limit]], len(rows) > limit)

    def _existing(self, column: Any, values: Iterable[str], *extra: Any) -> set[str]:
        found: set[str] = set()
        distinct = sorted(set(values))
        for part in chunks(distinct):
            found.update(self.connection.execute(
                select(column).where(column.in_(part), *extra)).scalars())
        return found


def _autocommit_reads(conn: Connection) -> bool:
    """A read-only unit of work on PostgreSQL runs without a transaction: at READ COMMITTED
    every statement takes its own snapshot anyway, so it sees exactly what it would inside
    one, and the BEGIN and ROLLBACK round trips (two of a GET's seven) are saved (issue 13).
    Where the server's default level is stricter, its snapshot is kept."""
    return (conn.dialect.name == "postgresql"
            and conn.default_isolation_level == "READ COMMITTED")


@cache
def _insert_or_nothing(table: Table) -> Any:
    """PostgreSQL's `INSERT … ON CONFLICT DO NOTHING` of one row of `table`, built once: a
    statement built anew costs more CPU (its construction and cache key) than running it.
    preserve_rowcount: psycopg's cursor is closed by then and would answer -1."""
    return (postgresql.insert(table).on_conflict_do_nothing()
            .execution_options(preserve_rowcount=True))


@cache
def _fks_all_deferred(table: Table) -> bool:
    """True when every foreign key of `table` is checked at commit (`_deferred_fk`)."""
    return all(fk.constraint is not None and fk.constraint.initially == "DEFERRED"
               for fk in table.foreign_keys)
