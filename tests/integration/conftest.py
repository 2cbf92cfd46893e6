"""Database fixtures.

- `database`: a migrated, empty `Database`, once on SQLite and once on PostgreSQL.
- `any_db`: the same two plus the in-memory `FakeDatabase` (tests/fakes.py), for tests of the
  `UnitOfWork` contract that both implementations must keep alike.

Each backend is created and migrated once per session; every test gets it emptied (truncate,
not re-migrate), and it is brought back to the newest revision after a test that left it
older. PRORATA_SKIP_POSTGRES=1 runs on SQLite only."""

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
def database(migrated_database: Database) -> Iterator[Database]:
    truncate_all(migrated_database.engine)
    yield migrated_database
    # A migration test that fails between its downgrade and its upgrade would leave the
    # session's shared database at an old revision, and every later test would fail for it.
    # `migrate` upgrades only a database that is not at the newest revision (one query).
    migrated_database.migrate()


@pytest.fixture(params=["sqlite", PG, "fake"])
def any_db(request: pytest.FixtureRequest, backends: MigratedDatabases) -> Database | FakeDatabase:
    if request.param == "fake":
        return FakeDatabase()
    db = backends.get(request.param)
    truncate_all(db.engine)
    return db
