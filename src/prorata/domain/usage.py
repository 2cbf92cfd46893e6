"""Pay-as-you-go consumption (SPEC B4): usage records checked once on the way in, and the
rating of a billing month's aggregate, rounded once per line (T5).

Quantities and vendor costs are kept as integers scaled by 10⁶ (six decimals): exact, summable
by the database, and cheap to check a million times (no Decimal per record)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from prorata.domain.calendar import billing_month
from prorata.domain.catalog import Plan
from prorata.domain.errors import InvalidInput
from prorata.domain.model import ChargeLine, LineKind, Subscription

SCALE = 10**6
PLACES = 6
CATEGORIES = frozenset({"usage", "reservation", "third_party"})
DEFAULT_CATEGORY = "usage"
MAX_ID = 64
_NUMBER = re.compile(r"(\d{1,9})(?:\.(\d{1,6}))?\Z")  # < 10⁹ units a record
_PRICE_Q = Decimal("0.0001")

Row = tuple[str, str, str, str, str, str, int, int]
"""(subscription, record id, customer, date, meter, category, quantity, cost) as stored: the
date as its canonical ISO text (what both databases store), quantity and cost scaled."""


def scaled(raw: Any, param: str, what: str) -> int:
    """A decimal string (or an exact number) as an integer count of 10⁻⁶; floats are refused
    because they are inexact, negatives because consumption is never negative."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        text = str(raw)
    elif isinstance(raw, (str, Decimal)):
        text = str(raw).strip()
    else:
        raise InvalidInput("invalid_amount", f"{what} must be a decimal string", param)
    match = _NUMBER.match(text)
    if match is None:
        if text.startswith("-"):
            raise InvalidInput("invalid_amount", f"{what} must not be negative", param)
        if re.fullmatch(r"\d{10,}(\.\d*)?", text):
            raise InvalidInput("amount_too_large", f"{what} must be below 10^9", param)
        if re.fullmatch(r"\d+\.\d{7,}", text):
            raise InvalidInput("too_many_decimals",
                               f"{what} may carry at most {PLACES} decimals", param)
        raise InvalidInput("invalid_amount", f"{what} must be a decimal string, got {text[:40]!r}",
                           param)
    whole, frac = match.groups()
    return int(whole) * SCALE + (int(frac.ljust(PLACES, "0")) if frac else 0)


def unscaled(value: int) -> Decimal:
    """The stored integer back as a Decimal without trailing zeros."""
    dec = Decimal(value).scaleb(-PLACES).normalize()
    return dec.quantize(Decimal(1)) if dec == dec.to_integral_value() else dec


def format_scaled(value: int) -> str:
    return format(unscaled(value), "f")


def _fast(raw: Any) -> int | None:
    """The common case (a plain decimal string) without building a param name."""
    if type(raw) is str:
        match = _NUMBER.match(raw)
        if match is not None:
            whole, frac = match.groups()
            return int(whole) * SCALE + (int(frac.ljust(PLACES, "0")) if frac else 0)
    return None


def _digits(raw: Any) -> int:
    """`_fast` without the regex: -1 when not a plain decimal of at most 9 + 6 digits."""
    if type(raw) is not str:
        return -1
    whole, dot, frac = raw.partition(".")
    if not (whole.isdigit() and whole.isascii() and len(whole) <= 9):
        return -1
    if not dot:
        return int(whole) * SCALE
    if not (frac.isdigit() and frac.isascii() and len(frac) <= PLACES):
        return -1
    return int(whole + frac.ljust(PLACES, "0"))


def _param(where: str, name: str, fields: bool) -> str:
    return f"{where}.{name}" if fields else where


@dataclass(frozen=True, slots=True)
class RecordRules:
    """What a record of one subscription must satisfy: a meter of its plan, and a date from
    the purchase to today (and before the period end, for a subscription that ends)."""

    subscription: str
    customer: str
    meters: frozenset[str]
    first_day: date
    last_day: date  # inclusive


