"""The outbox part of the fake unit of work (events, SPEC R2/R3), kept apart like the access
part. It relies on the table plumbing of `FakeUnitOfWork` (tests/fakes.py), which mixes it in."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from prorata.adapters.db import mapping as m
from prorata.domain.model import Event
from prorata.ids import new_id


class FakeEvents:
    """Mixed into FakeUnitOfWork; `_rows`, `_get`, `_put` and `_db` come from it."""

    _rows: Any
    _get: Any
    _put: Any
    _db: Any

    def add_events(self, new: list[Event]) -> int:
        taken = {r["obj"].dedup_key for r in self._rows("events")} - {None}
        written = 0
        for event in new:
            if event.created_on is None:
                raise ValueError(f"event {event.type!r} has no created_on")
            if event.dedup_key is not None and event.dedup_key in taken:
                continue
            event.id = event.id or new_id("evt")
            customer = event.customer
            if customer is None and event.subscription is not None:
                sub = self._get("subscriptions", event.subscription)
                customer = None if sub is None else sub["obj"].customer
            stored = replace(event, customer=customer, data=m.jsonable(event.data))
            self._put("events", event.id, {"obj": stored, "seq": next(self._db.seq)})
            if event.dedup_key is not None:
                taken.add(event.dedup_key)
            written += 1
        return written
