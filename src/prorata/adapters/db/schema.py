"""The tables, as SQLAlchemy Core. One `metadata`; the migrations in migrations/versions/ create
exactly this (a test compares them on both databases).

Core rather than ORM classes: the scheduler works set-wise on these tables, and the domain
records stay plain dataclasses mapped by `mapping.py`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Sequence,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement

from prorata.adapters.db.types import Money4

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

# JSON that stores Python None as SQL NULL, so the scheduler can select `IS NULL`.
NullableJSON = JSON(none_as_null=True)


class NextSeq(ColumnElement[int]):
    """The next ordering number of a table's `seq` column, computed inside the INSERT so that
    bulk and set-wise inserts (INSERT … SELECT) get one too. PostgreSQL draws from a sequence;
    SQLite, which has none, takes max(rowid)+1 — its writers are serialized by the database
    lock, so the value cannot be taken twice."""

    inherit_cache = True
    type = BigInteger()

    def __init__(self, table: str) -> None:
        self.table = table


@compiles(NextSeq, "postgresql")
def _next_seq_pg(element: NextSeq, compiler: SQLCompiler, **kw: Any) -> str:
    return f"nextval('{element.table}_seq')"


# SQLite's next line number: after every stored line's and every folded operation's
# (`operations.line_seq`, round 13 of docs/design/scale.md), so both kinds of line share one
# order. A stored line's `seq` grows with its rowid, so the last rowid holds the highest.
LEDGER_NEXT_SQLITE = (
    "(SELECT max(coalesce((SELECT seq FROM charge_lines ORDER BY rowid DESC LIMIT 1), 0), "
    "coalesce((SELECT max(line_seq) FROM operations WHERE template_id IS NOT NULL), 0)) + 1)")


@compiles(NextSeq)
def _next_seq_default(element: NextSeq, compiler: SQLCompiler, **kw: Any) -> str:
    if element.table == "charge_lines":
        return LEDGER_NEXT_SQLITE
    return f"(SELECT coalesce(max(rowid), 0) + 1 FROM {element.table})"


# Created on PostgreSQL only (SQLite skips sequences); NextSeq refers to them by name.
operations_seq = Sequence("operations_seq", metadata=metadata)
charge_lines_seq = Sequence("charge_lines_seq", metadata=metadata)
events_seq = Sequence("events_seq", metadata=metadata)


def _id() -> Column[str]:
    return Column("id", String(64), primary_key=True)


def _created_at() -> Column[Any]:
    return Column("created_at", DateTime(timezone=True), nullable=False)


# Deferred so that a use case may write an operation before its subscription, or a line before
# its operation, within one transaction; the reference is checked at commit.
def _deferred_fk(target: str) -> ForeignKey:
    return ForeignKey(target, deferrable=True, initially="DEFERRED")


def _path_index(name: str, column: str) -> Index:
    """For `path LIKE 'prefix%'`: PostgreSQL uses a btree for LIKE only with text_pattern_ops
    (unless the database collation is C)."""
    return Index(name, column, postgresql_ops={column: "text_pattern_ops"})


resellers = Table(
    "resellers", metadata,
    _id(),
    Column("name", String(200), nullable=False),
    Column("parent_id", String(64), ForeignKey("resellers.id"), nullable=True),
    # "/r1/r2/": ids percent-encoded, so a subtree is every path starting with its root's.
    Column("path", Text, nullable=False),
    _created_at(),
    # 0002: registration number (P6 lists resellers too) and the settings it delegates (P3).
    Column("inn", String(64), nullable=True, index=True),
    Column("settings", NullableJSON, nullable=True),
    _path_index("ix_resellers_path", "path"),
)

customers = Table(
    "customers", metadata,
    _id(),
    Column("name", String(200), nullable=False),
    Column("reseller_id", String(64), ForeignKey("resellers.id"), nullable=True, index=True),
    Column("billing_day", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("inn", String(64), nullable=True, index=True),
    Column("customer_group", String(64), nullable=True),
    Column("credit_limit", Money4, nullable=True),
    _created_at(),
)

products = Table(
    "products", metadata,
    _id(),
    Column("name", String(200), nullable=False),
    Column("vendor", String(64), nullable=True),
    Column("attributes", JSON, nullable=False),
    Column("vendor_settings", NullableJSON, nullable=True),  # V1: the connector's settings
)

plans = Table(
    "plans", metadata,
    _id(),
    Column("product_id", String(64), ForeignKey("products.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("billing_type", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("data", JSON, nullable=False),  # the whole plan, mapping.plan_to_json
    Column("version", Integer, nullable=False),
)

subscriptions = Table(
    "subscriptions", metadata,
    _id(),
    Column("customer_id", String(64), ForeignKey("customers.id"), nullable=False, index=True),
    # No index (0004): no query filters by plan, and every daily-run update paid for one.
    Column("plan_id", String(64), ForeignKey("plans.id"), nullable=False),
    Column("period", String(16), nullable=True),
    Column("billing_type", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=True),
    Column("anchor_day", Integer, nullable=False),
    Column("charged_until", Date, nullable=True),
    Column("auto_renew", Boolean, nullable=False),
    Column("resources", JSON, nullable=False),
    Column("prices", JSON, nullable=False),
    Column("high_water", JSON, nullable=False),
    Column("renewal_order", NullableJSON, nullable=True),
    Column("scheduled_switch", NullableJSON, nullable=True),
    Column("next_resources", NullableJSON, nullable=True),
    Column("prolong_operation", String(64), nullable=True),
    Column("stop_request", String(64), nullable=True),
    Column("stopped_on", Date, nullable=True),
    Column("expired_on", Date, nullable=True),
    Column("unpaid_since", Date, nullable=True),
    Column("attributes", JSON, nullable=False),
    # The next day the daily run has work for it (engine.schedule). Not indexed (migration
    # 0020): the run reads due ids in id order from the primary key, and without an index on
    # it a prolongation's update (charged_until, due_on) is a HOT update on PostgreSQL.
    Column("due_on", Date, nullable=True),
    # The customer's reseller path ("/" when sold by the operator directly): scoped queries
    # (P2) need no join. Customers never move, so it never goes stale.
    Column("reseller_path", Text, nullable=False),
    Column("version", Integer, nullable=False),
    _created_at(),
    _path_index("ix_subscriptions_reseller_path", "reseller_path"),
    # Room on each page for a next version of every row on it, so that a billing day's
    # updates (a batch takes a page's rows in one transaction) stay there (migration 0022).
    postgresql_with={"fillfactor": 50},
)

operations = Table(
    "operations", metadata,
    _id(),
    # No foreign keys on the ledger's rows (migration 0018): their writers take the ids from
    # what they loaded or wrote in the same unit of work; tests check every reference.
    Column("subscription_id", String(64), nullable=False),
    # Filled from the subscription; NULL only while the subscription is not yet written.
    # No index of its own (0004): found through the subscription's.
    Column("customer_id", String(64), nullable=True),
    Column("type", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("params", JSON, nullable=False),
    Column("effective_on", Date, nullable=True),
    Column("created_on", Date, nullable=False),
    Column("amount", Money4, nullable=False),
    Column("currency", String(3), nullable=True),
    Column("error_code", String(64), nullable=True),
    Column("error_message", Text, nullable=True),
    # S12: "<action>:<subscription>:<date>" makes a scheduled action happen once.
    Column("dedup_key", String(200), nullable=True, unique=True),
    Column("seq", BigInteger, nullable=False, default=NextSeq("operations")),
    _created_at(),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # A folded operation (migration 0019): its lines are its template's, expanded when read
    # (adapters/db/line_reads.py), numbered `line_seq` in the lines' own order.
    Column("template_id", String(64), nullable=True),
    Column("line_seq", BigInteger, nullable=True),
    Index("ix_operations_subscription_id_seq", "subscription_id", "seq"),
)

_FOLDED = operations.c.template_id.is_not(None)
# Folded operations only (partial indexes, so an operation with stored lines pays nothing),
# keyed by what grows in the daily run's batch order (migration 0021): a batch's ids are
# consecutive, so its entries land together, where an index led by the customer took a page
# per customer at every commit (on SQLite, written whole to the WAL). The issuer's day
# (`created_on`, then subscription, covering the customer); the highest line number, for
# LEDGER_NEXT_SQLITE and the operator's pages. A customer's folded lines are found through
# its subscriptions (`ix_operations_subscription_id_seq`).
Index("ix_operations_folded_day", operations.c.created_on, operations.c.subscription_id,
      operations.c.customer_id, sqlite_where=_FOLDED, postgresql_where=_FOLDED)
Index("ix_operations_folded_line_seq", operations.c.line_seq,
      sqlite_where=_FOLDED, postgresql_where=_FOLDED)

line_templates = Table(
    "line_templates", metadata,
    # "lt_" and a digest of `lines`: the same lines are one row, whichever process or batch
    # writes them first (INSERT … ON CONFLICT DO NOTHING, in the batch that refers to it).
    _id(),
    # The lines from `kind` to `currency` as JSON, made and read by adapters/db/folded.py.
    Column("lines", Text, nullable=False),
    Column("line_count", Integer, nullable=False),
    # Every line of a template shares its kind, period start and currency (only such lines
    # are folded), so filters and refund caps read them here without expanding.
    Column("kind", String(16), nullable=False),
    Column("period_start", Date, nullable=True),
    Column("amount", Money4, nullable=False),  # the lines' sum
)

charge_lines = Table(
    "charge_lines", metadata,
    Column("id", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False, default=NextSeq("charge_lines")),
    Column("customer_id", String(64), nullable=False),  # no foreign keys: see operations
    Column("subscription_id", String(64), nullable=True, index=True),
    Column("operation_id", String(64), nullable=True, index=True),
    Column("kind", String(16), nullable=False),
    Column("resource", String(64), nullable=True),
    Column("description", Text, nullable=False),
    Column("period_start", Date, nullable=True),
    Column("period_end", Date, nullable=True),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", Money4, nullable=False),
    Column("amount", Money4, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("created_on", Date, nullable=False),
    Index("ix_charge_lines_customer_id_seq", "customer_id", "seq"),
)

payments = Table(
    "payments", metadata,
    _id(),
    Column("customer_id", String(64), ForeignKey("customers.id"), nullable=False, index=True),
    Column("amount", Money4, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("created_on", Date, nullable=False),
    Column("method", String(64), nullable=False),
    Column("reference", String(200), nullable=True),
)

exchange_rates = Table(
    "exchange_rates", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("src", String(3), nullable=False),
    Column("dst", String(3), nullable=False),
    Column("rate", Text, nullable=False),  # a decimal string: rates may need many places
    Column("effective_from", Date, nullable=False),
    UniqueConstraint("src", "dst", "effective_from"),
)

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("scope_kind", String(16), primary_key=True),
    Column("scope_party", String(64), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("record", JSON, nullable=False),
    _created_at(),
)

settings = Table(
    "settings", metadata,
    Column("key", String(200), primary_key=True),
    Column("value", JSON, nullable=False),
)

scheduler_days = Table(
    "scheduler_days", metadata,
    Column("day", Date, primary_key=True),
    Column("completed_at", DateTime(timezone=True), nullable=True),
)

# 0016: the daily run's batches, claimed by the processes that share a day (scheduler/leases.py).
# A batch is the due ids in (lo, hi]; the key (day, lo) lets only one process claim it.
scheduler_leases = Table(
    "scheduler_leases", metadata,
    Column("day", Date, primary_key=True),
    Column("lo", String(64), primary_key=True),
    Column("hi", String(64), nullable=False),
    Column("owner", String(100), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("done_at", DateTime(timezone=True), nullable=True),
    Column("subscriptions", Integer, nullable=True),
)

api_keys = Table(
    "api_keys", metadata,
    _id(),
    Column("party_kind", String(16), nullable=False),
    Column("party_id", String(64), nullable=False),
    Column("secret_hash", String(255), nullable=False),
    _created_at(),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Index("ix_api_keys_secret_hash", "secret_hash", unique=True),  # 0002: the lookup
)

users = Table(
    "users", metadata,
    _id(),
    Column("email", String(320), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("party_kind", String(16), nullable=False),
    Column("party_id", String(64), nullable=False),
    _created_at(),
    # 0017: one account per e-mail and party, so creating one never depends on other
    # tenants' accounts (docs/design/security.md "E-mail per party"); sign-in looks up by e-mail.
    UniqueConstraint("email", "party_kind", "party_id"),
    Index("ix_users_email", "email"),
)


# --- 0002: parties and access -----------------------------------------------------------------

restrictions = Table(
    "restrictions", metadata,
    _id(),
    Column("inn", String(64), nullable=False, index=True),  # normalised (domain.parties)
    Column("products", JSON, nullable=False),  # [] = every product
    _created_at(),
)

user_sessions = Table(
    "user_sessions", metadata,
    _id(),
    Column("user_id", String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 of the token
    Column("expires_at", DateTime(timezone=True), nullable=False),
    _created_at(),
)


# --- 0005: events (SPEC R2, R3) ----------------------------------------------------------------

# The outbox: every event is written in the transaction of the change that causes it, then
# delivered by the worker. Scoped reads join the customer (P2), so no path is stored here.
events = Table(
    "events", metadata,
    _id(),
    Column("seq", BigInteger, nullable=False, default=NextSeq("events")),
    Column("type", String(64), nullable=False),
    Column("customer_id", String(64), ForeignKey("customers.id"), nullable=True),
    Column("subscription_id", String(64), _deferred_fk("subscriptions.id"), nullable=True),
    Column("data", JSON, nullable=False),
    Column("created_on", Date, nullable=False),  # the business date (the clock's)
    _created_at(),
    # "<type>:<subscription>:<date or period>": an event the daily run emits happens once.
    Column("dedup_key", String(200), nullable=True, unique=True),
    Index("ix_events_customer_id_seq", "customer_id", "seq"),
    Index("ix_events_subscription_id_seq", "subscription_id", "seq"),
)


# --- 0009: money (SPEC B2, B3, B5, B6) ---------------------------------------------------------

payments_seq = Sequence("payments_seq", metadata=metadata)  # PostgreSQL: NextSeq("payments")

# Payments (0001) gain what gateways need. Appended here rather than edited above so that the
# feature stays in one section: `seq` orders the payment list; `session_id` is unique, so a
# gateway's callback records its payment once however often it arrives (B3); a refund is a
# negative payment row (`refund_of` its payment), so every balance (payments − lines) counts
# it without a change anywhere else.
payments.append_column(Column("seq", BigInteger, nullable=False, default=NextSeq("payments")))
payments.append_column(Column("session_id", String(64), nullable=True, unique=True))
payments.append_column(Column("refund_of", String(64), ForeignKey("payments.id"), nullable=True))

# One row per installation: the last invoice number issued. Issuers lock it first (PostgreSQL:
# FOR UPDATE; SQLite: its one write lock), so numbers are taken in turn and a rolled-back
# issue rolls its numbers back too: no gap, no repeat (B5).
invoice_counter = Table(
    "invoice_counter", metadata,
    Column("name", String(32), primary_key=True),
    Column("last_sequence", BigInteger, nullable=False),
)

# An issued document never changes (B5): no column is ever updated. `parties` keeps the
# seller's and the customer's details as they were when it was issued.
invoices = Table(
    "invoices", metadata,
    _id(),
    Column("sequence", BigInteger, nullable=False, unique=True),
    Column("number", String(100), nullable=False),
    Column("kind", String(16), nullable=False),  # invoice | credit_note
    Column("customer_id", String(64), ForeignKey("customers.id"), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("service_date", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total", Money4, nullable=False),
    Column("line_count", Integer, nullable=False),
    Column("parties", JSON, nullable=False),
    _created_at(),
    Index("ix_invoices_customer_id_sequence", "customer_id", "sequence"),
    Index("ix_invoices_service_date", "service_date"),
)

# Which document a line is on. The primary key is the line: a line is on one document at most,
# whoever races to issue it.
invoice_lines = Table(
    "invoice_lines", metadata,
    # A stored line's id or a folded one's (`<operation id>.<position>`): no foreign key
    # (migration 0019); tests/dbfixtures.py `ledger_breaks` checks that it resolves.
    Column("line_id", String(64), primary_key=True),
    Column("invoice_id", String(64), ForeignKey("invoices.id"), nullable=False, index=True),
)

# The day's lines, by customer: what the issuer reads (B2).
Index("ix_charge_lines_created_on_customer_id", charge_lines.c.created_on,
      charge_lines.c.customer_id)

payment_sessions = Table(
    "payment_sessions", metadata,
    _id(),
    Column("customer_id", String(64), ForeignKey("customers.id"), nullable=False, index=True),
    Column("gateway", String(64), nullable=False),
    Column("amount", Money4, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),  # pending | succeeded | failed
    Column("redirect_url", Text, nullable=True),
    Column("payment_id", String(64), nullable=True),
    Column("error_message", Text, nullable=True),
    Column("created_on", Date, nullable=False),
    _created_at(),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

refunds = Table(
    "refunds", metadata,
    _id(),
    Column("payment_id", String(64), ForeignKey("payments.id"), nullable=False, index=True),
    Column("customer_id", String(64), ForeignKey("customers.id"), nullable=False),
    Column("gateway", String(64), nullable=False),
    Column("amount", Money4, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),  # pending | succeeded | failed
    Column("reference", String(200), nullable=True),  # the gateway's, never card data (B6)
    Column("error_message", Text, nullable=True),
    Column("created_on", Date, nullable=False),
    _created_at(),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


# --- 0011: notifications (SPEC R1-R4) -----------------------------------------------------------

# Where notifications are mailed: a customer's own address, a reseller's for its managers.
customers.append_column(Column("email", String(320), nullable=True))
resellers.append_column(Column("email", String(320), nullable=True))
# R4: the period end whose subscription_expiring was emitted (once per period).
subscriptions.append_column(Column("expiry_noticed", Date, nullable=True))
# 0012: a shifted period (S6): its last payment includes the stub.
subscriptions.append_column(Column("shifted", Boolean, nullable=False, server_default=false()))
# Set when the worker has made the event's deliveries (fan-out); the partial index holds only
# the events still waiting for that, so finding them stays cheap however many are stored.
events.append_column(Column("dispatched_at", DateTime(timezone=True), nullable=True))
Index("ix_events_undispatched", events.c.seq,
      postgresql_where=events.c.dispatched_at.is_(None),
      sqlite_where=events.c.dispatched_at.is_(None))

deliveries_seq = Sequence("deliveries_seq", metadata=metadata)

# One template per event type and owner: the operator ("*") or a reseller for its subtree (P3).
templates = Table(
    "templates", metadata,
    Column("event_type", String(64), primary_key=True),
    Column("owner", String(64), primary_key=True),
    Column("reseller_id", String(64), ForeignKey("resellers.id"), nullable=True),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Standard Webhooks receivers of the operator (reseller_id NULL) or of a reseller, which see
# the events of their owner's scope only (P2). The secret must be kept to sign with.
webhook_endpoints = Table(
    "webhook_endpoints", metadata,
    _id(),
    Column("reseller_id", String(64), ForeignKey("resellers.id"), nullable=True, index=True),
    Column("url", Text, nullable=False),
    Column("events", JSON, nullable=False),  # [] = every type
    Column("description", String(200), nullable=True),
    Column("secret", String(100), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", Text, nullable=True),
    Column("failures", Integer, nullable=False),  # failed attempts in a row
    Column("failing_since", DateTime(timezone=True), nullable=True),  # the first of them
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    _created_at(),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# R3: one row per event and target, made once (unique) by the worker's fan-out; its id is the
# `webhook-id` of every attempt. Claimed by a conditional UPDATE (claim, claimed_until).
deliveries = Table(
    "deliveries", metadata,
    _id(),
    Column("seq", BigInteger, nullable=False, default=NextSeq("deliveries")),
    Column("event_id", String(64), ForeignKey("events.id"), nullable=False),
    Column("target", String(400), nullable=False),  # "webhook:<endpoint>" | "email:<address>"
    Column("endpoint_id", String(64), ForeignKey("webhook_endpoints.id"), nullable=True),
    Column("recipient", String(320), nullable=True),
    Column("status", String(16), nullable=False),  # pending | succeeded | failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claim", String(64), nullable=True),
    Column("claimed_until", DateTime(timezone=True), nullable=True),
    Column("last_attempt_at", DateTime(timezone=True), nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    _created_at(),
    UniqueConstraint("event_id", "target"),
    Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    Index("ix_deliveries_endpoint_id_seq", "endpoint_id", "seq"),
)

# The delivery log: every attempt with what the receiver answered.
delivery_attempts = Table(
    "delivery_attempts", metadata,
    Column("delivery_id", String(64), ForeignKey("deliveries.id"), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("attempted_at", DateTime(timezone=True), nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("duration_ms", Integer, nullable=False),
)

# 0012: failed sign-ins (issue 6), counted per e-mail and per client address to throttle
# POST /v1/login across processes; kept as the record of failed attempts.
login_failures = Table(
    "login_failures", metadata,
    _id(),
    Column("email", String(320), nullable=False),
    Column("client", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_login_failures_email_created_at", "email", "created_at"),
    Index("ix_login_failures_client_created_at", "client", "created_at"),
)


# V1/V5: a vendor call that did not answer at once. One per operation (unique); the worker
# claims it by a conditional UPDATE (claim, claimed_until: a lease, so a killed worker's call is
# taken over) and applies its outcome in the same transaction that marks it `done`.
vendor_calls = Table(
    "vendor_calls", metadata,
    _id(),
    Column("operation_id", String(64), nullable=False, unique=True),
    Column("subscription_id", String(64), nullable=False),
    Column("connector", String(64), nullable=False),
    Column("settings", JSON, nullable=False),
    Column("request", JSON, nullable=False),   # what the connector is told (SDK VendorRequest)
    Column("before", JSON, nullable=False),    # the subscription before the operation (V2)
    Column("target_status", String(16), nullable=False),
    Column("state", String(16), nullable=False),  # pending | done
    Column("reference", String(400), nullable=True),  # the vendor's, once it was called
    Column("attempts", Integer, nullable=False),
    Column("next_poll_at", DateTime(timezone=True), nullable=False),
    Column("deadline", DateTime(timezone=True), nullable=False),
    Column("claim", String(64), nullable=True),
    Column("claimed_until", DateTime(timezone=True), nullable=True),
    Column("last_polled_at", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    _created_at(),
    Index("ix_vendor_calls_state_next_poll_at", "state", "next_poll_at"),
)


# --- 0015: usage (SPEC B4): the tables are in usage_schema.py, on this metadata ---------------

from prorata.adapters.db import usage_schema as _usage_schema  # noqa: E402,F401
