"""Writing one batch of the daily run's decisions with a handful of bulk statements.

Rows are encoded here, once, by `bulk.Codec` and sent by `bulk_write.BulkWriter` (one
statement per table). A subscription row gets only the columns the day's decisions changed:
most of its JSON columns (prices, resources, …) stay as they are, and encoding them again was
most of the cost of writing a batch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter, is_
from typing import Any

from prorata.adapters.db import folded
from prorata.adapters.db.bulk import PLAIN, SUB_FIELDS, Codec, json_text, same, units
from prorata.adapters.db.bulk_write import BulkWriter
from prorata.adapters.db.session import utcnow
from prorata.domain.engine import Decision
from prorata.domain.engine.daily import prolong_dedup_key
from prorata.domain.engine.plain import Hit, Plain
from prorata.domain.model import LineKind, Operation, Subscription
from prorata.ids import new_id
from prorata.services import vendors


class LostRace(Exception):
    """Another run wrote some of this batch first; the batch is rolled back and retried."""


_FIELDS = attrgetter(*(f for f, _, _ in SUB_FIELDS))
_COLUMNS = tuple((column, kind) for _, column, kind in SUB_FIELDS)


def changed_columns(codec: Codec, old: Subscription, new: Subscription) -> \
        tuple[tuple[str, ...], tuple[Any, ...]]:
    """The columns whose stored value differs between `old` (as read) and `new`, encoded.
    Most fields of a new version are the very objects of the old one (`copy_sub`), so the
    identity test settles them; the dicts `copy_sub` copies hold the very same values in the
    same order, which `is_` over both settles without a Python call per value. Anything else
    gets `same`'s strict comparison: the answer is `same`'s, only cheaper to reach."""
    cols, values = [], []
    for before, after, (column, kind) in zip(_FIELDS(old), _FIELDS(new), _COLUMNS, strict=True):
        if before is after:
            continue
        kind_of = type(before)
        if kind_of is type(after):
            if kind_of in PLAIN:
                if before == after:
                    continue
            elif kind_of is dict:
                if len(before) == len(after) and list(before) == list(after) and \
                        all(map(is_, before.values(), after.values())):
                    continue
                if same(before, after):
                    continue
            elif same(before, after):
                continue
        cols.append(column)
        values.append(codec.column(kind, after))
    return tuple(cols), tuple(values)


def _operation_row(codec: Codec, op: Operation, customer: str, stamp: Any) -> tuple[Any, ...]:
    """As `SqlUnitOfWork.add_operations` writes it (`mapping.operation_values` and the
    Core types); params are plain JSON (strings, numbers, dicts), so dumping them once is
    the same text as dumping `mapping.jsonable(params)` (`json_text` is `mapping.json_dumps`)."""
    return (op.id, op.subscription, customer, op.type, op.status.value, op.actor,
            json_text(op.params), codec.day(op.effective_on), codec.day(op.created_on),
            units(op.amount), op.currency, op.error_code, op.error_message, op.dedup_key,
            stamp, stamp)


_PLAIN_COLUMNS = ("charged_until", "due_on")  # in SUB_FIELDS order, as changed_columns gives


def _plain_rows(codec: Codec, plain: Plain, today: date) -> tuple[Any, ...]:
    """A plain prolongation's rows but for ids, dedup key and timestamps, encoded once per
    key and dialect: the operation's columns from `type` to `error_message`, its lines'
    template (adapters/db/folded.py) or, when they cannot be folded, each line's columns from
    `kind` to `created_on`, and the new `charged_until`. Exactly what the loop below writes
    for the engine's own decision, folded (tests/unit/test_plain_prolongation.py compares)."""
    if plain.encoded is None:
        plain.encoded = {}
    found = plain.encoded.get(codec.sqlite)  # per dialect: SQLite's dates are text
    if found is None:
        op, day = plain.op, codec.day(today)
        middle = _operation_row(codec, op, "", None)[3:13]
        fold = folded.template(plain.lines) if op.created_on == today else None
        tails = () if fold is not None else tuple(
            (LineKind(ln.kind).value, ln.resource, ln.description, codec.day(ln.period_start),
             codec.day(ln.period_end), ln.quantity, units(ln.unit_price), units(ln.amount),
             ln.currency, day) for ln in plain.lines)
        found = plain.encoded[codec.sqlite] = (middle, tails, codec.day(plain.end), fold)
    return found  # type: ignore[no-any-return]


@dataclass
class Encoded:
    """A batch's rows, encoded and ready to send (see `encode_batch`)."""

    ops: list[tuple[Any, ...]] = field(default_factory=list)
    folded: list[tuple[Any, ...]] = field(default_factory=list)  # an op's row and template id
    templates: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    lines: list[tuple[Any, ...]] = field(default_factory=list)
    op_updates: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    subs: dict[tuple[str, ...], list[tuple[Any, ...]]] = field(default_factory=dict)
    routed: list[Any] = field(default_factory=list)  # vendor calls (services.vendors_daily)
    counts: dict[str, int] = field(default_factory=dict)


