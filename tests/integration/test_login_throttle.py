"""Login throttling (issue 6) on SQLite, PostgreSQL and the fake: failed sign-ins are rows,
counted per e-mail, per client address and per pair over a sliding window; the lockout ends
at most one window after the last counted failure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from prorata.adapters.db import Database
from prorata.domain.errors import TooManyRequests
from prorata.services import throttle
from prorata.services.throttle import CLIENT_LIMIT, EMAIL_LIMIT, PAIR_LIMIT, WINDOW
from tests.fakes import FakeDatabase

Db = Database | FakeDatabase
NOW = datetime(2024, 8, 20, 12, tzinfo=UTC)


def _fail(db: Db, email: str, client: str, at: datetime, times: int = 1) -> None:
    with db.uow() as uow:
        for i in range(times):
            throttle.record_failure(uow, email, client, at + timedelta(seconds=i))
        uow.commit()


def _retry_after(db: Db, email: str, client: str, at: datetime) -> int | None:
    with db.uow() as uow:
        try:
            throttle.check(uow, email, client, at)
        except TooManyRequests as exc:
            return exc.retry_after
    return None


def test_pair_limit_is_bounded_by_the_window(any_db: Db) -> None:
    # issue 6: one e-mail from one address; the lock ends when the failures age out
    _fail(any_db, "Ann@Example.com", "10.0.0.1", NOW, PAIR_LIMIT - 1)
    assert _retry_after(any_db, "ann@example.com", "10.0.0.1", NOW + timedelta(minutes=1)) \
        is None
    _fail(any_db, "ann@example.com", "10.0.0.1", NOW + timedelta(minutes=1))
    wait = _retry_after(any_db, " ANN@example.com", "10.0.0.1", NOW + timedelta(minutes=2))
    assert wait == (WINDOW - timedelta(minutes=2)).total_seconds()  # oldest counted ages out
    # the same user from another address is not locked by the pair limit
    assert _retry_after(any_db, "ann@example.com", "10.0.0.2", NOW + timedelta(minutes=2)) \
        is None
    assert _retry_after(any_db, "ann@example.com", "10.0.0.1", NOW + WINDOW + timedelta(
        seconds=PAIR_LIMIT)) is None


def test_email_limit_across_addresses(any_db: Db) -> None:
    # issue 6: guessing spread over many addresses still stops, for at most one window
    for i in range(EMAIL_LIMIT):
        _fail(any_db, "bob@example.com", f"10.1.0.{i}", NOW + timedelta(seconds=i))
    assert _retry_after(any_db, "bob@example.com", "192.0.2.9", NOW + timedelta(minutes=1))
    assert _retry_after(any_db, "eve@example.com", "192.0.2.9", NOW + timedelta(minutes=1)) \
        is None
    last = NOW + timedelta(seconds=EMAIL_LIMIT - 1)
    assert _retry_after(any_db, "bob@example.com", "192.0.2.9", last + WINDOW) is None


def test_client_limit_across_emails(any_db: Db) -> None:
    # issue 6: credential stuffing from one address
    with any_db.uow() as uow:
        for i in range(CLIENT_LIMIT):
            throttle.record_failure(uow, f"u{i}@example.com", "203.0.113.5", NOW)
        uow.commit()
    wait = _retry_after(any_db, "new@example.com", "203.0.113.5", NOW + timedelta(seconds=30))
    assert wait == int(WINDOW.total_seconds()) - 30
    assert _retry_after(any_db, "new@example.com", "203.0.113.6", NOW) is None


@pytest.mark.parametrize("email", ["x" * 400 + "@example.com"])
def test_long_values_are_cut_to_the_columns(any_db: Db, email: str) -> None:
    _fail(any_db, email, "c" * 200, NOW)
    assert _retry_after(any_db, email, "c" * 200, NOW) is None
