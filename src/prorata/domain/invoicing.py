"""Invoice documents (SPEC B2, B5): which lines go on which document, its number and kind, and
whether payments and credits cover it. Pure: the issuer in services/ loads and stores."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from prorata.domain.errors import InvalidInput

DEFAULT_PREFIX = "INV-"
SEQUENCE_DIGITS = 6
MAX_PREFIX = 20
# The seller block of a fresh installation; the operator sets its own (PUT /v1/settings/invoices).
DEFAULT_SELLER: dict[str, Any] = {"name": "Prorata", "address": [], "tax_id": None,
                                  "email": None}
MAX_ADDRESS_LINES = 6
_PRINTABLE = re.compile(r"^[^\x00-\x1f\x7f]*$")


class InvoiceKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class InvoiceStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"


@dataclass(frozen=True, slots=True)
class LineRef:
    """A line not yet on any document, as the issuer needs it."""

    id: str
    customer: str
    currency: str
    amount: Decimal


@dataclass(slots=True)
class Invoice:
    id: str
    sequence: int
    number: str
    kind: InvoiceKind
    customer: str
    issued_on: date
    service_date: date
    currency: str
    total: Decimal
    line_ids: list[str] = field(default_factory=list)
    parties: dict[str, Any] = field(default_factory=dict)


def number(prefix: str, sequence: int) -> str:
    """API.md: the prefix, then the sequence zero-padded to six digits (longer once past
    999999, never cut)."""
    return f"{prefix}{sequence:0{SEQUENCE_DIGITS}d}"


def kind_of(total: Decimal) -> InvoiceKind:
    """B2: a day whose lines sum to less than zero gives a credit note."""
    return InvoiceKind.CREDIT_NOTE if total < 0 else InvoiceKind.INVOICE


def draft(lines: Iterable[LineRef], *, first_sequence: int, prefix: str, service_date: date,
          issued_on: date, parties: Callable[[str], dict[str, Any]],
          new_id: Callable[[str], str]) -> list[Invoice]:
    """One document per customer (and currency, should a customer's lines ever carry two),
    numbered consecutively from `first_sequence` in the order the customers come. The total is
    the sum of the lines, each already rounded once (T5)."""
    groups: dict[tuple[str, str], list[LineRef]] = {}
    for line in lines:
        groups.setdefault((line.customer, line.currency), []).append(line)
    out = []
    for offset, ((customer, currency), members) in enumerate(groups.items()):
        total = sum((ln.amount for ln in members), Decimal(0))
        sequence = first_sequence + offset
        out.append(Invoice(
            id=new_id("inv"), sequence=sequence, number=number(prefix, sequence),
            kind=kind_of(total), customer=customer, issued_on=issued_on,
            service_date=service_date, currency=currency, total=total,
            line_ids=[ln.id for ln in members], parties=parties(customer)))
    return out


def statuses(documents: Iterable[tuple[InvoiceKind, Decimal]], owed_before: Decimal,
             pool: Decimal) -> list[InvoiceStatus]:
    """B5: payments and credits cover invoices oldest first. `documents` are consecutive
    documents of one customer in number order, `owed_before` the sum of the customer's invoices
    numbered before them, `pool` all the customer's payments (refunds are negative payments)
    plus its credit notes. An invoice is paid once the pool covers it and every older one; a
    credit note or a zero invoice owes nothing and is paid from the start."""
    owed = owed_before
    out = []
    for kind, total in documents:
        if kind is InvoiceKind.CREDIT_NOTE or total <= 0:
            out.append(InvoiceStatus.PAID)
            continue
        owed += total
        out.append(InvoiceStatus.PAID if owed <= pool else InvoiceStatus.OPEN)
    return out


@dataclass(frozen=True, slots=True)
class InvoiceSettings:
    """The operator's invoice settings: number prefix and seller block."""

    prefix: str = DEFAULT_PREFIX
    seller: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_SELLER))

    @classmethod
    def from_json(cls, raw: Any) -> InvoiceSettings:
        if not isinstance(raw, dict):
            return cls()
        return cls(raw.get("invoice_prefix", DEFAULT_PREFIX),
                   {**DEFAULT_SELLER, **(raw.get("seller") or {})})

    def to_json(self) -> dict[str, Any]:
        return {"invoice_prefix": self.prefix, "seller": dict(self.seller)}

    def updated(self, body: dict[str, Any]) -> InvoiceSettings:
        """A PUT body applied: fields it leaves out keep their value."""
        prefix = self.prefix
        if "invoice_prefix" in body:
            prefix = _text(body["invoice_prefix"], "invoice_prefix", MAX_PREFIX, empty=True)
        seller = dict(self.seller)
        raw = body.get("seller")
        if raw is not None:
            if not isinstance(raw, dict):
                raise InvalidInput("invalid_field", "seller must be an object", "seller")
            if "name" in raw:
                seller["name"] = _text(raw["name"], "seller.name", 200)
            for key in ("tax_id", "email"):
                if key in raw:
                    seller[key] = None if raw[key] is None else \
                        _text(raw[key], f"seller.{key}", 200)
            if "address" in raw:
                seller["address"] = _address(raw["address"])
        return InvoiceSettings(prefix, seller)


def _text(value: Any, param: str, limit: int, *, empty: bool = False) -> str:
    if not isinstance(value, str) or len(value) > limit or not _PRINTABLE.match(value) or \
            (not empty and not value.strip()):
        raise InvalidInput("invalid_field", f"{param} must be printable text of at most "
                                            f"{limit} characters", param)
    return value if empty else value.strip()


def _address(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_ADDRESS_LINES:
        raise InvalidInput("invalid_field", f"seller.address must be a list of at most "
                                            f"{MAX_ADDRESS_LINES} lines", "seller.address")
    return [_text(v, f"seller.address[{i}]", 200) for i, v in enumerate(value)]
