"""Issue 13: on PostgreSQL a subscription's writes (operations and their previews, purchase,
auto-renewal switch) run on the event loop through the asynchronous driver — the caller's
look-up and the write in one unit of work of `Database.loop_engine`, never in a worker thread —
and still commit once, replay by Idempotency-Key, survive a connection the server ended, and
give every connection back whatever the answer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy.util.concurrency import in_greenlet

from prorata.adapters.db.ledger import Ledger
from tests.e2e.lifecycle import buy, ok, op, seats_plan, setup

pytestmark = pytest.mark.postgres


@contextmanager
def statements(api: TestClient) -> Iterator[list[tuple[str, int, bool]]]:
    """(engine, thread, in a greenlet) of every statement the app sends."""
    database = api.app.state.database  # type: ignore[attr-defined]
    seen: list[tuple[str, int, bool]] = []
    listeners = []
    for name, engine in (("threads", database.engine), ("loop", database.loop_engine())):
        def sent(*_: Any, name: str = name) -> None:
            seen.append((name, threading.get_ident(), in_greenlet()))
        event.listen(engine, "before_cursor_execute", sent)
        listeners.append((engine, sent))
    try:
        yield seen
    finally:
        for engine, sent in listeners:
            event.remove(engine, "before_cursor_execute", sent)


def _history(api: TestClient) -> int:
    return len(ok(api.get("/v1/subscriptions/sub1/operations"))["data"])


def _checked_out(api: TestClient) -> list[int]:
    database = api.app.state.database  # type: ignore[attr-defined]
    return [database.engine.pool.checkedout(), database.loop_engine().pool.checkedout()]


@pytest.fixture
def pg(client_factory: Any) -> TestClient:
    api = client_factory("postgres")
    setup(api, seats_plan("basic", "monthly", "6.00"))
    return api


def test_a_subscription_write_never_leaves_the_loop(pg: TestClient) -> None:
    writes = [
        lambda: op(pg, {"type": "change_resources", "resources": {"seats": 12}}),
        lambda: op(pg, {"type": "change_resources", "resources": {"seats": 14},
                        "preview": True}),
        lambda: pg.patch("/v1/subscriptions/sub1", json={"auto_renew": False}),
        lambda: pg.post("/v1/subscriptions", json={"id": "sub2", "customer": "acme",
                                                   "plan": "basic", "resources": {"seats": 3}}),
    ]
    buy(pg, "basic", 10)
    for send in writes:
        with statements(pg) as seen:
            ok(send())
        assert seen, "nothing was sent"
        # the key look-up and the write: one engine, one thread (the loop's), in greenlets
        assert {name for name, _, _ in seen} == {"loop"}
        assert len({thread for _, thread, _ in seen}) == 1
        assert all(greenlet for _, _, greenlet in seen)
    assert ok(pg.get("/v1/subscriptions/sub1"))["resources"] == {"seats": 12}
    assert ok(pg.get("/v1/subscriptions/sub2"))["status"] == "active"
    assert _checked_out(pg) == [0, 0]


def test_a_write_on_the_loop_commits_once_and_replays(pg: TestClient) -> None:
    # SPEC S12 on the loop: the same key answers the same, and writes nothing more
    buy(pg, "basic", 10)
    before = _history(pg)
    body = {"type": "change_resources", "resources": {"seats": 12}}
    headers = {"Idempotency-Key": "loop-1"}
    first = pg.post("/v1/subscriptions/sub1/operations", json=body, headers=headers)
    again = pg.post("/v1/subscriptions/sub1/operations", json=body, headers=headers)
    assert ok(first) == ok(again) and again.headers.get("Idempotent-Replayed") == "true"
    assert _history(pg) == before + 1
    reused = pg.post("/v1/subscriptions/sub1/operations", headers=headers,
                     json={"type": "change_resources", "resources": {"seats": 13}})
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert _history(pg) == before + 1


def test_a_refused_write_on_the_loop_changes_nothing_and_keeps_no_connection(
        pg: TestClient, client_factory: Any) -> None:
    buy(pg, "basic", 10)
    before = _history(pg)
    refused = [
        op(pg, {"type": "change_resources", "resources": {"seats": 10}}),  # nothing to change
        op(pg, {"type": "change_resources", "resources": {"seats": 10 ** 9}}),  # above max
        op(pg, {"type": "change_resources", "resources": {"seats": 12}, "nope": 1}),  # field
        op(pg, {"type": "change_resources", "resources": {"seats": 12}}, sub="nope"),
        pg.patch("/v1/subscriptions/sub1", json={"auto_renew": "maybe"}),
    ]
    for response in refused:
        assert 400 <= response.status_code < 500, response.text
    assert _history(pg) == before
    assert ok(pg.get("/v1/subscriptions/sub1"))["resources"] == {"seats": 10}
    stranger = client_factory("postgres", key="not-a-key")
    assert op(stranger, {"type": "change_resources", "resources": {"seats": 12}}).status_code \
        == 401
    assert _checked_out(pg) == [0, 0]


@pytest.mark.parametrize("caller", ["operator key", "stored key"])
def test_a_write_on_the_loop_outlives_a_dropped_connection(pg: TestClient, caller: str) -> None:
    # The loop's connections are not pinged: the caller's look-up (a stored key's statement,
    # or the operator key's SELECT 1) finds one the server ended (a restart does that to all
    # of them), runs again on a new one, and the write follows.
    buy(pg, "basic", 10)
    if caller == "stored key":
        secret = ok(pg.post("/v1/api-keys", json={"customer": "acme"}))["secret"]
        pg.headers["Authorization"] = f"Bearer {secret}"
    ok(op(pg, {"type": "change_resources", "resources": {"seats": 11}}))
    before = _history(pg)
    with pg.app.state.database.engine.connect() as conn:  # type: ignore[attr-defined]
        ended = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
    assert ended >= 1
    ok(op(pg, {"type": "change_resources", "resources": {"seats": 12}}))
    assert _history(pg) == before + 1
    assert ok(pg.get("/v1/subscriptions/sub1"))["resources"] == {"seats": 12}


def test_a_key_stored_first_by_a_concurrent_request_is_replayed_on_the_loop(
        pg: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # SPEC S12: two requests with one key at once. The second looked the key up before the
    # first committed, so it runs the use case too; storing the key then meets the first's
    # record (DuplicateKey), and it answers that record, looked up again on the loop.
    buy(pg, "basic", 10)
    body = {"type": "change_resources", "resources": {"seats": 12}, "preview": True}
    headers = {"Idempotency-Key": "race-1"}
    first = ok(pg.post("/v1/subscriptions/sub1/operations", json=body, headers=headers))
    looked_up = Ledger.get_idempotent
    calls: list[str] = []

    def not_yet_committed(self: Ledger, scope: Any, key: str) -> Any:
        calls.append(key)
        return None if len(calls) == 1 else looked_up(self, scope, key)

    monkeypatch.setattr(Ledger, "get_idempotent", not_yet_committed)
    with statements(pg) as seen:
        second = pg.post("/v1/subscriptions/sub1/operations", json=body, headers=headers)
    assert ok(second) == first and second.headers.get("Idempotent-Replayed") == "true"
    assert calls == ["race-1", "race-1"]  # before the use case, and after DuplicateKey
    assert {name for name, _, _ in seen} == {"loop"} and all(g for _, _, g in seen)
    monkeypatch.undo()
    changed = {"type": "change_resources", "resources": {"seats": 13}, "preview": True}
    reused = pg.post("/v1/subscriptions/sub1/operations", json=changed, headers=headers)
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert _checked_out(pg) == [0, 0]
