"""Bulk writes of the daily run: one statement per table and batch, values pre-encoded by
`bulk.Codec`.

SQLite gets a few multi-row statements per table (`VALUES (…), (…), …` of up to `_SQLITE_PARAMS`
parameters; updates join such a list with `UPDATE … FROM`). Not `executemany`, although it is
as fast alone: the sqlite3 module releases the GIL around every row's step and must win it back
after each, which crawls while the scheduler's other thread is deciding the next batch; a
multi-row statement is one step for thousands of rows, run without the GIL. PostgreSQL gets
one statement over arrays (`unnest`), one per column: a single round trip whatever the batch
size, and its row count is exact. The arrays are text literals built in C (pg_arrays.py);
psycopg packs a list into a binary array one element at a time in Python. Inserts of
operations skip rows whose `dedup_key` exists (`ON CONFLICT DO NOTHING`) and answer how many
were written, so the caller needs no follow-up query to learn whether it lost a race (S12).
Subscription updates are guarded by id and version and answer how many matched."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

from sqlalchemy import JSON, Connection, Table

from prorata.adapters.db.pg_arrays import Encoder, encoder
from prorata.adapters.db.schema import (
    LEDGER_NEXT_SQLITE,
    NextSeq,
    charge_lines,
    events,
    line_templates,
    operations,
    subscriptions,
)

OPERATION_COLUMNS = ("id", "subscription_id", "customer_id", "type", "status", "actor", "params",
                     "effective_on", "created_on", "amount", "currency", "error_code",
                     "error_message", "dedup_key", "created_at", "updated_at")
FOLDED_COLUMNS = (*OPERATION_COLUMNS, "template_id", "line_seq")
TEMPLATE_COLUMNS = ("id", "lines", "line_count", "kind", "period_start", "amount")
LINE_COLUMNS = ("id", "customer_id", "subscription_id", "operation_id", "kind", "resource",
                "description", "period_start", "period_end", "quantity", "unit_price", "amount",
                "currency", "created_on")

EVENT_COLUMNS = ("id", "type", "customer_id", "subscription_id", "data", "created_on",
                 "created_at", "dedup_key")


# Bound parameters per SQLite statement (SQLite ≥ 3.32 allows 32,766). A prepared statement
# costs memory in proportion (~0.1 KB a parameter) and the sqlite3 module keeps up to 128 of
# them per connection: at 32,766 a batch's five shapes held 16 MB on the writer's connection.
_SQLITE_PARAMS = 8192


def _chunks(total: int, size: int) -> list[tuple[int, int]]:
    """(start, end) of the statements for `total` rows, at most `size` rows each: full ones,
    then the rest in powers of two (1,000 → 512 + 256 + 128 + 64 + 32 + 8), so that a
    connection prepares and keeps a few statement shapes per table whatever the batch sizes,
    instead of one more for every remainder it meets (each up to ~1 MB)."""
    out = []
    start = 0
    while total - start >= size:
        out.append((start, start + size))
        start += size
    rest = total - start
    while rest:
        step = 1 << (rest.bit_length() - 1)
        out.append((start, start + step))
        start += step
        rest -= step
    return out


class BulkWriter:
    """Writes rows given as tuples in the column order above (subscription updates: the
    changed columns' values, then id and the version read)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"
        self._sql: dict[Any, str] = {}
        # PostgreSQL: each statement's array encoders, in the order of its parameters.
        self._encoders: dict[str, list[Encoder]] = {}

    def insert_operations(self, rows: Sequence[tuple[Any, ...]]) -> int:
        """Rows whose dedup_key is already taken are skipped; returns how many were written."""
        return self._insert(operations, OPERATION_COLUMNS, rows,
                            " ON CONFLICT (dedup_key) DO NOTHING")

    def insert_folded(self, rows: Sequence[tuple[Any, ...]]) -> int:
        """Operations whose lines are folded (adapters/db/folded.py): OPERATION_COLUMNS and
        the template id per row; each gets the next line number. Skips taken dedup keys like
        `insert_operations` (the line number drawn for a skipped row is a gap)."""
        if not rows:
            return 0
        numbered = [(*row, n) for row, n in zip(rows, self.line_numbers(len(rows)), strict=True)]
        return self._insert(operations, FOLDED_COLUMNS, numbered,
                            " ON CONFLICT (dedup_key) DO NOTHING")

    def insert_templates(self, rows: Sequence[tuple[Any, ...]]) -> int:
        """TEMPLATE_COLUMNS per row; a template already written (by another batch or
        process: its id is its content's digest) is skipped. In id order: a row another
        transaction has inserted but not committed makes this insert wait for it, and the
        daily run's two PostgreSQL writers, each holding a batch's new templates, deadlocked
        when they met the same two templates in opposite orders."""
        return self._insert(line_templates, TEMPLATE_COLUMNS, sorted(rows),
                            " ON CONFLICT (id) DO NOTHING", seq=False)

    def line_numbers(self, count: int) -> list[int]:
        """`count` numbers of the lines' order, unused by any stored or folded line: from the
        lines' sequence on PostgreSQL; on SQLite (writers serialized by the database lock)
        the next ones after every line's, as a stored line's NextSeq takes them."""
        if self.sqlite:
            base = int(self.conn.exec_driver_sql(f"SELECT {LEDGER_NEXT_SQLITE}").scalar_one())
            return list(range(base, base + count))
        return list(self.conn.exec_driver_sql(
            "SELECT nextval('charge_lines_seq') FROM generate_series(1, %s)",
            (count,)).scalars())

    def insert_lines(self, rows: Sequence[tuple[Any, ...]]) -> int:
        return self._insert(charge_lines, LINE_COLUMNS, rows, "")

    def insert_events(self, rows: Sequence[tuple[Any, ...]]) -> int:
        """Like operations: an event whose dedup_key is taken is skipped; answers how many
        were written."""
        return self._insert(events, EVENT_COLUMNS, rows, " ON CONFLICT (dedup_key) DO NOTHING")

    def insert_rows(self, table: Table, columns: tuple[str, ...],
                    rows: Sequence[tuple[Any, ...]]) -> int:
        """Rows of a table that has no `seq` column (the invoices of the money feature)."""
        return self._insert(table, columns, rows, "", seq=False)

    def update_operations(self, rows: Sequence[tuple[Any, ...]]) -> int:
        """(status, error_code, error_message, updated_at, id) per row."""
        return self._update(operations, ("status", "error_code", "error_message", "updated_at"),
                            ("id",), rows, bump_version=False)

    def update_subscriptions(self, columns: tuple[str, ...],
                             rows: Sequence[tuple[Any, ...]]) -> int:
        """Sets `columns` and bumps the version where id and version still match."""
        return self._update(subscriptions, columns, ("id", "version"), rows, bump_version=True)

    # --- statements ------------------------------------------------------------------------

    def _run(self, sql: str, rows: Sequence[tuple[Any, ...]], key: int | None = None) -> int:
        """`key`: the position of the column PostgreSQL gets a second time (see `_update`).
        On SQLite, `sql` holds `{rows}` where the chunk's `(?, …), …` list goes."""
        if not rows:
            return 0
        if self.sqlite:
            return self._run_sqlite(sql, rows)
        arrays = [encode(col) for encode, col
                  in zip(self._encoders[sql], zip(*rows, strict=True), strict=True)]
        if key is not None:
            arrays.append(arrays[key])
        return int(self.conn.exec_driver_sql(sql, tuple(arrays)).rowcount)

    def _run_sqlite(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> int:
        width = len(rows[0])
        placeholder = f"({', '.join('?' * width)})"
        count = 0
        for start, end in _chunks(len(rows), _SQLITE_PARAMS // width):
            part = rows[start:end]
            key = (sql, len(part))
            text = self._sql.get(key)
            if text is None:
                text = self._sql[key] = sql.replace("{rows}", ", ".join([placeholder] * len(part)))
            params = tuple(chain.from_iterable(part))
            count += int(self.conn.exec_driver_sql(text, params).rowcount)
        return count

    def _insert(self, table: Table, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]],
                tail: str, *, seq: bool = True) -> int:
        key = ("insert", table.name, columns)
        if key not in self._sql:
            next_seq = f", {NextSeq(table.name).compile(dialect=self.conn.dialect)}" \
                if seq else ""
            names = ", ".join(columns)
            if self.sqlite:  # seq: given by `_insert_sqlite`
                values = "VALUES {rows}"
            else:
                values = (f"SELECT {', '.join(self._cast(table, c, 'v.') for c in columns)}"
                          f"{next_seq} FROM unnest({self._arrays(table, columns)}) "
                          f"AS v({names})")
            self._sql[key] = \
                f"INSERT INTO {table.name} ({names}{', seq' if seq else ''}) {values}{tail}"
            self._encoders[self._sql[key]] = [encoder(table.c[c].type) for c in columns]
        if self.sqlite and seq:
            return self._insert_sqlite(table, self._sql[key], rows)
        return self._run(self._sql[key], rows)

    def _insert_sqlite(self, table: Table, sql: str, rows: Sequence[tuple[Any, ...]]) -> int:
        """`NextSeq` at each row's insert (max(rowid) + 1; for lines, after every line's, see
        schema.LEDGER_NEXT_SQLITE); read once, it is the same numbers (writers are serialized
        by the database lock). A row skipped on conflict leaves a gap."""
        if not rows:
            return 0
        next_seq = NextSeq(table.name).compile(dialect=self.conn.dialect)
        base = int(self.conn.exec_driver_sql(f"SELECT {next_seq}").scalar_one())
        return self._run(sql, [(*row, base + i) for i, row in enumerate(rows)])

    def _update(self, table: Table, columns: tuple[str, ...], where: tuple[str, ...],
                rows: Sequence[tuple[Any, ...]], *, bump_version: bool) -> int:
        key = ("update", table.name, columns)
        if key not in self._sql:
            if self.sqlite:  # VALUES columns are named column1, column2, …
                sets = [f"{c} = v.column{i + 1}" for i, c in enumerate(columns)]
                cond = " AND ".join(f"{table.name}.{c} = v.column{len(columns) + i + 1}"
                                    for i, c in enumerate(where))
                tail = f" FROM (VALUES {{rows}}) AS v WHERE {cond}"
                prefix = ""
            else:
                sets = [f"{c} = {self._cast(table, c, 'v.')}" for c in columns]
                cond = " AND ".join(f"t.{c} = v.{c}" for c in where)
                names = ", ".join((*columns, *where))
                # The key list again, so that the planner finds the rows by index instead of
                # hashing the whole table (its row estimate for unnest is a guess).
                tail = (f" FROM unnest({self._arrays(table, (*columns, *where))}) "
                        f"AS v({names}) WHERE {cond} "
                        f"AND t.{where[0]} = ANY({self._arrays(table, where[:1])})")
                prefix = "t."
            if bump_version:
                sets.append(f"version = {prefix}version + 1")
            alias = "" if self.sqlite else " AS t"
            self._sql[key] = f"UPDATE {table.name}{alias} SET {', '.join(sets)}{tail}"
            self._encoders[self._sql[key]] = [encoder(table.c[c].type)
                                              for c in (*columns, *where)]
        return self._run(self._sql[key], rows, key=len(columns))

    def _arrays(self, table: Table, columns: Sequence[str]) -> str:
        """One array literal parameter per column, cast to the column's type (JSON travels
        as text and is cast back, so PostgreSQL stores the text exactly as encoded)."""
        out = []
        for c in columns:
            col_type = table.c[c].type
            sql_type = "text" if isinstance(col_type, JSON) else \
                col_type.compile(dialect=self.conn.dialect)
            out.append(f"%s::{sql_type}[]")
        return ", ".join(out)

    def _cast(self, table: Table, column: str, prefix: str) -> str:
        return f"{prefix}{column}::json" if isinstance(table.c[column].type, JSON) \
            else f"{prefix}{column}"
