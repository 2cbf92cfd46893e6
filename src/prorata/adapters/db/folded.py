"""Folded lines (issue 13; docs/DESIGN.md, "Money and storage"; docs/design/scale.md, rounds 13
and 14): a plain prolongation
of the daily run stores no line rows. Its operation names a *template* — the lines from `kind`
to `currency`, the same for every subscription of its plain key that day — and a line number
(`operations.line_seq`, drawn where stored lines draw theirs). Reading expands it into the
very lines the full engine would have stored: `<operation id>.<position>` as id, the
operation's customer, subscription and day, its line number as `seq`.

The format is defined here once, for the writer (scheduler/batch.py) and the readers
(line_reads.py)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from prorata.adapters.db.bulk import units
from prorata.adapters.db.types import from_units
from prorata.domain.model import ChargeLine, LineKind

MAX_LINES = 9
"""A folded line's position is one digit, so that `(seq, id)` orders an operation's lines
by position like a stored line's `(seq, id)`; a prolongation of more resources is stored."""


@dataclass(frozen=True, slots=True)
class Template:
    """A row of `line_templates`, as the bulk writer sends it."""

    id: str
    lines: str  # JSON text
    line_count: int
    kind: str
    period_start: date | None
    amount: int  # the lines' sum, in units (types.SCALE)

    def row(self, day: Any) -> tuple[Any, ...]:
        """`day`: how the dialect takes a date (bulk.Codec.day)."""
        return (self.id, self.lines, self.line_count, self.kind, day(self.period_start),
                self.amount)


def template(lines: Sequence[ChargeLine]) -> Template | None:
    """The template of these lines, or None when they cannot be folded: none, more than
    MAX_LINES, or of different kinds or period starts (which the readers take from the
    template row, for filters and refund caps, without expanding) or currencies (so that an
    operation's lines go on one document together, and `line_reads` marks them invoiced by
    the first one's row)."""
    if not 1 <= len(lines) <= MAX_LINES:
        return None
    kinds = {LineKind(ln.kind).value for ln in lines}
    starts = {ln.period_start for ln in lines}
    if len(kinds) != 1 or len(starts) != 1 or len({ln.currency for ln in lines}) != 1:
        return None
    body = [[LineKind(ln.kind).value, ln.resource, ln.description, _iso(ln.period_start),
             _iso(ln.period_end), ln.quantity, units(ln.unit_price), units(ln.amount),
             ln.currency] for ln in lines]
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(text.encode()).hexdigest()[:40]
    return Template(f"lt_{digest}", text, len(lines), kinds.pop(), starts.pop(),
                    sum(units(ln.amount) for ln in lines))


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


class TemplateLine(NamedTuple):
    """One line of a template, decoded: a ChargeLine's own fields (in the JSON's order)."""

    kind: LineKind
    resource: str | None
    description: str
    period_start: date | None
    period_end: date | None
    quantity: int
    unit_price: Decimal
    amount: Decimal
    currency: str


@lru_cache(maxsize=4096)
def parsed(lines: str) -> tuple[TemplateLine, ...]:
    """A template's lines decoded once: a day's documents expand the same few hundred
    templates for every operation of the day."""
    return tuple(TemplateLine(LineKind(kind), resource, description, _day(start), _day(end),
                              quantity, from_units(price), from_units(amount), currency)
                 for kind, resource, description, start, end, quantity, price, amount, currency
                 in json.loads(lines))


def expand(op_id: str, customer: str, subscription: str, created_on: date,
           lines: str) -> list[ChargeLine]:
    """The operation's lines, in position order."""
    return [ChargeLine(**line._asdict(), id=f"{op_id}.{position}", customer=customer,
                       subscription=subscription, operation=op_id, created_on=created_on)
            for position, line in enumerate(parsed(lines), start=1)]


def split_id(line_id: str) -> tuple[str, int] | None:
    """(operation id, position) of a folded line's id; None for a stored line's (server ids
    are `<prefix>_<hex>`, without a dot)."""
    op_id, dot, position = line_id.rpartition(".")
    if not dot or not op_id or len(position) != 1 or not "1" <= position <= "9":
        return None
    return op_id, int(position)
