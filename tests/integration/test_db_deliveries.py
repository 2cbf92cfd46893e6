"""Deliveries on both databases (SPEC R3): made once per event and target, claimed by one
worker at a time, the same id on every attempt, a dead worker's claim taken over, outcomes
recorded once, and an endpoint that keeps failing disabled."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from prorata.adapters.db import Database
from prorata.adapters.db.deliveries import Outcome, Policy, claim, fan_out, record
from prorata.adapters.db.schema import deliveries, delivery_attempts, webhook_endpoints
from prorata.domain.model import Customer, Event
from tests.dbfixtures import sample_subscription, seed_catalog

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
DAY = date(2025, 1, 1)
LEASE = timedelta(minutes=5)
POLICY = Policy(max_attempts=3, delay=lambda n: timedelta(minutes=n),
                disable_after=4, disable_after_age=timedelta(0))


def _world(db: Database) -> None:
    """operator ── nw ── acme (it@acme.example); other ── beta; direct customer solo."""
    with db.uow() as uow:
        uow.add_reseller("nw", "Northwind", None, email="mgr@nw.example")
        uow.add_reseller("other", "Other", None)
        seed_catalog(uow, customer="acme", reseller="nw")
        uow.update_customer(Customer("acme", "Acme", reseller="nw", email="it@acme.example"))
        uow.add_customer(Customer("beta", "Beta", reseller="other", email="it@beta.example"))
        uow.add_customer(Customer("solo", "Solo"))
        uow.add_subscription(sample_subscription())
        for eid, reseller, kinds in (("we-op", None, []), ("we-nw", "nw", []),
                                     ("we-other", "other", []),
                                     ("we-pay", None, ["payment_failed"])):
            uow.add_endpoint({"id": eid, "reseller": reseller, "url": "http://127.0.0.1:9/x",
                              "events": kinds, "secret": "whsec_c2VjcmV0"})
        uow.commit()


def _emit(db: Database, *found: tuple[str, str]) -> list[str]:
    with db.uow() as uow:
        made = [Event(kind, {"n": i}, customer=customer, created_on=DAY)
                for i, (kind, customer) in enumerate(found)]
        uow.add_events(made)
        uow.commit()
    return [e.id or "" for e in made]


def _rows(db: Database, table: Any = deliveries) -> list[Any]:
    with db.uow(read_only=True) as uow:
        return list(uow.connection.execute(select(table)).all())


def test_fan_out_makes_each_delivery_once_in_its_owners_scope(database: Database) -> None:
    # SPEC R3 + P2: the operator's endpoint gets every event, a reseller's only its subtree's,
    # a filtered one only its types; e-mail to the customer, manager events to the reseller.
    _world(database)
    acme, beta, usage = _emit(database, ("subscription_renewed", "acme"),
                              ("payment_failed", "beta"), ("consumption_processed", "acme"))
    assert fan_out(database, NOW, mail=True) == 3
    assert fan_out(database, NOW, mail=True) == 0  # dispatched: never again
    targets = {(r.event_id, r.target) for r in _rows(database)}
    assert targets == {
        (acme, "webhook:we-op"), (acme, "webhook:we-nw"), (acme, "email:it@acme.example"),
        (beta, "webhook:we-op"), (beta, "webhook:we-other"), (beta, "webhook:we-pay"),
        (beta, "email:it@beta.example"),
        (usage, "webhook:we-op"), (usage, "webhook:we-nw"), (usage, "email:mgr@nw.example")}
    assert all(r.status == "pending" and r.attempts == 0 for r in _rows(database))


def test_an_endpoint_made_after_an_event_does_not_get_it(database: Database) -> None:
    _world(database)
    _emit(database, ("subscription_renewed", "solo"))
    with database.uow() as uow:
        uow.add_endpoint({"id": "we-late", "reseller": None, "url": "http://127.0.0.1:9/",
                          "events": [], "secret": "whsec_c2VjcmV0"})
        uow.commit()
    fan_out(database, NOW, mail=False)
    assert {r.target for r in _rows(database)} == {"webhook:we-op"}


def _one_delivery(database: Database) -> str:
    """A direct customer's event: only the operator's endpoint sees it."""
    _world(database)
    _emit(database, ("subscription_renewed", "solo"))
    fan_out(database, NOW, mail=False)
    return str(_rows(database)[0].id)


def test_a_claim_is_held_until_its_lease_ends_and_keeps_the_id(database: Database) -> None:
    # SPEC R3: a worker that died mid-send loses its claim after the lease; the next attempt
    # is the same delivery (same webhook-id), counted as attempt 2.
    msg = _one_delivery(database)
    first = claim(database, NOW, NOW, force=False, limit=10, lease=LEASE)
    assert [(c.id, c.attempt) for c in first] == [(msg, 1)]
    assert claim(database, NOW, NOW, force=False, limit=10, lease=LEASE) == []
    later = NOW + LEASE + timedelta(seconds=1)
    second = claim(database, later, later, force=False, limit=10, lease=LEASE)
    assert [(c.id, c.attempt) for c in second] == [(msg, 2)]
    # The first worker comes back: its claim is gone, so its outcome changes nothing.
    record(database, [(first[0], Outcome(True, 200))], later, POLICY)
    assert _rows(database)[0].status == "pending"
    record(database, [(second[0], Outcome(True, 204))], later, POLICY)
    row = _rows(database)[0]
    assert (row.status, row.last_status_code, row.claim) == ("succeeded", 204, None)


def test_failures_back_off_then_give_up_with_every_attempt_logged(database: Database) -> None:
    msg = _one_delivery(database)
    now = NOW
    for attempt in (1, 2, 3):
        [item] = claim(database, now, now, force=False, limit=10, lease=LEASE)
        assert item.attempt == attempt
        record(database, [(item, Outcome(False, 500, "HTTP 500"))], now, POLICY)
        row = _rows(database)[0]
        if attempt < 3:
            assert row.status == "pending"
            assert claim(database, now, now, force=False, limit=10, lease=LEASE) == []
            now = now + POLICY.delay(attempt)
    assert _rows(database)[0].status == "failed"
    log = _rows(database, delivery_attempts)
    assert sorted((r.delivery_id, r.attempt, r.status_code) for r in log) == [
        (msg, 1, 500), (msg, 2, 500), (msg, 3, 500)]


def test_force_takes_each_pending_delivery_once_per_round(database: Database) -> None:
    _one_delivery(database)
    [item] = claim(database, NOW, NOW, force=True, limit=10, lease=LEASE)
    record(database, [(item, Outcome(False, 503, "busy"))], NOW, POLICY)
    # `started` is the wall-clock start of a round: attempted since then, not again.
    assert claim(database, NOW, item.event_created_at - timedelta(days=1), force=True,
                 limit=10, lease=LEASE) == []
    later_round = datetime.now(UTC) + timedelta(seconds=1)
    assert len(claim(database, NOW, later_round, force=True, limit=10, lease=LEASE)) == 1


def test_an_endpoint_that_keeps_failing_is_disabled_and_its_deliveries_wait(
        database: Database) -> None:
    _world(database)
    _emit(database, *[("subscription_renewed", "solo")] * 5)
    fan_out(database, NOW, mail=False)
    batch = claim(database, NOW, NOW, force=False, limit=4, lease=LEASE)
    record(database, [(c, Outcome(False, None, "timed out")) for c in batch], NOW, POLICY)
    with database.uow(read_only=True) as uow:
        ep = uow.connection.execute(select(webhook_endpoints).where(
            webhook_endpoints.c.id == "we-op")).one()
    assert not ep.enabled and "4 failed attempts" in ep.disabled_reason
    next_round = datetime.now(UTC) + timedelta(seconds=1)
    assert claim(database, NOW + timedelta(days=1), next_round, force=True, limit=10,
                 lease=LEASE) == []  # paused, not lost
    with database.uow() as uow:
        uow.update_endpoint("we-op", {"enabled": True, "failures": 0})
        uow.commit()
    assert len(claim(database, NOW + timedelta(days=1), next_round, force=True,
                     limit=10, lease=LEASE)) == 5


def test_concurrent_workers_claim_disjoint_deliveries(database: Database) -> None:
    # SPEC R3, V5: several worker processes at once; each delivery is attempted by one.
    _world(database)
    _emit(database, *[("subscription_renewed", "solo")] * 40)
    fan_out(database, NOW, mail=False)
    got: list[list[str]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            mine: list[str] = []
            while batch := claim(database, NOW, NOW, force=False, limit=3, lease=LEASE):
                mine += [c.id for c in batch]
            got.append(mine)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    claimed = [i for mine in got for i in mine]
    assert len(claimed) == len(set(claimed)) == 40  # solo's events: the operator's endpoint
