"""POST /v1/login is throttled (issue 6): after the failures allowed for one e-mail from one
address, 429 `too_many_attempts` with `Retry-After`, before the password is even checked;
every failure is recorded in `login_failures`."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from prorata.adapters.db.schema import login_failures
from prorata.services.throttle import PAIR_LIMIT, WINDOW
from tests.e2e.conftest import ClientFactory, error_of
from tests.e2e.lifecycle import ok


def _failures(api: TestClient) -> int:
    engine = api.app.state.database.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(login_failures)).scalar_one())


def test_wrong_passwords_are_throttled(client_factory: ClientFactory, db_kind: str) -> None:
    # issue 6: 429 + Retry-After after PAIR_LIMIT failures; even the right password waits
    api = client_factory(db_kind)
    ok(api.post("/v1/users", json={"email": "ann@example.com", "password": "right password"}))
    anonymous = client_factory(db_kind, key=None)
    wrong = {"email": "ann@example.com", "password": "wrong password"}
    for _ in range(PAIR_LIMIT):
        assert anonymous.post("/v1/login", json=wrong).status_code == 401
    assert _failures(api) == PAIR_LIMIT
    for body in (wrong, {**wrong, "password": "right password"}):
        refused = anonymous.post("/v1/login", json=body)
        assert refused.status_code == 429, refused.text
        assert error_of(refused)["code"] == "too_many_attempts"
        assert 0 < int(refused.headers["Retry-After"]) <= WINDOW.total_seconds()
    assert _failures(api) == PAIR_LIMIT  # a refused attempt does not extend the lock
    # another e-mail from the same address is not locked by this one's failures
    other = anonymous.post("/v1/login", json={"email": "bob@example.com", "password": "x" * 8})
    assert other.status_code == 401
