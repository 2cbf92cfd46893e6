"""Spike (issue 13, round 13): can a ledger whose plain prolongations keep their lines in a
template still answer the ledger's reads fast, through one view over stored and folded lines?

Builds, on SQLite and PostgreSQL, `stored` lines (today's table) and `folded` operations that
point at a template of lines, plus a view `lines_v` = stored UNION ALL the folded ones expanded
from the template's JSON. Then times the reads the product makes through the view — a
customer's lines in order a page at a time (keyset on seq), the issuer's customers of a day,
one customer's lines of a day — and the same reads with the limit or the filter pushed into
each table, against today's page of stored lines alone. Prints the median of seven runs and
(`--plans`) the start of each query plan. None of the product's code is used: it decides how
a folded ledger must be read before it is built (docs/design/scale.md, "Round 13").

    python benchmarks/folded_reads.py [--ops 1000000] [--db sqlite,postgres] [--plans]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fresh import fresh_database  # benchmarks/fresh.py, beside this script

CUSTOMERS = 2000
DAYS = 30
TEMPLATES = 10
STORED_PER_DAY = 2000  # lines not folded (purchases, changes, usage)


def _templates() -> list[tuple[str, str]]:
    out = []
    for t in range(TEMPLATES):
        lines = [{"kind": "recurring", "resource": "seats", "description": "Licenses",
                  "quantity": 10 + t, "unit_price": "6.0000", "amount": f"{60 + 6 * t}.0000"},
                 {"kind": "recurring", "resource": "storage", "description": "Storage GB",
                  "quantity": 5, "unit_price": "0.1250", "amount": "0.6250"}]
        out.append((f"tpl{t}", json.dumps(lines)))
    return out


def _rows(ops: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """(folded operations, stored lines), in seq order, spread over DAYS days."""
    rng = random.Random(7)
    per_day = ops // DAYS
    folded, stored = [], []
    seq = 0
    for d in range(DAYS):
        day = (date(2025, 9, 1) + timedelta(days=d)).isoformat()
        for i in range(per_day):
            seq += 1
            cust = f"c{rng.randrange(CUSTOMERS):05d}"
            folded.append((f"op{seq:010d}", seq, cust, f"s{seq % 100000:06d}", day,
                           f"tpl{seq % TEMPLATES}"))
            if i % max(per_day // STORED_PER_DAY, 2) == 0:
                seq += 1
                stored.append((f"ln{seq:010d}", seq, cust, f"s{seq % 100000:06d}", None,
                               "usage", "cpu", "CPU hours", 3, "0.5000", "1.5000", day))
    return folded, stored


SCHEMA = """
CREATE TABLE templates (id TEXT PRIMARY KEY, lines TEXT NOT NULL);
CREATE TABLE stored (id TEXT PRIMARY KEY, seq BIGINT NOT NULL, customer_id TEXT NOT NULL,
  subscription_id TEXT, operation_id TEXT, kind TEXT, resource TEXT, description TEXT,
  quantity INTEGER, unit_price NUMERIC, amount NUMERIC, created_on {date} NOT NULL);
CREATE INDEX stored_cust_seq ON stored (customer_id, seq);
CREATE INDEX stored_day_cust ON stored (created_on, customer_id);
CREATE TABLE folded (id TEXT PRIMARY KEY, seq BIGINT NOT NULL, customer_id TEXT NOT NULL,
  subscription_id TEXT, created_on {date} NOT NULL, template_id TEXT NOT NULL);
