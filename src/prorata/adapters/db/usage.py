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

from sqlalchemy import delete, func, select, update

from prorata.adapters.db.schema import customers, subscriptions
from prorata.adapters.db.session import Session, chunks
from prorata.adapters.db.usage_schema import usage_charges, usage_pending, usage_records

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
    many records were new. Nothing is visible (or kept) unless the unit of work commits. On
    PostgreSQL the staged rows go in in key order: the primary key's B-tree is then filled
    page by page (a third faster than in arrival order, measured)."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._sqlite = conn.dialect.name == "sqlite"
        self._written = 0
        self._staged = False

    def add(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        raw = self._conn.connection.driver_connection
        if self._sqlite:
            cur = raw.cursor()
            cur.executemany(_SQLITE_INSERT, rows)
            self._written += cur.rowcount
            return
        with raw.cursor() as cur:
            if not self._staged:
                cur.execute("CREATE TEMPORARY TABLE usage_import (LIKE usage_records) "
                            "ON COMMIT DROP")
                self._staged = True
            esc = _copy_text
            data = "".join(f"{esc(r[0])}\t{esc(r[1])}\t{esc(r[2])}\t{r[3]}\t{r[4]}\t{r[5]}"
                           f"\t{r[6]}\t{r[7]}\n" for r in rows)
            with cur.copy(f"COPY usage_import ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
                copy.write(data)

    def finish(self) -> int:
        if self._staged:
            raw = self._conn.connection.driver_connection
            with raw.cursor() as cur:
                cur.execute(f"INSERT INTO usage_records ({', '.join(_COLUMNS)}) "
                            f"SELECT {', '.join(_COLUMNS)} FROM usage_import "
                            "ORDER BY subscription_id, id ON CONFLICT DO NOTHING")
                self._written += cur.rowcount
                cur.execute("DROP TABLE usage_import")
            self._staged = False
        return self._written


class UsageStore(Session):
    def usage_writer(self) -> UsageWriter:
        return UsageWriter(self.connection)

    def mark_usage_pending(self, sub_id: str, customer_id: str, first_date: date) -> None:
        """The subscription has records to charge from `first_date` on (kept the earliest)."""
        ins = self._upsert_insert(usage_pending).values(
            subscription_id=sub_id, customer_id=customer_id, first_date=first_date)
        least = func.least if self.dialect == "postgresql" else func.min
        self.connection.execute(ins.on_conflict_do_update(
            index_elements=[usage_pending.c.subscription_id],
            set_={"first_date": least(usage_pending.c.first_date, ins.excluded.first_date)}))

    def usage_due(self, day: date) -> list[str]:
        """Subscriptions with records dated before `day` not charged yet, of customers whose
        billing day `day` is (T3: billing days are 1-28, so every month has each)."""
        p = usage_pending.c
        query = (select(p.subscription_id)
                 .join(customers, customers.c.id == p.customer_id)
                 .where(customers.c.billing_day == day.day, p.first_date < day)
                 .order_by(p.subscription_id))
        return list(self.connection.execute(query).scalars())

    def lock_usage_pending(self, sub_id: str) -> bool:
        """Taken first by the rating, so an import committing meanwhile is either wholly
        seen or wholly after (its upsert waits for this row): False if nothing is pending."""
        result = self.connection.execute(
            update(usage_pending).where(usage_pending.c.subscription_id == sub_id)
            .values(first_date=usage_pending.c.first_date))
        return bool(result.rowcount)

    def claim_usage(self, sub_id: str, day: date) -> int:
        """Marks the records the billing day `day` charges: every one still uncharged dated
        before it (late ones of earlier months included). A conditional UPDATE, so records
        claimed by a concurrent run are not claimed again. Then the pending mark follows
        what is left uncharged (records dated from `day` on)."""
        r = usage_records.c
        result = self.connection.execute(
            update(usage_records)
            .where(r.subscription_id == sub_id, r.charged_on.is_(None), r.usage_date < day)
            .values(charged_on=day))
        left = self.connection.execute(
            select(func.min(r.usage_date))
            .where(r.subscription_id == sub_id, r.charged_on.is_(None))).scalar()
        pending = usage_pending.c.subscription_id == sub_id
        if left is None:
            self.connection.execute(delete(usage_pending).where(pending))
        else:
            self.connection.execute(update(usage_pending).where(pending)
                                    .values(first_date=left))
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
