"""Panel fixtures: the e2e app factory (SQLite and PostgreSQL) with the panel world in it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import PG, client_factory, e2e_databases  # noqa: F401
from tests.panel.world import build, sign_in


@pytest.fixture(params=["sqlite", PG])
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def world(client_factory, db_kind) -> Callable[..., TestClient]:  # noqa: F811
    """Returns `login(who)`: a fresh browser-like client signed in as that party."""
    api = client_factory(db_kind)
    build(api)

    def login(who: str | None) -> TestClient:
        client = client_factory(db_kind, key=None)
        return client if who is None else sign_in(client, who)
    login.api = api  # type: ignore[attr-defined]
    return login
