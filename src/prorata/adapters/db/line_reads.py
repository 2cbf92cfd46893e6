"""Every read of the charge lines (SPEC B1): pages, the lines of an operation or a document,
what the issuer looks for, and sums.

Why one module: the lines are most of a billing day's rows, and the step that would make a
plain prolongation cheap enough for issue 13's goal stores such lines folded into their
operation (docs/design/scale.md, round 13). A reader elsewhere would then miss them without an
error. Here each read is one function, reached by the stores that answer the ports
(ledger.py, lists.py, invoices.py, uow.py, scheduler/balances.py), so that change is made in
this file and its tests; `tests/unit/test_line_reads_only.py` fails when another module of the
package reads `charge_lines`. The writers (ledger.py `add_lines`, bulk_write.py) stay where
they are: they write, and a fold changes what they write, not who reads it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, exists, func, select

from prorata.adapters.db import mapping as m
from prorata.adapters.db.schema import charge_lines, invoice_lines
from prorata.adapters.db.session import chunks
from prorata.domain.invoicing import LineRef
from prorata.domain.model import ChargeLine

_c = charge_lines.c

ORDER = (_c.seq, _c.id)
"""The one order of lines everywhere: as written (B1)."""

# --- the lines themselves ------------------------------------------------------------------


def of_operations(conn: Any, op_ids: Iterable[str]) -> dict[str, list[ChargeLine]]:
    """Each operation's lines in order (an operation without lines maps to `[]`); one query
    per chunk of ids, not one per operation (operation lists, a failure's reversal)."""
    wanted = sorted(set(op_ids))
    out: dict[str, list[ChargeLine]] = {op_id: [] for op_id in wanted}
    for part in chunks(wanted):
        for row in conn.execute(select(charge_lines).where(_c.operation_id.in_(part))
                                .order_by(*ORDER)):
            out[row.operation_id].append(m.row_to_line(row))
    return out


def of_customer(customer_id: str) -> tuple[Select[Any], Any, ColumnElement[bool]]:
    """A customer's lines for `Session._page` (keyset on seq, id): the query, the table and
    the owner clause a cursor must satisfy."""
    owner = _c.customer_id == customer_id
    return select(charge_lines).where(owner), charge_lines, owner


def listing(scope_of: Callable[[Any], ColumnElement[bool]],
            filters: dict[str, Any]) -> tuple[Select[Any], Any, Any]:
    """The list API's lines (`GET /v1/charge-lines`) for lists.py's keyset: the query, its
    order column and the id that breaks ties. `scope_of(column)` is the caller's scope over a
    customer id column (SPEC P2), a clause of this same query."""
    query = select(charge_lines).where(scope_of(_c.customer_id))
    for name, column in (("customer", _c.customer_id), ("subscription", _c.subscription_id),
                         ("kind", _c.kind)):
        if name in filters:
            query = query.where(column == filters[name])
    if "created_from" in filters:
        query = query.where(_c.created_on >= filters["created_from"])
    if "created_to" in filters:
        query = query.where(_c.created_on <= filters["created_to"])
    return query, _c.seq, _c.id


def of_invoice(conn: Any, invoice_id: str) -> list[ChargeLine]:
    rows = conn.execute(
        select(charge_lines).join(invoice_lines, invoice_lines.c.line_id == _c.id)
        .where(invoice_lines.c.invoice_id == invoice_id).order_by(*ORDER)).all()
    return [m.row_to_line(r) for r in rows]


# --- what the issuer looks for (B2) ----------------------------------------------------------


def _not_invoiced() -> Any:
    """A line is on a document once its row exists in `invoice_lines`, whose primary key is
    the line: the database itself refuses a line on two documents."""
    return ~exists().where(invoice_lines.c.line_id == _c.id)


def uninvoiced_customers(conn: Any, day: date) -> list[str]:
    """Customers with lines written on `day` that no document holds yet (index
    `(created_on, customer_id)`)."""
    return list(conn.execute(select(_c.customer_id).distinct()
                             .where(_c.created_on == day, _not_invoiced())
                             .order_by(_c.customer_id)).scalars())


def uninvoiced(conn: Any, day: date, after: str | None, upto: str | None) -> list[LineRef]:
    """The day's lines no document holds, of the customers in `(after, upto]`, by customer
    and then in order."""
    query = (select(_c.id, _c.customer_id, _c.currency, _c.amount)
             .where(_c.created_on == day, _not_invoiced())
             .order_by(_c.customer_id, *ORDER))
    if after is not None:
        query = query.where(_c.customer_id > after)
    if upto is not None:
        query = query.where(_c.customer_id <= upto)
    return [LineRef(r.id, r.customer_id, r.currency, r.amount) for r in conn.execute(query)]


def written_per_day(conn: Any, since: date, until: date) -> dict[date, int]:
    """How many lines each day of `[since, until]` wrote: a day whose documents hold fewer
    was not issued in full."""
    return dict(conn.execute(select(_c.created_on, func.count())
                             .where(_c.created_on.between(since, until))
                             .group_by(_c.created_on)).all())


# --- sums: balances (B1), credit limits (S7), refund caps ------------------------------------

_NET = select(func.coalesce(func.sum(_c.amount), 0)).where(_c.subscription_id == bindparam("sub"))
_NET_SINCE = _NET.where(_c.period_start >= bindparam("since"))


def net_charged(conn: Any, sub_id: str, since: date | None) -> Decimal:
    """What a subscription was charged net, in all or from a date, for refund caps. Lines
    without a service period (one-time fees) belong to no period, so they count only when
    `since` is None. Both statements are built once (issue 13)."""
    if since is None:
        return Decimal(conn.execute(_NET, {"sub": sub_id}).scalar_one())
    return Decimal(conn.execute(_NET_SINCE, {"sub": sub_id, "since": since}).scalar_one())


def charged_total(customer_id: str) -> Any:
    """A customer's lines summed by the database on the scaled integers (exact), as a scalar
    subquery, so that a balance is read with its payments in one statement."""
    return select(func.coalesce(func.sum(_c.amount), 0)).where(
        _c.customer_id == customer_id).scalar_subquery()


def charged_by_customer(conn: Any, customer_ids: list[str]) -> dict[str, Decimal]:
    """Each customer's lines summed; a customer without lines is absent."""
    return {cid: Decimal(total or 0) for cid, total in conn.execute(
        select(_c.customer_id, func.sum(_c.amount)).where(_c.customer_id.in_(customer_ids))
        .group_by(_c.customer_id))}
