"""Every read of the charge lines (adapters/db/line_reads.py) against a plain model (SPEC B1,
B2, P2). Lines come in two kinds, stored rows and lines folded into their operation
(adapters/db/folded.py), and each read merges the two tables on its own; the model is one
Python list of both, sorted once by (write order, id), which every read must agree with
however it is cut: pages both ways and filtered, per operation or document, what the issuer
looks for, and the sums. Hypothesis draws the ledger, so the kinds interleave in ways a
fixed one would not; each example starts from an emptied database."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from prorata.adapters.db import Database, folded, line_reads
from prorata.adapters.db.bulk import Codec, json_text, units
from prorata.adapters.db.bulk_write import BulkWriter
from prorata.adapters.db.line_reads import LineFilter
from prorata.adapters.db.schema import charge_lines, operations
from prorata.adapters.db.session import utcnow
from prorata.domain.errors import InvalidInput
from prorata.domain.invoicing import Invoice, InvoiceKind, LineRef
from prorata.domain.model import ChargeLine, Customer, LineKind, Operation, OpStatus
from prorata.services.list_port import PageRequest
from prorata.services.ports import Scope
from tests.dbfixtures import ledger_breaks, sample_subscription, seed_catalog, truncate_all

DAYS = [date(2024, 9, 1), date(2024, 9, 2), date(2024, 9, 3)]
STARTS = [None, date(2024, 9, 1), date(2024, 10, 1)]
OWNERS = [("c1", "s1a"), ("c1", "s1b"), ("c2", "s2a"), ("c3", "s3a"), ("c2", None)]
CURRENCY = {"c1": "USD", "c2": "USD", "c3": "EUR"}
UNDER = {"c1": {"c1"}, "c3": {"c3"}, "r1": {"c1", "c2"}}  # whom each scope sees (P2)
KINDS = [LineKind.CHARGE, LineKind.REFUND, LineKind.FEE]

LINE = st.tuples(st.sampled_from(["6.00", "-2.5", "0.0001", "1200"]), st.integers(1, 3),
                 st.sampled_from(["Licenses", "Лицензии \"E3\"", "fee"]),
                 st.sampled_from([None, "seats"]), st.sampled_from(KINDS))
# (how it is written, owner, day, period start, lines, how many of them on a document)
EVENT = st.tuples(st.sampled_from(["folded", "folded", "uow", "bulk", "reversal"]),
                  st.integers(0, len(OWNERS) - 1), st.integers(0, 2), st.sampled_from(STARTS),
                  st.lists(LINE, min_size=1, max_size=3), st.sampled_from([0, 0, 1, 9]))
L1, L2, L3 = ("6.00", 1, "Licenses", "seats", KINDS[0]), ("-2.5", 2, "fee", None, KINDS[1]), \
    ("1200", 3, "Лицензии \"E3\"", "seats", KINDS[2])
VARIED = [("folded", 0, 0, STARTS[1], [L1], 9), ("uow", 0, 0, STARTS[1], [L1, L2], 0),
          ("folded", 2, 0, STARTS[2], [L1, L3], 0), ("bulk", 4, 1, None, [L3], 9),
          ("folded", 1, 1, None, [L2, L2, L1], 1), ("reversal", 0, 1, STARTS[1], [L1], 0),
          ("folded", 3, 2, STARTS[1], [L3, L1], 9), ("bulk", 3, 2, STARTS[2], [L2, L1], 1),
          ("folded", 0, 2, STARTS[1], [L1], 0), ("reversal", 0, 2, None, [L2, L3], 9)]


class Model:
    """What was written, as plain Python: each line keyed by (event, place in its write, id),
    so `lines` is the one order (B1) without asking the database for a `seq`; the folded
    operations; the documents and the ids on them."""

    def __init__(self) -> None:
        self.keyed: list[tuple[int, int, str, ChargeLine]] = []
        self.folds: dict[str, int] = {}  # folded operation -> line count
        self.on_docs: set[str] = set()
        self.docs: dict[str, list[str]] = {}

    @property
    def lines(self) -> list[ChargeLine]:
        return [ln for *_, ln in sorted(self.keyed, key=lambda k: k[:3])]

    def invoiced(self, ln: ChargeLine) -> bool:  # B2: a folded op is marked by `<op>.1`
        return (f"{ln.operation}.1" if ln.operation in self.folds and "." in (ln.id or "")
                else ln.id) in self.on_docs


def _lines(drawn: list[Any], cust: str, sub: str | None, op: str | None, day: date,
           start: date | None, ids: list[str], kind: LineKind | None = None) -> list[ChargeLine]:
    end = None if start is None else start + timedelta(days=30)
    return [ChargeLine(kind=kind or k, description=d, period_start=start, period_end=end,
                       quantity=q, unit_price=Decimal(a), amount=Decimal(a) * q,
                       currency=CURRENCY[cust], resource=r, id=ident, customer=cust,
                       subscription=sub, operation=op, created_on=day)
            for (a, q, d, r, k), ident in zip(drawn, ids, strict=True)]


def write(db: Database, events: list[Any]) -> Model:
    """The drawn ledger, written as the product writes it: folded operations through the
    bulk writer's templates (as scheduler/batch.py write_batch), stored lines through
    `add_lines` or `insert_lines`, in event order (the order of their line numbers)."""
    truncate_all(db.engine)
    model, docs = Model(), defaultdict(list)
    with db.uow() as uow:
        uow.add_reseller("r1", "R1", None)
        seed_catalog(uow, "c1", reseller="r1")
        uow.add_customer(Customer("c2", "C2", reseller="r1"))
        uow.add_customer(Customer("c3", "C3", currency="EUR"))
        for cust, sub in OWNERS[:4]:
            uow.add_subscription(sample_subscription(sub, cust))
        uow.add_payment("c1", Decimal("100"), "USD", DAYS[0])
        codec, writer = Codec(uow.connection.dialect), BulkWriter(uow.connection)
        stamp = codec.timestamp(utcnow())
        for n, (how, owner, day_i, start, drawn, on_doc) in enumerate(events):
            (cust, sub), day, op = OWNERS[owner], DAYS[day_i], f"op{n}"
            if how == "folded":
                sub = sub or "s2a"
                lines = _lines(drawn, cust, sub, op, day, start,
                               [f"{op}.{i}" for i in range(1, len(drawn) + 1)], drawn[0][4])
                fold = folded.template(lines)
                assert fold is not None
                assert folded.expand(op, cust, sub, day, fold.lines) == lines  # the format
                writer.insert_templates([fold.row(codec.day)])
                assert writer.insert_folded([(
                    op, sub, cust, "prolong", "completed", "scheduler", json_text({}),
                    codec.day(day), codec.day(day), fold.amount, CURRENCY[cust], None, None,
                    f"prolong:{op}", stamp, stamp, fold.id)]) == 1
                model.folds[op] = len(lines)
                model.keyed += [(n, 0, ln.id or "", ln) for ln in lines]
            else:
                if how == "reversal" and model.folds:  # stored lines of a folded operation
                    op = list(model.folds)[-1]
                    cust, sub = next((ln.customer, ln.subscription) for *_, ln in model.keyed
                                     if ln.operation == op)
                elif sub is None:
                    op = None
                else:
                    uow.add_operation(Operation(op, sub, "purchase", OpStatus.COMPLETED,
                                                "operator", {}, day, day))
                lines = _lines(drawn, cust, sub, op, day, start,
                               [f"ln{n}x{9 - i}" for i in range(len(drawn))])  # see below
                if how == "bulk":
                    writer.insert_lines([(
                        ln.id, cust, sub, op, ln.kind.value, ln.resource, ln.description,
                        codec.day(ln.period_start), codec.day(ln.period_end), ln.quantity,
                        units(ln.unit_price), units(ln.amount), ln.currency, codec.day(day))
                        for ln in lines])
                else:
                    uow.add_lines(lines)
                model.keyed += [(n, i, ln.id or "", ln) for i, ln in enumerate(lines)]
            if on_doc:  # 1: only the first (a folded op then counts as invoiced, B2)
                docs[cust, CURRENCY[cust]] += [ln.id or "" for ln in lines[:on_doc]]
        invoices = [Invoice(f"in-{c}", k, f"INV{k:06d}", InvoiceKind.INVOICE, c, DAYS[2],
                            DAYS[0], cur, Decimal(0), ids)
                    for k, ((c, cur), ids) in enumerate(sorted(docs.items()), start=1)]
        uow.add_invoices(invoices, [])
        uow.commit()
    model.docs = {inv.id: inv.line_ids for inv in invoices}
    model.on_docs = {i for ids in model.docs.values() for i in ids}
    assert ledger_breaks(db.engine) == []  # the test's own ledger is whole
    # One numbering for both kinds, no number twice: the order is (seq, id) only because of
    # that (an event's stored ids fall as they are written, so a tie would show in its order).
    with db.engine.connect() as conn:
        numbers = [*conn.execute(select(charge_lines.c.seq)).scalars(), *conn.execute(
            select(operations.c.line_seq).where(operations.c.line_seq.is_not(None))).scalars()]
    assert len(set(numbers)) == len(numbers) == len(model.keyed) - sum(model.folds.values()) \
        + len(model.folds)
    return model


FILTERS = [{}, {"customer": "c1"}, {"customer": "c2"}, {"subscription": "s1a"},
           {"kind": "charge"}, {"kind": "refund"}, {"created_from": DAYS[1]},
           {"created_to": DAYS[1]}, {"created_from": DAYS[1], "created_to": DAYS[1]},
           {"customer": "c1", "kind": "charge", "created_from": DAYS[0], "created_to": DAYS[1]},
           {"subscription": "s2a", "created_to": DAYS[1]}]
SCOPED = [(Scope("customer", "c1"), {}), (Scope("reseller", "r1"), {}),
          (Scope("reseller", "r1"), {"kind": "fee"}), (Scope("reseller", "r1"), {"customer": "c3"}),
          (Scope("customer", "c3"), {"created_from": DAYS[2]}), (Scope("operator", "operator"), {})]


def keeps(ln: ChargeLine, f: dict[str, Any], scope: Scope | None) -> bool:
    return ((scope is None or scope.kind == "operator" or ln.customer in UNDER[scope.party])
            and f.get("customer", ln.customer) == ln.customer
            and f.get("subscription", ln.subscription) == ln.subscription
            and f.get("kind", ln.kind) == ln.kind
            and f.get("created_from", ln.created_on) <= ln.created_on  # type: ignore[operator]
            and f.get("created_to", ln.created_on) >= ln.created_on)  # type: ignore[operator]


def walk(read: Any, expected: list[ChargeLine], what: Any) -> None:
    """Forward through every page from the start, backward from the last line, per limit."""
    for limit in (1, 2, 3, 50):
        seen: list[ChargeLine] = []
        while True:
            page = read(limit, seen[-1].id if seen else None, None)
            at = len(seen)
            assert page.items == expected[at:at + limit], (what, limit, "forward", at)
            assert page.has_more == (at + limit < len(expected)), (what, limit, "forward", at)
            seen += page.items
            if not page.has_more:
                break
        at = len(expected) - 1
        while at > 0:
            page = read(limit, None, expected[at].id)
            assert page.items == expected[max(0, at - limit):at], (what, limit, "backward", at)
            assert page.has_more == (at > limit), (what, limit, "backward", at)
            at -= limit


def refuses(read: Any, expected: list[ChargeLine], model: Model, what: Any) -> None:
    """A cursor must be a line of the filtered list: else `invalid_cursor`, both ways."""
    ids = {ln.id for ln in expected}
    bad = ["ln-nope", *[op for op in model.folds][:1],
           *[ln.id or "" for ln in model.lines if ln.id not in ids][:1]]
    inside = [op for op in model.folds if f"{op}.1" in ids][:1]
    bad += [f"{op}.{n}" for op in inside for n in (0, model.folds[op] + 1)]
    for cursor in bad:
        for after, before in ((cursor, None), (None, cursor)):
            with pytest.raises(InvalidInput) as refused:
                read(1, after, before)
            assert refused.value.code == "invalid_cursor", (what, cursor)


def check_pages(uow: Any, model: Model) -> None:
    conn = uow.connection
    cases: list[tuple[Any, Any, Scope | None, dict[str, Any]]] = [
        (lambda lim, a, b, f=f: line_reads.page(conn, LineFilter(**f), lim, a, b), f, None, f)
        for f in FILTERS]
    cases += [(lambda lim, a, b, s=s, f=f: uow.list_objects(  # SPEC P2
        "charge_lines", s, f, PageRequest(lim, a, b)), (s, f), s, f) for s, f in SCOPED]
    for read, what, scope, f in cases:
        expected = [ln for ln in model.lines if keeps(ln, f, scope)]
        walk(read, expected, what)
        refuses(read, expected, model, what)


def check_documents_and_sums(uow: Any, model: Model) -> None:
    conn, lines = uow.connection, model.lines
    ops = {ln.operation for ln in lines if ln.operation} | {"op-none"}
    assert line_reads.of_operations(conn, ops) == {
        op: [ln for ln in lines if ln.operation == op] for op in ops}
    for inv, ids in [*model.docs.items(), ("in-none", [])]:
        assert line_reads.of_invoice(conn, inv) == [ln for ln in lines if ln.id in ids]
    for day in DAYS:  # SPEC B2: what the issuer looks for
        open_ = [ln for ln in lines if ln.created_on == day and not model.invoiced(ln)]
        assert line_reads.uninvoiced_customers(conn, day) == \
            sorted({ln.customer or "" for ln in open_})
        for after, upto in ((None, None), ("c1", None), (None, "c2"), ("c1", "c2"), ("c", "c1")):
            assert line_reads.uninvoiced(conn, day, after, upto) == [
                LineRef(ln.id or "", ln.customer or "", ln.currency, ln.amount)
                for ln in sorted(open_, key=lambda ln: ln.customer or "")  # stable: in order
                if (after is None or (ln.customer or "") > after)
                and (upto is None or (ln.customer or "") <= upto)], (day, after, upto)
    for since, until in ((DAYS[0], DAYS[2]), (DAYS[1], DAYS[1]), (DAYS[2], DAYS[2])):
        assert line_reads.written_per_day(conn, since, until) == dict(Counter(
            ln.created_on for ln in lines if since <= ln.created_on <= until))  # type: ignore
    # SPEC B1: sums over both kinds
    for sub in ("s1a", "s1b", "s2a", "s3a", "s-none"):
        for since in (None, *DAYS, STARTS[2]):
            assert line_reads.net_charged(conn, sub, since) == sum(
                (ln.amount for ln in lines if ln.subscription == sub and (
                    since is None or (ln.period_start is not None and ln.period_start >= since))),
                Decimal(0)), (sub, since)
    charged = {c: sum((ln.amount for ln in lines if ln.customer == c), Decimal(0))
               for c in CURRENCY}
    for cust, total in charged.items():
        assert uow.balance(cust) == (Decimal(100) if cust == "c1" else 0) - total
    assert line_reads.charged_by_customer(conn, [*CURRENCY, "c-none"]) == {
        c: total for c, total in charged.items() if any(ln.customer == c for ln in lines)}


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(events=st.lists(EVENT, min_size=1, max_size=10))
@example(events=VARIED)  # folds of 1, 2 and 3 lines, reversals, both writers, every day
def test_every_read_agrees_with_the_plain_list(database: Database, events: list[Any]) -> None:
    model = write(database, events)
    with database.uow(read_only=True) as uow:
        check_pages(uow, model)
        check_documents_and_sums(uow, model)


def test_what_is_folded_and_how_its_ids_read() -> None:
    """Only lines the readers can take from the template row fold (one kind, period start
    and currency; 1 to MAX_LINES), and a folded id is `<op>.<one digit 1-9>`: anything else
    is read as a stored line's id, so `op.0` or `op.10` is no line of `op`."""
    base = _lines([L1] * folded.MAX_LINES, "c1", "s1a", "op", DAYS[0], STARTS[1],
                  [f"op.{i}" for i in range(1, folded.MAX_LINES + 1)])
    fold = folded.template(base)
    assert fold is not None and fold.line_count == folded.MAX_LINES
    assert folded.expand("op", "c1", "s1a", DAYS[0], fold.lines) == base
    other = _lines([L2], "c3", "s3a", "op", DAYS[0], STARTS[2], ["x"])[0]
    for mixed in ([], [*base, base[0]], [base[0], replace(base[1], kind=LineKind.FEE)],
                  [base[0], replace(base[1], period_start=None)],
                  [base[0], replace(base[1], currency=other.currency)]):
        assert folded.template(mixed) is None
    assert [folded.split_id(i) for i in ("op.1", "a.b.9", "op.0", "op.10", "ln_1", "op.")] == \
        [("op", 1), ("a.b", 9), None, None, None, None]