CREATE INDEX folded_cust_seq ON folded (customer_id, seq);
CREATE INDEX folded_day_cust ON folded (created_on, customer_id);
"""

# A stored line's columns, and a folded operation's lines expanded from its template as the
# same columns, per dialect; `{folded}` is the table or a subquery of it.
STORED = ("SELECT id, seq, CAST(0 AS BIGINT) AS pos, customer_id, subscription_id, operation_id,"
          " kind, resource, description, quantity, unit_price, amount, created_on FROM stored")
EXPANDED = {
    "sqlite": "SELECT f.id || '.' || j.key, f.seq, j.key, f.customer_id, f.subscription_id, "
              "f.id, j.value ->> 'kind', j.value ->> 'resource', j.value ->> 'description', "
              "j.value ->> 'quantity', j.value ->> 'unit_price', j.value ->> 'amount', "
              "f.created_on FROM {folded} f JOIN templates t ON t.id = f.template_id, "
              "json_each(t.lines) j",
    "postgres": "SELECT f.id || '.' || (j.pos - 1), f.seq, j.pos - 1, f.customer_id, "
                "f.subscription_id, f.id, j.v ->> 'kind', j.v ->> 'resource', "
                "j.v ->> 'description', (j.v ->> 'quantity')::int, "
                "(j.v ->> 'unit_price')::numeric, (j.v ->> 'amount')::numeric, f.created_on "
                "FROM {folded} f JOIN templates t ON t.id = f.template_id, "
                "jsonb_array_elements(t.lines::jsonb) WITH ORDINALITY AS j(v, pos)",
}
PAGE = "WHERE customer_id = {p} ORDER BY seq LIMIT 50"  # {p}: the dialect's placeholder


def _queries(db: str, day: str, after: int) -> dict[str, tuple[str, tuple[Any, ...]]]:
    """Each read: its SQL (placeholders `{p}`) and its parameters. Through the view first,
    then with the limit or the filter pushed into each table."""
    c = "c00042"
    paged = EXPANDED[db].format(folded=f"(SELECT * FROM folded {PAGE})")
    return {
        "first page of a customer (50)":
            ("SELECT * FROM lines_v WHERE customer_id = {p} ORDER BY seq, pos LIMIT 50", (c,)),
        "a later page (keyset)":
            ("SELECT * FROM lines_v WHERE customer_id = {p} AND seq > {p} "
             "ORDER BY seq, pos LIMIT 50", (c, after)),
        "customers with lines on a day":
            ("SELECT DISTINCT customer_id FROM lines_v WHERE created_on = {p}", (day,)),
        "a customer's lines of a day":
            ("SELECT * FROM lines_v WHERE created_on = {p} AND customer_id = {p} "
             "ORDER BY seq, pos", (day, c)),
        # A page takes at most 50 of each table by its index, then expands only those.
        "first page, limited per table":
            (f"SELECT * FROM ({STORED} {PAGE}) s UNION ALL {paged} ORDER BY seq, pos LIMIT 50",
             (c, c)),
        "today's page (stored lines only)": (f"{STORED} {PAGE}", (c,)),
        # The issuer's customers never need the lines expanded.
        "customers of a day, per table":
            ("SELECT customer_id FROM stored WHERE created_on = {p} UNION "
             "SELECT customer_id FROM folded WHERE created_on = {p}", (day, day)),
    }


def run(db: str, ops: int, folder: Path, plans: bool) -> None:
    folded, stored = _rows(ops)
    url, pg_name = fresh_database(db, folder, "folded.db")
    if db == "sqlite":
        conn: Any = sqlite3.connect(url.removeprefix("sqlite:///"))
        ph, date_type = "?", "TEXT"
    else:
        import psycopg
        from sqlalchemy.engine import make_url

        conn = psycopg.connect(make_url(url).set(drivername="postgresql")
                               .render_as_string(hide_password=False), autocommit=True)
        ph, date_type = "%s", "DATE"
    try:
        _measure(db, conn, ph, date_type, folded, stored, plans)
    finally:
        conn.close()
        if pg_name:
            from tests.dbfixtures import drop_pg_database

            drop_pg_database(pg_name)


def _measure(db: str, conn: Any, ph: str, date_type: str, folded: list[tuple[Any, ...]],
             stored: list[tuple[Any, ...]], plans: bool) -> None:
    for statement in SCHEMA.format(date=date_type).split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute(f"CREATE VIEW lines_v AS {STORED} UNION ALL "
                 + EXPANDED[db].format(folded="folded"))
    cur = conn.cursor()
    cur.executemany(f"INSERT INTO templates VALUES ({ph}, {ph})", _templates())
    cur.executemany(f"INSERT INTO folded VALUES ({', '.join([ph] * 6)})", folded)
    cur.executemany(f"INSERT INTO stored VALUES ({', '.join([ph] * 12)})", stored)
    conn.commit()  # psycopg's autocommit connection: nothing to do
    conn.execute("ANALYZE")
    day = (date(2025, 9, 1) + timedelta(days=DAYS // 2)).isoformat()
    mine = [r[1] for r in folded if r[2] == "c00042"]
    after = mine[len(mine) // 2]
    print(f"{db}: {len(folded):,} folded operations (2 lines each), {len(stored):,} stored "
          f"lines, {CUSTOMERS} customers, {DAYS} days; c00042 has {2 * len(mine):,} lines")
    for name, (sql, args) in _queries(db, day, after).items():
        text = sql.replace("{p}", ph)
        times, count = [], 0
        for _ in range(7):
            started = time.perf_counter()
            count = len(conn.execute(text, args).fetchall())
            times.append(time.perf_counter() - started)
        print(f"  {name:<32} {1000 * statistics.median(times):8.2f} ms  ({count} rows)")
        if not plans:
            continue
        plan_sql = ("EXPLAIN QUERY PLAN " if db == "sqlite" else "EXPLAIN ") + text
        plan = [str(r[-1] if db == "sqlite" else r[0]) for r in conn.execute(plan_sql, args)]
        print("      plan: " + " | ".join(p.strip() for p in plan[:14]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=1_000_000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--plans", action="store_true", help="print each query's plan")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for db in args.db.split(","):
            run(db, args.ops, Path(tmp), args.plans)


if __name__ == "__main__":
    main()
