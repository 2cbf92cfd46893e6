"""SQLite writers of one process take turns on a lock of the engine before SQLite's own
(adapters/db/database.py, issue 13): woken at the release instead of polling in SQLite's busy
handler. A turn that were never given back would stop every writer, so each way a write
transaction can end is checked to give it back."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from prorata.adapters.db import Database
from prorata.adapters.db import database as database_module


@pytest.fixture
def db(tmp_path, monkeypatch):
    # A lost turn would block the next writer this long, then fail: the tests fail fast.
    monkeypatch.setattr(database_module, "BUSY_SECONDS", 2)
    database = Database(f"sqlite:///{tmp_path / 'turns.db'}")
    with database.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    yield database
    database.dispose()


def _write(database: Database, n: int) -> None:
    with database.engine.connect() as conn:
        conn.begin()
        conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
        conn.commit()


def test_the_turn_is_given_back_by_commit_rollback_error_and_invalidation(db):
    _write(db, 1)  # commit
    with db.engine.connect() as conn:  # rollback
        conn.begin()
        conn.execute(text("INSERT INTO t VALUES (2)"))
        conn.rollback()
    with pytest.raises(ZeroDivisionError), db.engine.connect() as conn:  # an error, closed
        conn.begin()
        conn.execute(text("INSERT INTO t VALUES (3)"))
        raise ZeroDivisionError
    with db.engine.connect() as conn:  # the connection invalidated mid-transaction
        conn.begin()
        conn.execute(text("INSERT INTO t VALUES (4)"))
        conn.invalidate()
        conn.rollback()  # what SQLAlchemy asks for after an invalidation
    _write(db, 5)  # would wait BUSY_SECONDS and fail if any turn above were lost
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM t ORDER BY n")).scalars().all() == [1, 5]


def test_a_second_writer_waits_for_the_first_and_then_writes(db):
    order: list[str] = []
    first = db.engine.connect()
    first.begin()
    first.execute(text("INSERT INTO t VALUES (1)"))

    def second() -> None:
        order.append("second asks")
        _write(db, 2)
        order.append("second wrote")

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(0.3)
    assert order == ["second asks"]  # waiting for the turn, not failing
    order.append("first commits")
    first.commit()
    first.close()
    thread.join(5)
    assert order == ["second asks", "first commits", "second wrote"]


def test_a_writer_that_never_gets_the_turn_fails_like_a_locked_database(db):
    first = db.engine.connect()
    first.begin()
    first.execute(text("INSERT INTO t VALUES (1)"))
    failed: list[BaseException] = []

    def second() -> None:
        try:
            _write(db, 2)
        except Exception as exc:  # noqa: BLE001 - the test looks at what it was
            failed.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(10)
    first.rollback()
    first.close()
    assert len(failed) == 1 and "database is locked" in str(failed[0])
    _write(db, 3)  # the failed writer left no turn behind
