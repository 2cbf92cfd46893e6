"""Engine set-up for SQLite (the embedded default) and PostgreSQL, and migrations."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool
from sqlalchemy.util import greenlet_spawn

from prorata.adapters.db.described import cursor_factories
from prorata.adapters.db.mapping import json_dumps, json_loads
from prorata.adapters.db.plan_cache import PlanCache
from prorata.adapters.db.uow import SqlUnitOfWork

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")
BUSY_SECONDS = 30  # how long a SQLite writer waits for the write lock before it gives up


def newest_revision() -> str:
    """The newest migration's revision, read from the file names (`NNNN_name.py` holds revision
    "NNNN", each revising the one before; tests/integration/test_db_migrations.py holds
    alembic's own head to this) without importing alembic."""
    return max(p.name[:4] for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def default_url() -> str:
    """API.md: `PRORATA_DATABASE_URL`, else an embedded SQLite file in the working directory."""
    return os.environ.get("PRORATA_DATABASE_URL") or f"sqlite:///{Path.cwd() / 'prorata.db'}"


def normalize_url(url: str | URL) -> URL:
    """Plain `postgresql://` URLs would pick psycopg2, which is not installed: use psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def pool_size() -> int:
    """Connections kept open per process: one per request thread (a request holds one unit of
    work, so one connection), plus the in-process scheduler and worker. Starlette runs sync
    handlers in a pool of 40 threads; `PRORATA_POOL_SIZE` overrides."""
    return int(os.environ.get("PRORATA_POOL_SIZE") or 44)


def _pool_options() -> dict[str, Any]:
    # Sized for the server and kept warm: with the defaults (5 + 10 overflow) every
    # connection past the fifth was closed on return and reopened by the next request — on
    # PostgreSQL a new server session each time (issue 13: 589 in 10 s). No overflow is
    # needed when the pool has a connection per thread.
    return {"pool_size": pool_size(), "max_overflow": 8, "pool_timeout": 30}


def _sqlite_engine(url: URL) -> Engine:
    memory = url.database in (None, "", ":memory:")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        json_serializer=json_dumps, json_deserializer=json_loads,
        # An in-memory database lives in one connection: share it (single-threaded use only).
        **({"poolclass": StaticPool} if memory else _pool_options()),
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; we emit
        # BEGIN ourselves below (SQLAlchemy's documented recipe).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A read-then-write transaction begun DEFERRED fails with SQLITE_BUSY_SNAPSHOT when
        # another writer committed in between, and the busy timeout cannot help. IMMEDIATE
        # takes the write lock up front: writers queue instead of failing. Read-only units of
        # work stay DEFERRED so that they never wait for a writer (WAL).
        options = conn.get_execution_options()
        read_only = options.get("prorata_read_only", False)
        # Durability per unit of work, set before every BEGIN so a pooled connection never
        # carries it over. FULL: an acknowledged API write survives a power loss. NORMAL
        # (daily-run batches only): under WAL it syncs at checkpoints, not at every commit;
        # a power loss can undo whole recent batches, never tear one, and the rerun redoes
        # them exactly once (docs/DESIGN.md, "The daily run").
        if not memory and not read_only:
            wanted = "NORMAL" if options.get("prorata_batch", False) else "FULL"
            # Remembered per pooled connection (`info` lives as long as the connection): the
            # PRAGMA is sent only when it changes, not before every write (issue 13).
            if conn.info.get("prorata_synchronous") != wanted:
                conn.exec_driver_sql(f"PRAGMA synchronous={wanted}")
                conn.info["prorata_synchronous"] = wanted
        if read_only or memory:
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
            return
        if not writer.acquire(timeout=BUSY_SECONDS):
            raise sqlite3.OperationalError("database is locked")
        conn.info["prorata_writer"] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _end(conn)
            raise

    # The writers of this process take turns on a lock of their own before SQLite's: a thread
    # waiting in SQLite's busy handler sleeps and polls (1, 2, 5 … 100 ms), so it noticed a
    # released lock only at its next poll and the write lock sat idle between writers (at 60
    # writes/s on one process: p50 21 ms, p99 460 ms). A thread waiting here is woken at the
    # release. Other processes (the daily run, `--workers`) still meet at SQLite's lock.
    writer = threading.Lock()

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end(conn: Any) -> None:
        # An invalidated connection has no record to ask (and gave its turn back below).
        if not conn.invalidated and conn.info.pop("prorata_writer", False):
            writer.release()

    # Whatever ends a connection's use without a commit or a rollback event (invalidated by
    # an error, closed) still gives the turn back: a lost turn would stop every writer.
    @event.listens_for(engine, "checkin")
    @event.listens_for(engine, "invalidate")
    @event.listens_for(engine, "soft_invalidate")
    def _returned(_dbapi_conn: Any, record: Any, *_: Any) -> None:
        if record is not None and record.info.pop("prorata_writer", False):
            writer.release()

    return engine


def _batches_commit_without_waiting(engine: Engine) -> None:
    """PostgreSQL's counterpart of SQLite's `synchronous=NORMAL` for the daily run's batches
    (`Database.uow(batch=True)`): `synchronous_commit = off`, for that transaction only
    (`SET LOCAL`, so a pooled connection never carries it into a request's). A commit returns
    before its WAL is flushed; the server flushes it within 3 × `wal_writer_delay` (600 ms).
    A server or OS crash in that window may undo the last batches, never tear one (a batch,
    its lease's `done_at` included, is one transaction), and the next run finds them still
    due and does them exactly once. Any later durable commit (a lease claim, the day's
    completion, a worker's claim of a vendor call or delivery the batch wrote) flushes the
    WAL up to itself, so nothing acts on a batch that could still be undone. Every other
    write keeps waiting for its flush: an acknowledged request survives a crash. Measured:
    +5-7% subscriptions/s on a plain day, the same CPU a subscription (less waiting on the
    flush; docs/design/scale.md, round 12)."""
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("prorata_batch", False):
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")


class Database:
    """One per process: owns the connection pool; hands out units of work."""

    def __init__(self, url: str | URL | None = None) -> None:
        self.url = normalize_url(url if url is not None else default_url())
        if self.url.get_backend_name() == "sqlite":
            self.engine = _sqlite_engine(self.url)
        else:
            self._cursors = cursor_factories()
            self.engine = create_engine(self.url, pool_pre_ping=True, **_pool_options(),
                                        connect_args={"cursor_factory": self._cursors["sync"]},
                                        json_serializer=json_dumps, json_deserializer=json_loads)
            _batches_commit_without_waiting(self.engine)
        self.plans = PlanCache()  # per process, checked against the version on every read
        self._on_loop: Any = None  # `loop_engine`, made on first use

    def loop_engine(self) -> Engine:
        """PostgreSQL only: an engine whose connections speak psycopg's asynchronous protocol,
        for the API's reads of one object, which run on the event loop in a greenlet
        (api/deps.py `point_read`): the unit of work's code is the same, but each round trip
        waits on the loop instead of holding a worker thread, and the trip to that thread and
        back (more CPU than the reads themselves) is gone. Its connections are not pinged
        before use (a round trip each time): a read that finds its connection dead is run
        once more on a new one instead (`read_on_loop`). Made on first use."""
        if self._on_loop is None:
            from sqlalchemy.ext.asyncio import create_async_engine

            self._on_loop = create_async_engine(
                self.url.set(drivername="postgresql+psycopg_async"), **_pool_options(),
                connect_args={"cursor_factory": self._cursors["async"]},
                # Its units of work are reads: no transaction to begin, roll back or reset.
                isolation_level="AUTOCOMMIT", skip_autocommit_rollback=True,
                json_serializer=json_dumps, json_deserializer=json_loads)
        engine: Engine = self._on_loop.sync_engine
        return engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def read_on_loop(self, work: Callable[..., T], *args: Any) -> T:
        """Runs `work`, which reads in units of work opened `on_loop=True`, in a greenlet on
        the running event loop. A read whose pooled connection turns out dead (the server
        restarted, or ended the session) is run once more: the pool has let go of that
        connection and of every older one, and a read changes nothing."""
        try:
            return await greenlet_spawn(work, *args)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        return await greenlet_spawn(work, *args)

    def uow(self, *, read_only: bool = False, batch: bool = False,
            on_loop: bool = False) -> SqlUnitOfWork:
        """A new unit of work. `read_only` is a promise, not enforced: on SQLite it lets the
        transaction read a snapshot without queueing behind writers. On SQLite two writing
        units of work never overlap — do not open a second one inside the first in the same
        thread: it would wait for the busy timeout and fail. `batch` marks the daily run's
        writes, which on SQLite may trade per-commit fsync for speed (see `_on_begin`).
        `on_loop`: PostgreSQL, in a greenlet on the event loop (`loop_engine`)."""
        engine = self.loop_engine() if on_loop else self.engine
        return SqlUnitOfWork(engine, read_only=read_only, batch=batch,
                             plan_cache=self.plans, autocommits=on_loop, on_loop=on_loop)

    def alembic_config(self) -> Config:
        """Built in code so that users need no alembic.ini; the migrations ship in the package.
        Alembic (with mako and pygments, ~9 MB) is imported only here: the daily run and the
        API's requests never migrate, and every process that opens a database paid for it."""
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("sqlalchemy.url",
                               self.url.render_as_string(hide_password=False).replace("%", "%%"))
        return config

    def migrate(self, revision: str = "head") -> None:
        """Upgrades to `revision`, in one transaction (both databases have transactional DDL).
        A database already at the newest revision is left alone without importing alembic
        (`prorata run-scheduler` migrates first, and would carry alembic through its run)."""
        if revision == "head" and self.at_head():
            return
        from alembic import command

        self._alembic(command.upgrade, revision)

    def at_head(self) -> bool:
        """Whether the database's revision is the newest shipped one (`newest_revision`)."""
        from sqlalchemy import inspect, text

        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return False
            current = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        return [tuple(r) for r in current] == [(newest_revision(),)]

    def downgrade(self, revision: str) -> None:
        from alembic import command

        self._alembic(command.downgrade, revision)

    def _alembic(self, action: Any, revision: str) -> None:
        config = self.alembic_config()
        with self.engine.begin() as conn:
            config.attributes["connection"] = conn
            action(config, revision)

    def dispose(self) -> None:
        self.engine.dispose()
        on_loop, self._on_loop = self._on_loop, None
        if on_loop is not None:
            # Its connections are closed on a loop of their own, in a thread of its own:
            # closing one needs a loop, the server's has ended by now, and this thread may be
            # running another loop (where `asyncio.run` refuses to start).
            with ThreadPoolExecutor(1) as closer:
                closer.submit(asyncio.run, on_loop.dispose()).result()

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"
