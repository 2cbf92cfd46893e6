"""Set-wise reads and encoding for the daily run, on the driver directly.

The daily run reads and writes tens of thousands of rows. Through Core, SQLAlchemy's per-row
parameter and result processing (and json.dumps of every JSON column of every row, changed or
not) cost more than the SQL itself. Here the values are encoded and decoded by our own code —
exactly as the Core types of schema.py do it (Date, Boolean, `types.Money4`, JSON through
`mapping.json_dumps`/`json_loads`), so rows written here read back identically through
`SqlUnitOfWork` and the other way round (tests/integration/test_bulk.py holds us to it) — and
statements go through `Connection.exec_driver_sql`, so errors are still SQLAlchemy's and the
unit of work's transaction is the one used. bulk_write.py sends the writes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Connection, DateTime
from sqlalchemy.engine import Dialect

from prorata.adapters.db import mapping as m
from prorata.adapters.db.pg_arrays import text_array
from prorata.adapters.db.types import MAX_UNITS, MIN_UNITS, SCALE, from_units, to_units
from prorata.domain.catalog import BillingType
from prorata.domain.model import Customer, Status, Subscription, UnitPrice

# How a subscription field is stored: (domain field, column, kind). `test_bulk` checks that
# these are exactly the columns of `mapping.subscription_values`.
SUB_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("plan", "plan_id", "value"), ("period", "period", "value"),
    ("billing_type", "billing_type", "enum"), ("status", "status", "enum"),
    ("start_date", "start_date", "date"), ("period_start", "period_start", "date"),
    ("period_end", "period_end", "date"), ("anchor_day", "anchor_day", "value"),
    ("charged_until", "charged_until", "date"), ("auto_renew", "auto_renew", "bool"),
    ("resources", "resources", "json"), ("prices", "prices", "prices"),
    ("high_water", "high_water", "json"), ("renewal_order", "renewal_order", "order"),
    ("scheduled_switch", "scheduled_switch", "order"),
    ("next_resources", "next_resources", "json_or_null"),
    ("prolong_operation", "prolong_operation", "value"),
    ("stop_request", "stop_request", "value"), ("stopped_on", "stopped_on", "date"),
    ("expired_on", "expired_on", "date"), ("unpaid_since", "unpaid_since", "date"),
    ("attributes", "attributes", "attributes"), ("due_on", "due_on", "date"),
    ("expiry_noticed", "expiry_noticed", "date"), ("shifted", "shifted", "bool"),
)
_JSON_KINDS = frozenset({"json", "prices", "order", "json_or_null", "attributes"})
# (column, kind) in the order of Subscription's fields, so a decoded row is its arguments.
_BY_FIELD = {f: (col, kind) for f, col, kind in SUB_FIELDS} | {
    "id": ("id", "value"), "customer": ("customer_id", "value"), "version": ("version", "value")}
_READ = tuple(_BY_FIELD[f.name] for f in fields(Subscription))


class _CustomerRow(NamedTuple):
    """A customers row as `mapping.row_to_customer` reads it (by attribute)."""

    id: str
    name: str
    reseller_id: str | None
    billing_day: int
    currency: str
    inn: str | None
    customer_group: str | None
    credit_limit: Any  # stored units; `load_customers` makes it a Decimal
    email: str | None


_CUSTOMER_COLUMNS = _CustomerRow._fields
# `mapping.json_dumps` is `json.dumps` with non-default arguments, which builds a JSONEncoder
# on every call; one encoder with the very same settings writes the same text without that.
json_text = json.JSONEncoder(default=m._default, separators=(",", ":"),
                             ensure_ascii=False).encode


def units(value: Decimal) -> int:
    """`types.to_units` for the common case (a finite Decimal of at most four places) without
    scaleb/quantize; anything else goes to `to_units`, which raises its usual errors."""
    if type(value) is Decimal and value.is_finite():
        num, den = value.as_integer_ratio()
        if SCALE % den == 0:
            scaled = num * (SCALE // den)
            if MIN_UNITS <= scaled <= MAX_UNITS:
                return scaled
    return to_units(value)


PLAIN = frozenset({int, str, bool, type(None), date})  # equal and same type: stored alike


def same(a: Any, b: Any) -> bool:
    """Equal *and* stored alike: 1 == True, Decimal("6.0") == Decimal("6.00") and dicts equal
    in another key order, but their JSON differs, so a field counts as unchanged only when it
    would be written identically."""
    if a is b:
        return True
    kind = type(a)
    if kind is not type(b):
        return False
    if kind in PLAIN:
        return bool(a == b)
    if kind is dict:
        if a != b or list(a) != list(b):
            return False
        return all(x is y or same(x, y) for x, y in zip(a.values(), b.values(), strict=True))
    if kind is list or kind is tuple:
        return len(a) == len(b) and all(map(same, a, b))
    if kind is Decimal or kind is float:
        return repr(a) == repr(b)
    slots = getattr(kind, "__slots__", None)
    if slots is not None and hasattr(kind, "__dataclass_fields__"):
        return all(same(getattr(a, s), getattr(b, s)) for s in slots)
    return bool(a == b)


# Parsed JSON texts a Codec keeps (each cache starts over past it). They pay off inside a batch
# (most subscriptions share a few texts); at 50,000 a day of varied amounts and prices could hold
# ~20 MB of parsed dicts (~420 B each) and ~48 MB of price maps (~970 B each, measured) for the
# whole run: bounded, but by the cap, not by the batches in flight.
PARSED_TEXTS = 8192


class Codec:
    """Values as one dialect's driver takes and gives them, the way the Core types do:
    SQLite keeps dates as ISO strings and booleans as 0/1; psycopg takes Python objects.
    JSON is text on both (PostgreSQL's `json` keeps the text as sent, and is read as text)."""

    def __init__(self, dialect: Dialect) -> None:
        self.sqlite = dialect.name == "sqlite"
        self._parsed: dict[str, Any] = {}
        self._price_maps: dict[str, dict[str, UnitPrice]] = {}
        # Timestamps are rare (one per batch): SQLAlchemy's own processor, whatever it does.
        stamp = DateTime(timezone=True)
        self._stamp = stamp.dialect_impl(dialect).bind_processor(dialect)
        self._decoders = self._decoding()

    def timestamp(self, value: datetime) -> Any:
        return value if self._stamp is None else self._stamp(value)

    def day(self, value: date | None) -> Any:
        if value is None or not self.sqlite:
            return value
        return value.isoformat()

    def read_day(self, value: Any) -> date | None:
        if value is None or not self.sqlite:
            return value
        return date.fromisoformat(value)

    def flag(self, value: bool) -> Any:
        return int(value) if self.sqlite else value

    def column(self, kind: str, value: Any) -> Any:
        """One subscription column, as `mapping.subscription_values` + the Core type write it."""
        if kind == "value":
            return value
        if kind == "date":
            return self.day(value)
        if kind == "enum":
            return value.value
        if kind == "bool":
            return self.flag(value)
        if kind == "prices":
            return json_text(m.prices_to_json(value))
        if kind == "order":
            return None if value is None else json_text(m.order_to_json(value))
        if kind == "json_or_null" and value is None:
            return None
        if kind == "attributes":
            return json_text(m.jsonable(value))
        return json_text(dict(value))

    def json_select(self, column: str) -> str:
        return column if self.sqlite else f"{column}::text"

    def _json(self, text: str) -> Any:
        """Parsed JSON, shared between rows with the same text (most subscriptions have the
        same few amounts); the decoders copy it, and only flat dicts are shared this way."""
        found = self._parsed.get(text)
        if found is None:
            if len(self._parsed) > PARSED_TEXTS:
                self._parsed.clear()
            found = self._parsed[text] = m.json_loads(text)
        return found

    def subscription(self, row: Any) -> Subscription:
        """`mapping.row_to_subscription` of the row the Core types would have given."""
        values = list(row)
        for i, decode in self._decoders:
            value = values[i]
            if value is not None:
                values[i] = decode(value)
        return Subscription(*values)

    def _decoding(self) -> list[tuple[int, Any]]:
        """(position, decoder) of the columns that need one (None stays None)."""
        enums = {"billing_type": BillingType, "status": Status}
        by_kind: dict[str, Any] = {
            "json": lambda text: dict(self._json(text)),
            "json_or_null": lambda text: dict(self._json(text)),
            "prices": lambda text: dict(self._prices(text)),
            "order": lambda text: m.order_from_json(m.json_loads(text)),
            # Mostly "{}": no parse for it (values may nest, so others are not shared).
            "attributes": lambda text: {} if text == "{}" else dict(m.json_loads(text)),
        }
        if self.sqlite:
            by_kind |= {"date": date.fromisoformat, "bool": bool}
        out: list[tuple[int, Any]] = []
        for i, (column, kind) in enumerate(_READ):
            if kind == "enum":
                out.append((i, _member_of(enums[column])))
            elif kind in by_kind:
                out.append((i, by_kind[kind]))
        return out

    def _prices(self, text: str) -> dict[str, UnitPrice]:
        """Captured prices, shared between rows with the same text: UnitPrice is frozen and
        Decimals are immutable, and each subscription gets its own dict."""
        found = self._price_maps.get(text)
        if found is None:
            if len(self._price_maps) > PARSED_TEXTS:
                self._price_maps.clear()
            found = self._price_maps[text] = m.prices_from_json(m.json_loads(text))
        return found


def _member_of(enum: Any) -> Any:
    members = {member.value: member for member in enum}

    def decode(value: str) -> Any:
        found = members.get(value)
        return enum(value) if found is None else found  # unknown: the enum's own error
    return decode


def subscription_columns(codec: Codec) -> tuple[str, ...]:
    """What to select of a subscriptions row for `Codec.subscription`: its columns in the
    order of Subscription's fields (id first), JSON as text."""
    return tuple(codec.json_select(c) if kind in _JSON_KINDS else c for c, kind in _READ)


def load_subscriptions(conn: Connection, codec: Codec, ids: list[str], day: date) -> \
        list[Subscription]:
    """The batch's subscriptions that are still due and not deleted, in id order."""
    cols = ", ".join(subscription_columns(codec))
    if codec.sqlite:
        where = f"id IN ({', '.join('?' * len(ids))}) AND due_on <= ? AND status != ?"
        params: Any = (*ids, codec.day(day), "deleted")
    else:
        where = "id = ANY(%s::varchar[]) AND due_on <= %s AND status != %s"
        params = (text_array(ids), day, "deleted")
    rows = conn.exec_driver_sql(
        f"SELECT {cols} FROM subscriptions WHERE {where} ORDER BY id", params).all()
    return [codec.subscription(r) for r in rows]


def load_customers(conn: Connection, codec: Codec, ids: set[str]) -> dict[str, Customer]:
    if not ids:
        return {}
    wanted = sorted(ids)
    params: tuple[Any, ...]
    if codec.sqlite:
        where, params = f"id IN ({', '.join('?' * len(wanted))})", tuple(wanted)
    else:
        where, params = "id = ANY(%s::varchar[])", (text_array(wanted),)
    rows = conn.exec_driver_sql(
        f"SELECT {', '.join(_CUSTOMER_COLUMNS)} FROM customers WHERE {where}", params).all()
    out = {}
    for r in rows:
        row = _CustomerRow(*r)
        if row.credit_limit is not None:
            row = row._replace(credit_limit=from_units(row.credit_limit))
        out[row.id] = m.row_to_customer(row)
    return out


# The writer's cache fills up to this once the day's indexes outgrow it (at ~300k subscriptions)
# and is most of what the run's memory grows by with N; 64 MB put a 1M-subscription day over
# the 150 MB goal. Measured at 300k (plain day): 32 MB cost ~11% more CPU per subscription
# than 64 MB (more pages read again from the OS), so the cap sits between them.
BULK_CACHE_KIB = 48 * 1024


@contextmanager
def bulk_cache(conn: Connection) -> Iterator[None]:
    """A large SQLite page cache for the duration of one batch. The default (2 MB) is far
    smaller than the indexes a daily run walks (operations and lines are keyed by random ids),
    so past a few ten thousand subscriptions every batch re-read most pages from the file.
    Restored afterwards: the connection goes back to the pool. PostgreSQL: nothing to do."""
    if conn.dialect.name != "sqlite":
        yield
        return
    previous = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(previous)}")
