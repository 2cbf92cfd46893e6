"""End-to-end fixtures: the real FastAPI app on a real database, once on SQLite and once on
PostgreSQL, through `fastapi.testclient.TestClient` (lifespan included, so the start-up
scheduler run happens as in production).

- `client_factory(db_kind, test_clock="2024-08-20")` builds an app and returns a client that
  sends the operator key; pass `test_clock=None` for the real clock.
- `api`: such a client on a test clock, parametrized over sqlite and postgres.

Each backend is migrated once per session and emptied before each test; after each test
every reference of the ledger's rows is checked (`ledger_breaks`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date

import pytest
from fastapi.testclient import TestClient

from prorata.api import create_app
from prorata.domain.clock import Clock, SystemClock, TestClock
from tests.dbfixtures import MigratedDatabases, ledger_breaks, truncate_all

OPERATOR_KEY = "test-operator-key"
START = "2024-08-20"
PG = pytest.param("postgres", marks=pytest.mark.postgres)
ClientFactory = Callable[..., TestClient]


@pytest.fixture(scope="session")
def e2e_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedDatabases]:
    registry = MigratedDatabases(tmp_path_factory.mktemp("e2e"), "e2e")
    yield registry
    registry.close()


@pytest.fixture
def client_factory(e2e_databases: MigratedDatabases) -> Iterator[ClientFactory]:
    """Apps made by one test share that test's (emptied) database, like two processes would."""
    with ExitStack() as stack:
        emptied: set[str] = set()

        def make(db_kind: str, test_clock: str | None = START,
                 key: str | None = OPERATOR_KEY) -> TestClient:
            database = e2e_databases.get(db_kind)
            if db_kind not in emptied:
                truncate_all(database.engine)
                emptied.add(db_kind)
            clock: Clock = SystemClock() if test_clock is None else TestClock(
                date.fromisoformat(test_clock))
            app = create_app(database, clock, OPERATOR_KEY, test_clock is not None)
            client = TestClient(app, raise_server_exceptions=False)
            if key is not None:
                client.headers["Authorization"] = f"Bearer {key}"
            return stack.enter_context(client)

        yield make
    # The ledger has no foreign keys (migration 0018): every scenario checks its references.
    for kind in emptied:
        assert ledger_breaks(e2e_databases.get(kind).engine) == []


@pytest.fixture(params=["sqlite", PG])
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def api(client_factory: ClientFactory, db_kind: str) -> TestClient:
    return client_factory(db_kind)


def error_of(response: object) -> dict[str, object]:
    """The error object of a response, after checking the uniform shape (API.md)."""
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}, body
    # the one addition: sign-in's party_required lists the choices (docs/design/security.md)
    extra = {"choices"} if body["error"].get("code") == "party_required" else set()
    assert set(body["error"]) == {"type", "code", "message", "param"} | extra, body
    return body["error"]  # type: ignore[no-any-return]
