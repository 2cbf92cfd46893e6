"""Database fixtures.

- `database`: a migrated, empty `Database`, once on SQLite and once on PostgreSQL.
- `any_db`: the same two plus the in-memory `FakeDatabase` (tests/fakes.py), for tests of the
  `UnitOfWork` contract that both implementations must keep alike.

Each backend is created and migrated once per session; every test gets it emptied (truncate,
not re-migrate). PRORATA_SKIP_POSTGRES=1 runs on SQLite only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from prorata.adapters.db import Database
from tests.dbfixtures import create_pg_database, drop_pg_database, skip_postgres, truncate_all
from tests.fakes import FakeDatabase

PG = pytest.param("postgres", marks=pytest.mark.postgres)


class Backends:
    """Creates each database on first use and removes them all at the end of the session."""

    def __init__(self, tmp: Path) -> None:
        self._tmp = tmp
        self._dbs: dict[str, Database] = {}
        self._pg_names: list[str] = []

    def get(self, kind: str) -> Database:
        if kind not in self._dbs:
            if kind == "sqlite":
                db = Database(f"sqlite:///{self._tmp / 'prorata.db'}")
            else:
                if skip_postgres():
                    pytest.skip("PRORATA_SKIP_POSTGRES=1")
                name, url = create_pg_database()
                self._pg_names.append(name)
                db = Database(url)
            db.migrate()
            self._dbs[kind] = db
        return self._dbs[kind]

    def close(self) -> None:
        for db in self._dbs.values():
            db.dispose()
        for name in self._pg_names:
            drop_pg_database(name)


@pytest.fixture(scope="session")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backends]:
    registry = Backends(tmp_path_factory.mktemp("db"))
    yield registry
    registry.close()


@pytest.fixture(scope="session", params=["sqlite", PG])
def migrated_database(request: pytest.FixtureRequest, backends: Backends) -> Database:
    return backends.get(request.param)


@pytest.fixture
def database(migrated_database: Database) -> Database:
    truncate_all(migrated_database.engine)
    return migrated_database


@pytest.fixture(params=["sqlite", PG, "fake"])
def any_db(request: pytest.FixtureRequest, backends: Backends) -> Database | FakeDatabase:
    if request.param == "fake":
        return FakeDatabase()
    db = backends.get(request.param)
    truncate_all(db.engine)
    return db
