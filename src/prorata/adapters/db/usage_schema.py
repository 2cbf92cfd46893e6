"""Tables of pay-as-you-go consumption (SPEC B4), migration 0015. Kept out of schema.py so the
feature merges as one file; schema.py imports this module so the metadata holds them.

`usage_records` is the big one (millions of rows a month): its primary key
(subscription_id, id) is the dedup key of an import (`ON CONFLICT DO NOTHING`, no lookup per
row), and it is its only index and it carries no foreign key, so a bulk insert maintains one
B-tree and checks nothing else (the import checks the subscription once). `charged_on` marks
the billing day that charged a record. `usage_pending` has one row per subscription with
uncharged records and the earliest of their dates: the daily run finds its work there (an
index on the records' uncharged state would halve the import's speed), then reads the
subscription's records by the primary key's prefix.

`usage_charges` is one row per usage line: its unique key (subscription, billing day, month,
meter, category) makes a second run of the same day fail instead of charging twice, and it
is what the analytics read for the amounts."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from prorata.adapters.db.schema import metadata
from prorata.adapters.db.types import Money4

usage_records = Table(
    "usage_records", metadata,
    Column("subscription_id", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("customer_id", String(64), nullable=False),
    Column("usage_date", Date, nullable=False),
    Column("meter", String(64), nullable=False),
    Column("category", String(16), nullable=False),
    Column("quantity", BigInteger, nullable=False),  # × 10⁶
    Column("cost", BigInteger, nullable=False),  # × 10⁶, in the plan's currency
    Column("charged_on", Date, nullable=True),
)

usage_pending = Table(
    "usage_pending", metadata,
    Column("subscription_id", String(64), primary_key=True),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("first_date", Date, nullable=False),  # the earliest uncharged record's date
)

usage_charges = Table(
    "usage_charges", metadata,
    Column("id", String(64), primary_key=True),
    Column("subscription_id", String(64), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("charged_on", Date, nullable=False),
    Column("month", Date, nullable=False),
    Column("meter", String(64), nullable=False),
    Column("category", String(16), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("cost", BigInteger, nullable=False),
    Column("records", Integer, nullable=False),
    Column("amount", Money4, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("line_id", String(64), nullable=True),  # none when the amount rounds to zero
    UniqueConstraint("subscription_id", "charged_on", "month", "meter", "category",
                     name="uq_usage_charges_key"),
)
