"""Every read of the charge lines (SPEC B1): pages, the lines of an operation or a document,
what the issuer looks for, and sums — over both kinds of line: stored rows of `charge_lines`
and lines folded into their operation (adapters/db/folded.py).

Why one module: a reader elsewhere would miss the folded lines without an error; here each
read is one function, reached by the stores that answer the ports (ledger.py, lists.py,
invoices.py, uow.py, scheduler/balances.py). `tests/unit/test_line_reads_only.py` fails when
another module of the package reads `charge_lines`; `tests/integration/test_line_reads.py`
compares every read with a plain sorted list of both kinds.

Each read goes to each table by its own index and expands only what it returns: a
`UNION ALL` view over the two would expand and sort a customer's whole history for one page
(docs/design/scale.md, round 13). One order everywhere, as written: `(seq, id)`, where a folded
line's `seq` is its operation's `line_seq`, drawn where stored lines draw theirs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, func, or_, select

from prorata.adapters.db import folded
from prorata.adapters.db import mapping as m
from prorata.adapters.db.schema import (
    charge_lines,
    invoice_lines,
    line_templates,
    operations,
    subscriptions,
)
from prorata.adapters.db.session import chunks
from prorata.domain.errors import unknown_cursor
from prorata.domain.invoicing import LineRef
from prorata.domain.model import ChargeLine
from prorata.services.ports import Page

_c, _o, _t = charge_lines.c, operations.c, line_templates.c
_FOLDED = _o.template_id.is_not(None)  # also what lets the planner use the partial indexes
_ORDER = (_c.seq, _c.id)
_WITH_TEMPLATE = operations.join(line_templates, _t.id == _o.template_id)

Keyed = tuple[int, str, ChargeLine]  # (seq, id, line): the one order of lines


def _of_customers(*where: Any) -> Any:
    """Folded operations of the customers `where` selects (over `subscriptions.customer_id`):
    found through their subscriptions, since folded operations have no index by customer
    (schema.py, migration 0021)."""
    return _o.subscription_id.in_(select(subscriptions.c.id).where(*where))


def _folded(*columns: Any) -> Any:
    """Folded operations with their template: the columns a line needs, then `columns`."""
    return (select(_o.id, _o.customer_id, _o.subscription_id, _o.created_on, _o.line_seq,
                   _t.lines, *columns).select_from(_WITH_TEMPLATE).where(_FOLDED))


def _expand(row: Any) -> list[Keyed]:
    return [(row.line_seq, ln.id or "", ln) for ln in folded.expand(
        row.id, row.customer_id, row.subscription_id, row.created_on, row.lines)]


def _stored(row: Any) -> Keyed:
    return row.seq, row.id, m.row_to_line(row)


def _lines(keyed: Iterable[Keyed]) -> list[ChargeLine]:
    return [line for _, _, line in sorted(keyed, key=lambda k: k[:2])]


# --- the lines of operations and documents ---------------------------------------------------


def of_operations(conn: Any, op_ids: Iterable[str]) -> dict[str, list[ChargeLine]]:
    """Each operation's lines in order (an operation without lines maps to `[]`); one query
    per table and chunk of ids, not one per operation (operation lists, a failure's reversal)."""
    wanted = sorted(set(op_ids))
    found: dict[str, list[Keyed]] = {op_id: [] for op_id in wanted}
    for part in chunks(wanted):
        for row in conn.execute(select(charge_lines).where(_c.operation_id.in_(part))):
            found[row.operation_id].append(_stored(row))
        for row in conn.execute(_folded().where(_o.id.in_(part))):
            found[row.id].extend(_expand(row))
    return {op_id: _lines(keyed) for op_id, keyed in found.items()}


def of_invoice(conn: Any, invoice_id: str) -> list[ChargeLine]:
    ids = set(conn.execute(select(invoice_lines.c.line_id)
                           .where(invoice_lines.c.invoice_id == invoice_id)).scalars())
    keyed = [_stored(r) for r in conn.execute(
        select(charge_lines).join(invoice_lines, invoice_lines.c.line_id == _c.id)
        .where(invoice_lines.c.invoice_id == invoice_id))]
    op_ids = sorted({split[0] for split in map(folded.split_id, ids) if split is not None})
    for part in chunks(op_ids):
        for row in conn.execute(_folded().where(_o.id.in_(part))):
            keyed.extend(k for k in _expand(row) if k[1] in ids)
    return _lines(keyed)


# --- pages: a customer's lines, the list API --------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineFilter:
    """What a page of lines is restricted to. `scope_of(column)` is the caller's scope (SPEC
    P2) over a customer id column, a clause of the same query; the rest are the list API's
    filters (`GET /v1/charge-lines`)."""

    scope_of: Callable[[Any], ColumnElement[bool]] | None = None
    customer: str | None = None
    subscription: str | None = None
    kind: str | None = None
    created_from: date | None = None
    created_to: date | None = None

    def _owners(self, customer: Any) -> list[Any]:
        return ([] if self.scope_of is None else [self.scope_of(customer)]) + \
            ([] if self.customer is None else [customer == self.customer])

    def _rest(self, subscription: Any, kind: Any, created_on: Any) -> list[Any]:
        out = [column == value for column, value in ((subscription, self.subscription),
                                                     (kind, self.kind)) if value is not None]
        if self.created_from is not None:
            out.append(created_on >= self.created_from)
        if self.created_to is not None:
            out.append(created_on <= self.created_to)
        return out

    def stored(self) -> list[Any]:
        return [*self._owners(_c.customer_id),
                *self._rest(_c.subscription_id, _c.kind, _c.created_on)]

    def folded(self) -> list[Any]:
        owners = self._owners(subscriptions.c.customer_id)
        return [*([_of_customers(*owners)] if owners else []),
                *self._rest(_o.subscription_id, _t.kind, _o.created_on)]


def page(conn: Any, where: LineFilter, limit: int, starting_after: str | None = None,
         ending_before: str | None = None) -> Page:
    """Oldest first, keyset on `(seq, id)`, in either direction: `ending_before` reads
    backwards from the cursor and turns the page round. A cursor must be in the filtered list
    (an unknown one, or one of another scope, is refused alike)."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    cursor_id = starting_after or ending_before
    forward = ending_before is None
    cursor = None
    if cursor_id is not None:
        cursor = _position(conn, where, cursor_id)
        if cursor is None:
            raise unknown_cursor(cursor_id, "starting_after" if forward else "ending_before")
    stored = select(charge_lines).where(*where.stored())
    ops = _folded().where(*where.folded())
    if cursor is not None:
        seq, ident = cursor
        if forward:
            stored = stored.where(or_(_c.seq > seq, and_(_c.seq == seq, _c.id > ident)))
            ops = ops.where(_o.line_seq >= seq)
        else:
            stored = stored.where(or_(_c.seq < seq, and_(_c.seq == seq, _c.id < ident)))
            ops = ops.where(_o.line_seq <= seq)
    stored = stored.order_by(*(_ORDER if forward else (_c.seq.desc(), _c.id.desc())))
    ops = ops.order_by(_o.line_seq if forward else _o.line_seq.desc())
    # Every folded operation but the cursor's own gives at least one line: limit + 2 of them
    # hold the limit + 1 lines the page needs, when there are as many.
    keyed = [_stored(r) for r in conn.execute(stored.limit(limit + 1))]
    for row in conn.execute(ops.limit(limit + 2)):
        keyed.extend(_expand(row))
    if cursor is not None:
        keyed = [k for k in keyed if (k[:2] > cursor if forward else k[:2] < cursor)]
    keyed.sort(key=lambda k: k[:2], reverse=not forward)
    items = [line for _, _, line in keyed[:limit]]
    if not forward:
        items.reverse()
    return Page(items, len(keyed) > limit)


def _position(conn: Any, where: LineFilter, line_id: str) -> tuple[int, str] | None:
    """`(seq, id)` of a line of the filtered list, or None."""
    split = folded.split_id(line_id)
    if split is None:
        seq = conn.execute(select(_c.seq).where(_c.id == line_id, *where.stored())).scalar()
        return None if seq is None else (seq, line_id)
    op_id, position = split
    row = conn.execute(select(_o.line_seq, _t.line_count).select_from(_WITH_TEMPLATE)
                       .where(_FOLDED, _o.id == op_id, *where.folded())).first()
    return None if row is None or position > row.line_count else (row.line_seq, line_id)


# --- what the issuer looks for (B2) ----------------------------------------------------------


def _stored_uninvoiced() -> Any:
    """A line is on a document once its row exists in `invoice_lines`, whose primary key is
    the line: the database itself refuses a line on two documents."""
    return ~exists().where(invoice_lines.c.line_id == _c.id)


def _folded_uninvoiced() -> Any:
    """A folded operation's lines share customer and currency, so they go on one document
    together: its first line's row marks them all."""
    return ~exists().where(invoice_lines.c.line_id == _o.id + ".1")


def uninvoiced_customers(conn: Any, day: date) -> list[str]:
    """Customers with lines written on `day` that no document holds yet (the lines'
    `(created_on, customer_id)` index, the folded operations' `(created_on, …, customer_id)`)."""
    stored = select(_c.customer_id).where(_c.created_on == day, _stored_uninvoiced())
    ops = select(_o.customer_id).where(_FOLDED, _o.created_on == day, _folded_uninvoiced())
    return sorted(set(conn.execute(stored.distinct()).scalars())
                  | set(conn.execute(ops.distinct()).scalars()))


def uninvoiced(conn: Any, day: date, after: str | None, upto: str | None) -> list[LineRef]:
    """The day's lines no document holds, of the customers in `(after, upto]`, by customer
    and then in order."""
    stored = select(_c.id, _c.customer_id, _c.currency, _c.amount, _c.seq).where(
        _c.created_on == day, _stored_uninvoiced(), *_between(_c.customer_id, after, upto))
    customers = _between(subscriptions.c.customer_id, after, upto)
    ops = conn.execute(select(_o.id, _o.customer_id, _o.line_seq, _o.template_id).where(
        _FOLDED, _o.created_on == day, _folded_uninvoiced(),
        *([_of_customers(*customers)] if customers else []))).all()
    found = [(r.customer_id, r.seq, r.id, LineRef(r.id, r.customer_id, r.currency, r.amount))
             for r in conn.execute(stored)]
    # The issuer reads every line of a day: each template once, and no ChargeLine objects.
    templates = _templates(conn, {row.template_id for row in ops})
    for row in ops:
        found.extend((row.customer_id, row.line_seq, f"{row.id}.{position}",
                      LineRef(f"{row.id}.{position}", row.customer_id, line.currency,
                              line.amount))
                     for position, line in enumerate(templates[row.template_id], start=1))
    found.sort(key=lambda f: f[:3])
    return [ref for *_, ref in found]


def _templates(conn: Any, ids: set[str]) -> dict[str, tuple[folded.TemplateLine, ...]]:
    """Template id -> its decoded lines."""
    out: dict[str, tuple[folded.TemplateLine, ...]] = {}
    for part in chunks(sorted(ids)):
        out.update((row.id, folded.parsed(row.lines)) for row in conn.execute(
            select(_t.id, _t.lines).where(_t.id.in_(part))))
    return out


def _between(column: Any, after: str | None, upto: str | None) -> list[Any]:
    return ([column > after] if after is not None else []) + \
        ([column <= upto] if upto is not None else [])


def written_per_day(conn: Any, since: date, until: date) -> dict[date, int]:
    """How many lines each day of `[since, until]` wrote: a day whose documents hold fewer
    was not issued in full."""
    out: dict[date, int] = dict(conn.execute(
        select(_c.created_on, func.count()).where(_c.created_on.between(since, until))
        .group_by(_c.created_on)).all())
    for day, count in conn.execute(
            select(_o.created_on, func.sum(_t.line_count)).select_from(_WITH_TEMPLATE)
            .where(_FOLDED, _o.created_on.between(since, until)).group_by(_o.created_on)):
        out[day] = out.get(day, 0) + int(count)
    return out


# --- sums: balances (B1), credit limits (S7), refund caps ------------------------------------
# A folded operation's lines are summed from its template's `amount`, never expanded.

_SUM_STORED = func.coalesce(func.sum(_c.amount), 0)
_SUM_FOLDED = func.coalesce(func.sum(_t.amount), 0)
_FOLDED_SUMS = select(_SUM_FOLDED).select_from(_WITH_TEMPLATE).where(_FOLDED)


def _net(since: bool) -> Any:
    """Both tables' sums for a subscription (`sub`), from a period start (`since`) or all."""
    stored = [_c.subscription_id == bindparam("sub")]
    folded_ = [_o.subscription_id == bindparam("sub")]
    if since:
        stored.append(_c.period_start >= bindparam("since"))
        folded_.append(_t.period_start >= bindparam("since"))
    return select(select(_SUM_STORED).where(*stored).scalar_subquery(),
                  _FOLDED_SUMS.where(*folded_).scalar_subquery())


_NET, _NET_SINCE = _net(False), _net(True)


def net_charged(conn: Any, sub_id: str, since: date | None) -> Decimal:
    """What a subscription was charged net, in all or from a date, for refund caps. Lines
    without a service period (one-time fees) belong to no period, so they count only when
    `since` is None. One statement, built once (issue 13)."""
    if since is None:
        row = conn.execute(_NET, {"sub": sub_id}).one()
    else:
        row = conn.execute(_NET_SINCE, {"sub": sub_id, "since": since}).one()
    return Decimal(row[0]) + Decimal(row[1])


def charged_totals(customer_id: str) -> tuple[Any, Any]:
    """A customer's stored and folded lines, each summed by the database on the scaled
    integers (exact), as scalar subqueries: a balance is read with its payments in one
    statement, and is payments minus both."""
    return (select(_SUM_STORED).where(_c.customer_id == customer_id).scalar_subquery(),
            _FOLDED_SUMS.where(_of_customers(subscriptions.c.customer_id == customer_id))
            .scalar_subquery())


def charged_by_customer(conn: Any, customer_ids: list[str]) -> dict[str, Decimal]:
    """Each customer's lines summed; a customer without lines is absent."""
    out: dict[str, Decimal] = {}
    for query in (select(_c.customer_id, func.sum(_c.amount))
                  .where(_c.customer_id.in_(customer_ids)).group_by(_c.customer_id),
                  select(_o.customer_id, func.sum(_t.amount)).select_from(_WITH_TEMPLATE)
                  .where(_FOLDED, _of_customers(subscriptions.c.customer_id.in_(customer_ids)))
                  .group_by(_o.customer_id)):
        for cid, total in conn.execute(query):
            out[cid] = out.get(cid, Decimal(0)) + Decimal(total or 0)
    return out
