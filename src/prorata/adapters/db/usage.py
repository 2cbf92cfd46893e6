"""The consumption half of the unit of work (SPEC B4): bulk insert of usage records, the
daily run's claim of the records it charges, and the sums the rating and analytics read.

Imports go below SQLAlchemy to the driver: sqlite3's `executemany` (one prepared statement
stepped per row in C) and PostgreSQL's `COPY` into a temporary table followed by one
`INSERT … SELECT … ON CONFLICT DO NOTHING`. Either way duplicates are decided by the primary
key in the database, never by a lookup per record, and the number written is the driver's
row count."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select, update

from prorata.adapters.db.schema import customers, subscriptions
from prorata.adapters.db.session import Session, chunks
from prorata.adapters.db.usage_schema import usage_charges, usage_records

_COLUMNS = ("subscription_id", "id", "customer_id", "usage_date", "meter", "category",
            "quantity", "cost")
_SQLITE_INSERT = (f"INSERT INTO usage_records ({', '.join(_COLUMNS)}) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")


def _copy_text(value: str) -> str:
    """COPY's text format: a backslash is the escape character (ids are printable, so tabs
    and newlines never occur)."""
    return value.replace("\\", "\\\\") if "\\" in value else value


class UsageWriter:
    """Writes one import in chunks inside the unit of work's transaction; `finish` answers how
    many records were new. Nothing is visible (or kept) unless the unit of work commits."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._sqlite = conn.dialect.name == "sqlite"
        self._written = 0
        self._staged = False
        self._iso: dict[date, str] = {}

    def _day(self, day: date) -> str:
        text = self._iso.get(day)
        if text is None:
            text = self._iso[day] = day.isoformat()
        return text

    def add(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        raw = self._conn.connection.driver_connection
        if self._sqlite:
            day = self._day
            cur = raw.cursor()
            cur.executemany(_SQLITE_INSERT, [(r[0], r[1], r[2], day(r[3]), r[4], r[5], r[6], r[7])
                                             for r in rows])
            self._written += cur.rowcount
            return
        with raw.cursor() as cur:
            if not self._staged:
                cur.execute("CREATE TEMPORARY TABLE usage_import (LIKE usage_records) "
                            "ON COMMIT DROP")
                self._staged = True
            day, esc = self._day, _copy_text
            data = "".join(f"{esc(r[0])}\t{esc(r[1])}\t{esc(r[2])}\t{day(r[3])}\t{r[4]}\t{r[5]}"
                           f"\t{r[6]}\t{r[7]}\n" for r in rows)
            with cur.copy(f"COPY usage_import ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
                copy.write(data)

    def finish(self) -> int:
        if self._staged:
            raw = self._conn.connection.driver_connection
            with raw.cursor() as cur:
                cur.execute(f"INSERT INTO usage_records ({', '.join(_COLUMNS)}) "
                            f"SELECT {', '.join(_COLUMNS)} FROM usage_import "
                            "ON CONFLICT DO NOTHING")
                self._written += cur.rowcount
                cur.execute("DROP TABLE usage_import")
            self._staged = False
        return self._written


class UsageStore(Session):
    def usage_writer(self) -> UsageWriter:
        return UsageWriter(self.connection)

    def usage_due(self, day: date) -> list[str]:
        """Subscriptions with records dated before `day` not charged yet, of customers whose
        billing day `day` is (T3: billing days are 1-28, so every month has each)."""
        query = (select(usage_records.c.subscription_id).distinct()
                 .join(customers, customers.c.id == usage_records.c.customer_id)
                 .where(customers.c.billing_day == day.day,
                        usage_records.c.charged_on.is_(None),
                        usage_records.c.usage_date < day)
                 .order_by(usage_records.c.subscription_id))
        return list(self.connection.execute(query).scalars())

    def claim_usage(self, sub_id: str, day: date) -> int:
        """Marks the records the billing day `day` charges: every one still uncharged dated
        before it (late ones of earlier months included). A conditional UPDATE, so records
        claimed by a concurrent run are not claimed again."""
        result = self.connection.execute(
            update(usage_records)
            .where(usage_records.c.subscription_id == sub_id,
                   usage_records.c.charged_on.is_(None), usage_records.c.usage_date < day)
            .values(charged_on=day))
        return int(result.rowcount or 0)

    def usage_daily_sums(self, sub_id: str, *, charged_on: date | None = None,
                         ) -> list[tuple[date, str, str, int, int, int]]:
        """(date, meter, category, quantity, cost, records): per day, so a billing month of
        any billing day can be formed from them, whatever the customer's billing day."""
        r = usage_records.c
        query = (select(r.usage_date, r.meter, r.category, func.sum(r.quantity),
                        func.sum(r.cost), func.count())
                 .where(r.subscription_id == sub_id)
                 .group_by(r.usage_date, r.meter, r.category))
        if charged_on is not None:
            query = query.where(r.charged_on == charged_on)
        return [(row[0], row[1], row[2], int(row[3]), int(row[4]), int(row[5]))
                for row in self.connection.execute(query)]

    def add_usage_charges(self, rows: list[dict[str, Any]]) -> None:
        """Raises `DuplicateKey` when the same billing day already charged a bucket."""
        self._insert_unique(usage_charges, rows, "usage charge")

    def usage_charged(self, sub_id: str) -> list[tuple[date, str, str, Any]]:
        """(month, meter, category, amount) summed over every billing day that charged it."""
        c = usage_charges.c
        rows = self.connection.execute(
            select(c.month, c.meter, c.category, func.sum(c.amount))
            .where(c.subscription_id == sub_id).group_by(c.month, c.meter, c.category))
        return [(row[0], row[1], row[2], row[3]) for row in rows]

    def subscriptions_of(self, customer_id: str) -> list[str]:
        return list(self.connection.execute(
            select(subscriptions.c.id).where(subscriptions.c.customer_id == customer_id)
            .order_by(subscriptions.c.id)).scalars())

    def usage_subscriptions(self, sub_ids: list[str]) -> set[str]:
        """Those of `sub_ids` that have any usage record."""
        found: set[str] = set()
        for part in chunks(sorted(sub_ids)):
            found.update(self.connection.execute(
                select(usage_records.c.subscription_id).distinct()
                .where(usage_records.c.subscription_id.in_(part))).scalars())
        return found