class RecordChecker:
    """Checks records one by one; `where` names the record for the error's `param` (the JSON
    index or the CSV line), so a refused import says which record to fix."""

    def __init__(self, rules: RecordRules) -> None:
        self.rules = rules
        self._dates: dict[str, str] = {}  # the valid dates seen, canonical ISO text

    def check_many(self, raws: Iterable[tuple[Any, ...]], fields: bool) -> list[Row]:
        """`check` for a batch, with the common case (strings as a CSV gives them, or as
        JSON gives them) inlined: one import checks millions of records. Anything the fast
        path does not accept goes through `check`, which accepts it or names the error."""
        sub, customer, meters = self.rules.subscription, self.rules.customer, self.rules.meters
        dates, categories, slow = self._dates, CATEGORIES, self.check
        out: list[Row] = []
        append = out.append
        for raw in raws:
            where, rid, day, meter, category, quantity, cost = raw
            try:
                when = dates.get(day)
                if (when is None or type(rid) is not str or not 0 < len(rid) <= MAX_ID
                        or not rid.isprintable() or meter not in meters
                        or (category is not None and category != ""
                            and category not in categories)):
                    append(slow(rid, day, meter, category, quantity, cost, where, fields))
                    continue
                qty = _digits(quantity)
                money = 0 if cost is None or cost == "" else _digits(cost)
            except TypeError:  # an unhashable date or meter from JSON: let check name it
                append(slow(rid, day, meter, category, quantity, cost, where, fields))
                continue
            if qty < 0 or money < 0:
                append(slow(rid, day, meter, category, quantity, cost, where, fields))
                continue
            append((sub, rid, customer, when, meter, category or DEFAULT_CATEGORY, qty, money))
        return out

    def check(self, rid: Any, day: Any, meter: Any, category: Any, quantity: Any, cost: Any,
              where: str, fields: bool) -> Row:
        """`fields`: the param names the field too (`records[3].quantity`); else only the
        place (`line 4`), the field being in the message."""
        rules = self.rules
        if type(rid) is not str or not 0 < len(rid) <= MAX_ID or not rid.isprintable():
            raise InvalidInput("invalid_record_id",
                               f"{where}: id must be 1-{MAX_ID} printable characters",
                               _param(where, "id", fields))
        when = self._dates.get(day) if type(day) is str else None
        if when is None:
            when = self._date(day, where, _param(where, "date", fields)).isoformat()
        if type(meter) is not str or meter not in rules.meters:
            shown = meter if isinstance(meter, str) else type(meter).__name__
            raise InvalidInput("unknown_meter", f"{where}: the plan has no meter {shown[:64]!r}",
                               _param(where, "meter", fields))
        if category is None or category == "":
            category = DEFAULT_CATEGORY
        elif type(category) is not str or category not in CATEGORIES:
            raise InvalidInput("invalid_category",
                               f"{where}: category must be usage, reservation or third_party",
                               _param(where, "category", fields))
        fast = _fast(quantity)
        qty = fast if fast is not None else scaled(quantity, _param(where, "quantity", fields),
                                                   f"{where}: quantity")
        if cost is None or cost == "":
            money = 0
        else:
            fast = _fast(cost)
            money = fast if fast is not None else scaled(cost, _param(where, "cost", fields),
                                                         f"{where}: cost")
        return (rules.subscription, rid, rules.customer, when, meter, category, qty, money)

    def _date(self, raw: Any, where: str, param: str) -> date:
        try:
            when = date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
        except ValueError:
            when = None
        if when is None or when.isoformat() != raw:  # 3.11 also reads 2024-W01-1
            raise InvalidInput("invalid_date", f"{where}: date must be YYYY-MM-DD", param)
        if not self.rules.first_day <= when <= self.rules.last_day:
            raise InvalidInput("date_outside_subscription",
                               f"{where}: {when} is outside the subscription "
                               f"({self.rules.first_day} to {self.rules.last_day})", param)
        self._dates[raw] = raw
        return when


# --- rating --------------------------------------------------------------------------------

@dataclass(slots=True)
class Bucket:
    """One meter and category of one billing month: what becomes one usage line."""

    month: date
    month_end: date
    meter: str
    category: str
    quantity: int = 0
    cost: int = 0
    records: int = 0


def by_billing_month(rows: Iterable[tuple[date, str, str, int, int, int]],
                     billing_day: int) -> list[Bucket]:
    """Daily sums (date, meter, category, quantity, cost, count) into billing months (T3),
    in a stable order (month, meter, category)."""
    buckets: dict[tuple[date, str, str], Bucket] = {}
    months: dict[date, tuple[date, date]] = {}
    for day, meter, category, qty, cost, count in rows:
        if day not in months:
            months[day] = billing_month(day, billing_day)
        start, end = months[day]
        key = (start, meter, category)
        bucket = buckets.get(key)
        if bucket is None:
            bucket = buckets[key] = Bucket(start, end, meter, category)
        bucket.quantity += int(qty)
        bucket.cost += int(cost)
        bucket.records += int(count)
    return [buckets[k] for k in sorted(buckets)]


def meter_price(sub: Subscription, plan: Plan, meter: str) -> Decimal:
    """C8: the price captured on the subscription while the plan locks prices; else (or for
    a meter added to the plan later) the plan's price now."""
    if plan.settings.price_lock and meter in sub.prices:
        return sub.prices[meter].price
    res = plan.resource(meter)
    return Decimal(0) if res is None else res.price_for(sub.period)


def exact_amount(bucket: Bucket, plan: Plan, price: Decimal) -> tuple[int, int]:
    """The aggregate's exact plan-currency amount as an integer ratio: rate the sum, never the
    records one by one, so that a million tiny prices round once (T5)."""
    if plan.settings.payg_rating == "external":
        m_num, m_den = (100 + plan.settings.markup_percent).as_integer_ratio()
        return bucket.cost * m_num, SCALE * 100 * m_den
    p_num, p_den = price.as_integer_ratio()
    return bucket.quantity * p_num, SCALE * p_den


def usage_line(pricer: Any, sub: Subscription, plan: Plan, bucket: Bucket) -> ChargeLine:
    """One `usage` line; its period is the billing month clipped to the subscription's start.
    A whole internal quantity shows as quantity × price; anything else (fractions, external
    rating) as one unit of the exact amount, the quantity being in the description."""
    price = meter_price(sub, plan, bucket.meter)
    num, den = exact_amount(bucket, plan, price)
    res = plan.resource(bucket.meter)
    name = res.name if res is not None else bucket.meter
    start = max(bucket.month, sub.start_date)
    qty_text = format_scaled(bucket.quantity)
    external = plan.settings.payg_rating == "external"
    if external:
        text = (f"{name} ({bucket.category}), {start} – {bucket.month_end}: {qty_text}, "
                f"cost {format_scaled(bucket.cost)} + {plan.settings.markup_percent}%")
    else:
        text = f"{name} ({bucket.category}), {start} – {bucket.month_end}: {qty_text} × {price}"
    if not external and bucket.quantity % SCALE == 0:
        quantity, unit_price = bucket.quantity // SCALE, price
    else:
        quantity, unit_price = 1, (Decimal(num) / Decimal(den)).quantize(_PRICE_Q)
    line: ChargeLine = pricer.line(LineKind.USAGE, text, start, bucket.month_end, quantity,
                                   unit_price, num, den, plan.currency, bucket.meter)
    return line
