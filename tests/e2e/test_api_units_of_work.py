"""Issue 13: one unit of work (one pooled connection) per request; reads and previews never
take the write lock (no `BEGIN IMMEDIATE` on SQLite); writes still do, and a preview sent with
an Idempotency-Key is still recorded and replayed (SPEC S12)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from tests.e2e.lifecycle import buy, ok, op, seats_plan, setup


def engines(client: TestClient) -> list[Any]:
    """The app's engines: on PostgreSQL also the one whose connections serve the point reads
    on the event loop (Database.loop_engine)."""
    database = client.app.state.database  # type: ignore[attr-defined]
    return [database.engine] + ([database.loop_engine()]
                                if database.dialect == "postgresql" else [])


@contextmanager
def watch(api: TestClient) -> Iterator[dict[str, Any]]:
    """Counts pool checkouts and collects the statements the app's engines send."""
    seen: dict[str, Any] = {"checkouts": 0, "sql": []}

    def checkout(*_: Any) -> None:
        seen["checkouts"] += 1

    def statement(_conn: Any, _cur: Any, sql: str, *_: Any) -> None:
        seen["sql"].append(sql.strip().upper())

    for engine in engines(api):
        event.listen(engine, "checkout", checkout)
        event.listen(engine, "before_cursor_execute", statement)
    try:
        yield seen
    finally:
        for engine in engines(api):
            event.remove(engine, "checkout", checkout)
            event.remove(engine, "before_cursor_execute", statement)


def _world(api: TestClient) -> None:
    setup(api, seats_plan("basic", "monthly", "6.00"))
    buy(api, "basic", 10)


def _history(api: TestClient) -> int:
    return len(ok(api.get("/v1/subscriptions/sub1/operations"))["data"])


def test_get_is_one_read_only_unit_of_work(api: TestClient) -> None:
    # issue 13: the key lookup and the read share one connection and one transaction
    _world(api)
    with watch(api) as seen:
        ok(api.get("/v1/subscriptions/sub1"))
    assert seen["checkouts"] == 1
    assert "BEGIN IMMEDIATE" not in seen["sql"]


def test_preview_is_read_only_and_stores_nothing(api: TestClient) -> None:
    # issue 13 + SPEC S11: a preview answers the quote in a read-only transaction
    _world(api)
    before = _history(api)
    with watch(api) as seen:
        quote = ok(op(api, {"type": "change_resources", "resources": {"seats": 12},
                            "preview": True}))
    assert quote["preview"] is True and quote["lines"]
    assert seen["checkouts"] == 1
    assert "BEGIN IMMEDIATE" not in seen["sql"]
    assert _history(api) == before


def test_write_is_one_unit_of_work_with_the_write_lock(api: TestClient, db_kind: str) -> None:
    # issue 13: the write upgrades the request's unit of work on the same connection
    _world(api)
    before = _history(api)
    with watch(api) as seen:
        ok(op(api, {"type": "change_resources", "resources": {"seats": 12}}))
    assert seen["checkouts"] == 1
    if db_kind == "sqlite":
        assert seen["sql"].count("BEGIN IMMEDIATE") == 1
    assert _history(api) == before + 1


def test_preview_with_a_key_is_replayed(api: TestClient) -> None:
    # SPEC S12: with an Idempotency-Key a preview is answered again from the record
    _world(api)
    body = {"type": "change_resources", "resources": {"seats": 12}, "preview": True}
    headers = {"Idempotency-Key": "preview-1"}
    first = api.post("/v1/subscriptions/sub1/operations", json=body, headers=headers)
    again = api.post("/v1/subscriptions/sub1/operations", json=body, headers=headers)
    assert ok(first) == ok(again)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert first.headers.get("Idempotent-Replayed") is None


def test_refused_key_leaves_no_connection_behind(client_factory: Any, db_kind: str) -> None:
    # issue 13: a request that fails in the key lookup still returns its connection
    client = client_factory(db_kind, key="not-a-key")
    for _ in range(3):
        assert client.get("/v1/subscriptions/sub1").status_code == 401
        assert client.get("/v1/subscriptions").status_code == 401
    assert [engine.pool.checkedout() for engine in engines(client)] == [0] * len(engines(client))


def test_404_after_the_key_leaves_no_connection_behind(api: TestClient) -> None:
    # issue 13: a handler that fails before reading still closes the request's unit of work
    _world(api)
    assert api.get("/v1/subscriptions/nope").status_code == 404
    assert api.get("/v1/subscriptions/bad%00id").status_code == 404
    # a body refused after the caller was found: closed as the request leaves (admission.py)
    refused = api.post("/v1/subscriptions/sub1/operations", json={"type": "x", "nope": 1})
    assert 400 <= refused.status_code < 500
    assert [engine.pool.checkedout() for engine in engines(api)] == [0] * len(engines(api))


@pytest.mark.postgres
def test_a_point_read_outlives_a_dropped_connection(client_factory: Any) -> None:
    # issue 13: the point reads' connections are not pinged before use (a round trip each);
    # one the server has ended is found dead by the read, which runs again on a new one.
    api = client_factory("postgres")
    _world(api)
    ok(api.get("/v1/subscriptions/sub1"))
    engine = api.app.state.database.engine
    with engine.connect() as conn:  # what a restart of the server does to the pooled ones
        ended = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
    assert ended >= 1
    for _ in range(3):
        assert ok(api.get("/v1/subscriptions/sub1"))["id"] == "sub1"
