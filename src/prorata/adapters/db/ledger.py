"""The money half of the unit of work: charge lines (B1), exchange rates (T6), idempotency
records (S12) and settings. Split from uow.py only to keep files short."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from prorata.adapters.db import line_reads
from prorata.adapters.db import mapping as m
from prorata.adapters.db.schema import (
    charge_lines,
    events,
    exchange_rates,
    idempotency_keys,
    settings,
    subscriptions,
)
from prorata.adapters.db.session import Session, chunks, utcnow
from prorata.domain.model import ChargeLine, Event
from prorata.ids import new_id
from prorata.services.ports import Page, Scope


class Ledger(Session):
    def _customers_of(self, sub_ids: Iterable[str | None]) -> dict[str, str]:
        """subscription id -> customer id, for rows that carry both. A subscription this unit
        of work loaded is not asked for again (a subscription never changes customer)."""
        known, given = self._owners, [s for s in sub_ids if s is not None]
        owners = {s: known[s] for s in given if s in known}
        wanted = sorted({s for s in given if s not in owners})
        for part in chunks(wanted):
            rows = self.connection.execute(
                select(subscriptions.c.id, subscriptions.c.customer_id)
                .where(subscriptions.c.id.in_(part)))
            owners.update((row.id, row.customer_id) for row in rows)
        return owners

    # --- charge lines (B1) -----------------------------------------------------------------

    def add_lines(self, lines: list[ChargeLine]) -> None:
        """One executemany. Lines are never updated (B1), so there is no update method. A
        line without an id gets one; without a customer, its subscription's. No caller goes on
        in the transaction after a line fails to insert (server-made ids do not collide; a
        missing customer is a bug), so there is no SAVEPOINT (two round trips, issue 13)."""
        if not lines:
            return
        owners = self._customers_of(ln.subscription for ln in lines if ln.customer is None)
        rows = []
        for line in lines:
            row = m.line_values(line)
            if row["customer_id"] is None:
                row["customer_id"] = owners.get(line.subscription or "")
                if row["customer_id"] is None:
                    raise ValueError(f"charge line {line.description!r} has no customer")
            if line.created_on is None:
                raise ValueError(f"charge line {line.description!r} has no created_on")
            row["id"] = line.id or new_id("ln")
            rows.append(row)
        self._insert_unique(charge_lines, rows, "charge line", carry_on=False)

    def list_lines(self, customer_id: str, limit: int, starting_after: str | None) -> Page:
        """Oldest first, in the order written."""
        return line_reads.page(self.connection, line_reads.LineFilter(customer=customer_id),
                               limit, starting_after)

    def lines_for_operation(self, op_id: str) -> list[ChargeLine]:
        return line_reads.of_operations(self.connection, [op_id])[op_id]

    def net_charged(self, sub_id: str, since: date | None) -> Decimal:
        return line_reads.net_charged(self.connection, sub_id, since)

    # --- events (R2, R3): the outbox -------------------------------------------------------

    def add_events(self, new: list[Event]) -> int:
        """Stores events in this transaction; answers how many were written. An event whose
        `dedup_key` is taken was emitted before and is skipped (exactly once, S12). Events
        without an id get one (set on the object); without a customer, their subscription's."""
        if not new:
            return 0
        owners = self._customers_of(e.subscription for e in new if e.customer is None)
        rows = []
        for event in new:
            if event.created_on is None:
                raise ValueError(f"event {event.type!r} has no created_on")
            event.id = event.id or new_id("evt")
            customer = event.customer or owners.get(event.subscription or "")
            rows.append(m.event_values(event) | {"customer_id": customer,
                                                 "created_at": utcnow()})
        stmt = self._upsert_insert(events).on_conflict_do_nothing(
            index_elements=[events.c.dedup_key])
        with self._unique("event"):
            self.connection.execute(stmt, rows)
        return len(self._existing(events.c.id, [r["id"] for r in rows]))

    # --- exchange rates (T6) ---------------------------------------------------------------

    def add_rate(self, src: str, dst: str, rate: Decimal, effective_from: date) -> None:
        """A second rate for the same pair and day is a `DuplicateKey`: rates already used on
        charge lines must not change under them."""
        if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0:
            raise ValueError(f"an exchange rate must be a positive Decimal, got {rate!r}")
        row = {"src": src, "dst": dst, "rate": format(rate, "f"),
               "effective_from": effective_from}
        self._insert_unique(exchange_rates, [row],
                            f"rate {src}->{dst} from {effective_from.isoformat()}")

    def rates(self, src: str, dst: str) -> list[tuple[date, Decimal]]:
        rows = self.connection.execute(
            select(exchange_rates.c.effective_from, exchange_rates.c.rate)
            .where(exchange_rates.c.src == src, exchange_rates.c.dst == dst)
            .order_by(exchange_rates.c.effective_from)).all()
        return [(r.effective_from, Decimal(r.rate)) for r in rows]

    def latest_rates(self, limit: int) -> list[tuple[str, str, date, Decimal]]:
        c = exchange_rates.c
        rows = self.connection.execute(
            select(c.src, c.dst, c.effective_from, c.rate)
            .order_by(c.effective_from.desc(), c.src, c.dst).limit(limit)).all()
        return [(r.src, r.dst, r.effective_from, Decimal(r.rate)) for r in rows]

    # --- idempotency (S12) and settings ----------------------------------------------------

    def _idem_key(self, scope: Scope, key: str) -> Any:
        c = idempotency_keys.c
        return (c.scope_kind == scope.kind) & (c.scope_party == scope.party) & (c.key == key)

    def get_idempotent(self, scope: Scope, key: str) -> dict[str, Any] | None:
        record = self.connection.execute(
            select(idempotency_keys.c.record).where(self._idem_key(scope, key))).scalar()
        return None if record is None else dict(record)

    def put_idempotent(self, scope: Scope, key: str, record: dict[str, Any]) -> None:
        """`DuplicateKey` when a concurrent request with the same key stored first; the caller
        then answers with that one's record."""
        row = {"scope_kind": scope.kind, "scope_party": scope.party, "key": key,
               "record": m.jsonable(record), "created_at": utcnow()}
        self._insert_unique(idempotency_keys, [row], f"idempotency key {key!r}")

    def get_setting(self, key: str) -> Any:
        """None when never set: callers apply their own defaults."""
        return self.connection.execute(
            select(settings.c.value).where(settings.c.key == key)).scalar()

    def put_setting(self, key: str, value: Any) -> None:
        stmt = self._upsert_insert(settings).values(key=key, value=m.jsonable(value))
        self.connection.execute(stmt.on_conflict_do_update(
            index_elements=[settings.c.key], set_={"value": stmt.excluded.value}))
