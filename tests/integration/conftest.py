"""Database fixtures.

- `database`: a migrated, empty `Database`, once on SQLite and once on PostgreSQL.
- `any_db`: the same two plus the in-memory `FakeDatabase` (tests/fakes.py), for tests of the
  `UnitOfWork` contract that both implementations must keep alike.

Each backend is created and migrated once per session; every test gets it emptied (truncate,
not re-migrate). PRORATA_SKIP_POSTGRES=1 runs on SQLite only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from prorata.adapters.db import Database
from tests.dbfixtures import MigratedDatabases, truncate_all
from tests.fakes import FakeDatabase

PG = pytest.param("postgres", marks=pytest.mark.postgres)


@pytest.fixture(scope="session")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedDatabases]:
    registry = MigratedDatabases(tmp_path_factory.mktemp("db"), "test")
    yield registry
    registry.close()


@pytest.fixture(scope="session", params=["sqlite", PG])
def migrated_database(request: pytest.FixtureRequest, backends: MigratedDatabases) -> Database:
    return backends.get(request.param)


@pytest.fixture
def database(migrated_database: Database) -> Database:
    truncate_all(migrated_database.engine)
    return migrated_database


@pytest.fixture(params=["sqlite", PG, "fake"])
def any_db(request: pytest.FixtureRequest, backends: MigratedDatabases) -> Database | FakeDatabase:
    if request.param == "fake":
        return FakeDatabase()
    db = backends.get(request.param)
    truncate_all(db.engine)
    return db
