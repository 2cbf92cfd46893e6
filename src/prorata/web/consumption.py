"""The consumption chart (SPEC B4: "Analytics shows cost by month and category") from the
rows of `services.usage.*_consumption`, the same rows GET .../consumption answers.

A bar per billing month, stacked by category, of what the customer is charged (`amount`, the
usage lines); the exact amounts are printed beside each bar and in the table under it, so
the chart is never the only place a figure is. Sums are Decimal; only the bar geometry (a
percentage of the widest month) is rounded, to a tenth of a percent, and is never shown as
money."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from prorata.domain.money import format_amount

# Stacking and legend order: the plain usage first, then what the vendor reserved or resold.
CATEGORIES = ("usage", "reservation", "third_party")
CATEGORY_LABELS = {"usage": "Usage", "reservation": "Reservations",
                   "third_party": "Third-party"}
TENTH = Decimal("0.1")


@dataclass
class Segment:
    category: str
    amount: Decimal
    width: Decimal  # percent of the widest month's bar


@dataclass
class Month:
    month: date
    total: Decimal
    segments: list[Segment]
    by_category: dict[str, Decimal]

    @property
    def label(self) -> str:
        return f"{self.month:%b %Y}"


@dataclass
class Chart:
    currency: str
    months: list[Month]
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def categories(self) -> list[str]:
        """The categories that occur, in stacking order: the legend lists no empty ones."""
        seen = {c for m in self.months for c, v in m.by_category.items() if v}
        seen |= {r["category"] for r in self.rows}
        return [c for c in CATEGORIES if c in seen]

    def money(self, value: Decimal) -> str:
        return f"{format_amount(value, self.currency)} {self.currency}"

    def summary(self) -> str:
        """The chart in one sentence, for its aria-label."""
        parts = [f"{m.label}: {self.money(m.total)}" for m in self.months]
        return "Charged for consumption by month. " + "; ".join(parts)


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    if whole <= 0:
        return Decimal(0)
    return (part * 100 / whole).quantize(TENTH, rounding=ROUND_HALF_UP)


def chart(rows: list[dict[str, Any]]) -> Chart | None:
    """None when there is no consumption at all (the page then shows no chart)."""
    if not rows:
        return None
    currency = str(rows[0]["currency"])
    sums: defaultdict[date, defaultdict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:
        sums[date.fromisoformat(row["month"])][row["category"]] += Decimal(row["amount"])
    widest = max(sum(cats.values(), Decimal(0)) for cats in sums.values())
    months = []
    for month in sorted(sums):
        cats = sums[month]
        segments = [Segment(c, cats[c], _percent(cats[c], widest)) for c in CATEGORIES
                    if cats.get(c)]
        months.append(Month(month, sum(cats.values(), Decimal(0)), segments, dict(cats)))
    table = sorted(rows, key=lambda r: (r["month"], CATEGORIES.index(r["category"])
                                        if r["category"] in CATEGORIES else 9,
                                        r.get("subscription", ""), r["meter"]))
    return Chart(currency, months, table)
