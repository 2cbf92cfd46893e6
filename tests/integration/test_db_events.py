"""The events outbox (SPEC R2, R3): stored with the change that causes them, once per dedup
key, through the unit of work and through the daily run's bulk path alike."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from prorata.adapters.db import Database
from prorata.adapters.db import mapping as m
from prorata.adapters.db.schema import events
from prorata.domain.engine import Decision
from prorata.domain.model import Event
from prorata.scheduler.batch import LostRace, write_batch
from tests.dbfixtures import sample_subscription, seed_catalog

DAY = date(2024, 9, 1)


def _stored(db: Database) -> list[Event]:
    with db.uow(read_only=True) as uow:
        rows = uow.connection.execute(select(events).order_by(events.c.seq)).all()
    return [m.row_to_event(r) for r in rows]


def _seeded(db: Any) -> None:
    with db.uow() as uow:
        seed_catalog(uow)
        uow.add_subscription(sample_subscription())
        uow.commit()


def test_events_are_stored_once_per_dedup_key(any_db: Any) -> None:  # SPEC R3
    _seeded(any_db)
    with any_db.uow() as uow:
        first = Event("subscription_expiring", {"auto_renew": True}, subscription="sub1",
                      dedup_key="expiring:sub1:2025-08-20", created_on=DAY)
        plain = Event("payment_succeeded", {"amount": "1.00"}, customer="acme", created_on=DAY)
        assert uow.add_events([first, plain]) == 2
        assert first.id and first.id.startswith("evt_") and plain.id
        again = Event("subscription_expiring", {}, subscription="sub1",
                      dedup_key="expiring:sub1:2025-08-20", created_on=DAY)
        assert uow.add_events([again]) == 0
        uow.commit()
    if isinstance(any_db, Database):
        stored = _stored(any_db)
        assert [e.type for e in stored] == ["subscription_expiring", "payment_succeeded"]
        assert stored[0].customer == "acme"  # taken from the subscription
        assert stored[0].data == {"auto_renew": True}


def test_an_event_without_a_date_is_refused(any_db: Any) -> None:
    _seeded(any_db)
    with any_db.uow() as uow, pytest.raises(ValueError):
        uow.add_events([Event("payment_failed", customer="acme")])


def test_the_daily_runs_bulk_path_writes_events_once(database: Database) -> None:  # SPEC S12
    _seeded(database)
    with database.uow() as uow:
        sub = uow.get_subscription(m_operator(), "sub1")
    assert sub is not None
    event = Event("subscription_expired", {"expired_on": "2025-08-20"},
                  dedup_key="expired:sub1:2025-08-20")
    with database.uow(batch=True) as uow:
        write_batch(uow, [(sub, [Decision(sub, None, events=[event])])], DAY)
        uow.commit()
    stored = _stored(database)
    assert [(e.type, e.customer, e.subscription, e.created_on) for e in stored] == [
        ("subscription_expired", "acme", "sub1", DAY)]
    # A second run that decided the same event lost the race: its batch is redone.
    twin = Event("subscription_expired", {}, dedup_key="expired:sub1:2025-08-20")
    with database.uow(batch=True) as uow, pytest.raises(LostRace):
        write_batch(uow, [(sub, [Decision(sub, None, events=[twin])])], DAY)


def m_operator() -> Any:
    from prorata.services.ports import OPERATOR
    return OPERATOR