def encode_batch(codec: Codec, results: list[tuple[Subscription, list[Decision] | Hit]],
                 today: date, *, make_id: Callable[[str], str] = new_id) -> Encoded:
    """Every decision of the batch as rows: new operations, their lines, operation status
    changes, and the subscriptions' changed columns (grouped by which columns changed). Pure
    Python: the scheduler does it on the thread that decides, so that the writer thread holds
    the GIL as little as possible."""
    stamp = codec.timestamp(utcnow())
    day = codec.day(today)
    out = Encoded()
    ops, lines, op_updates, subs, counts = out.ops, out.lines, out.op_updates, out.subs, out.counts
    folded_lines = 0
    for original, decisions in results:
        customer = original.customer
        if isinstance(decisions, Hit):  # a plain prolongation: its key's rows, its own ids
            sub_id = original.id
            middle, tails, end, fold = _plain_rows(codec, decisions.plain, today)
            new_op = make_id("op")
            op_row = (new_op, sub_id, customer, *middle,
                      prolong_dedup_key(sub_id, decisions.plain.op.effective_on), stamp, stamp)
            counts["prolong"] = counts.get("prolong", 0) + 1
            if fold is not None:
                out.folded.append((*op_row, fold.id))
                if fold.id not in out.templates:
                    out.templates[fold.id] = fold.row(codec.day)
                folded_lines += fold.line_count
            else:
                ops.append(op_row)
            for tail in tails:
                lines.append((make_id("ln"), customer, sub_id, new_op, *tail))
            subs.setdefault(_PLAIN_COLUMNS, []).append(
                (end, codec.day(decisions.due_on), sub_id, original.version))
            continue
        for decision in decisions:
            op = decision.operation
            if op is not None:
                if not op.id:
                    op.id = make_id("op")
                ops.append(_operation_row(codec, op, customer, stamp))
                counts[op.type] = counts.get(op.type, 0) + 1
            op_id = op.id if op is not None else None
            if decision.routed is not None:
                out.routed.append(decision.routed)
            for ln in decision.lines:
                lines.append((make_id("ln"), customer, original.id, op_id,
                              LineKind(ln.kind).value, ln.resource, ln.description,
                              codec.day(ln.period_start), codec.day(ln.period_end),
                              ln.quantity, units(ln.unit_price), units(ln.amount), ln.currency,
                              day))
            for upd in decision.op_updates:
                op_updates.append((upd.status.value, upd.error_code, upd.error_message, stamp,
                                   upd.operation_id))
            for event in decision.events:
                event.id = event.id or make_id("evt")
                out.events.append((event.id, event.type, event.customer or customer,
                                   event.subscription or original.id, json_text(event.data),
                                   codec.day(event.created_on or today), stamp,
                                   event.dedup_key))
        cols, values = changed_columns(codec, original, decisions[-1].subscription)
        subs.setdefault(cols, []).append((*values, original.id, original.version))
    counts["lines"] = len(lines) + folded_lines
    if out.events:
        counts["events"] = len(out.events)
    return out


def write_batch(uow: Any, results: list[tuple[Subscription, list[Decision] | Hit]] | Encoded,
                today: date, *, make_id: Callable[[str], str] = new_id) -> dict[str, int]:
    """Store every decision of the batch (or the batch `encode_batch` made of them): new
    operations (their dedup keys make each action happen once), their lines, operation status
    changes, and the subscriptions' new state (guarded by their version). Anything written
    first by another run raises `LostRace`."""
    conn = uow.connection
    batch = results if isinstance(results, Encoded) else \
        encode_batch(Codec(conn.dialect), results, today, make_id=make_id)
    writer = BulkWriter(conn)
    if batch.templates:  # before the operations that name them
        writer.insert_templates(list(batch.templates.values()))
    if batch.ops or batch.folded:
        written = writer.insert_operations(batch.ops) + writer.insert_folded(batch.folded)
        if written != len(batch.ops) + len(batch.folded):
            raise LostRace(f"{len(batch.ops) + len(batch.folded) - written} actions were "
                           "already done")
    writer.insert_lines(batch.lines)
    if batch.events and writer.insert_events(batch.events) != len(batch.events):
        raise LostRace("some of the batch's events were already emitted")
    writer.update_operations(batch.op_updates)
    for cols, rows in batch.subs.items():
        # No column changed still bumps the version: a concurrent run must see the row taken.
        if writer.update_subscriptions(cols, rows) != len(rows):
            raise LostRace("a subscription changed while the batch was decided")
    for routed in batch.routed:  # V4: rare; a batch routing nothing sends nothing more
        vendors.store(uow, routed, today)
    if batch.routed:
        batch.counts["vendor_calls"] = len(batch.routed)
    return dict(batch.counts)
