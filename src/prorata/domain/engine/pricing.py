"""Turning a configuration and a span of days into charge lines (T4-T6, C3, C5, C8).

Every amount is exact until the line is made; each line is rounded once, in the customer's
currency, after conversion at the rate effective on the charge date."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from prorata.domain.calendar import next_billing_day, split_by_billing_month
from prorata.domain.catalog import MONTHLY_TYPES, Plan
from prorata.domain.engine.context import RateTable
from prorata.domain.errors import InvalidInput
from prorata.domain.model import ChargeLine, LineKind, UnitPrice
from prorata.domain.money import LINE_LIMIT, PRICE_PLACES, round_ratio

_PRICE_Q = Decimal(1).scaleb(-PRICE_PLACES)
_ONE = Decimal(1)

# Pure calendar answers, memoized: the daily run asks the same few billing months and billing
# days for every subscription of a day, and relativedelta arithmetic is slow.
_next_billing_day = lru_cache(maxsize=4096)(next_billing_day)


@lru_cache(maxsize=4096)
def _billing_pieces(start: date, end: date, billing_day: int) -> tuple[tuple[date, date, int], ...]:
    return tuple(split_by_billing_month(start, end, billing_day))


def capture_prices(plan: Plan, period: str | None) -> dict[str, UnitPrice]:
    """C8: the prices a subscription keeps from purchase or renewal."""
    return {r.id: UnitPrice(r.price_for(period), r.setup_price) for r in plan.resources}


@dataclass(frozen=True, slots=True)
class Config:
    """What is being charged for: a plan, a period code, amounts and the prices to use."""

    plan: Plan
    period: str | None
    resources: dict[str, int]
    prices: dict[str, UnitPrice]


class Pricer:
    """Makes lines for one customer on one charge date."""

    def __init__(self, currency: str, billing_day: int, rates: RateTable, day: date) -> None:
        self.currency = currency
        self.billing_day = billing_day
        self.rates = rates
        self.day = day

    def line(self, kind: LineKind, description: str, start: date | None, end: date | None,
             quantity: int, unit_price: Decimal, num: int, den: int, plan_currency: str,
             resource: str | None = None) -> ChargeLine:
        """A line for the exact plan-currency amount `num / den`: integers, because a ratio of
        ints is exact and much cheaper than Fraction arithmetic (prices have ≤ 4 decimals)."""
        rate = self._rate(plan_currency)
        return self._line(kind, description, start, end, quantity, unit_price,
                          self._amount(num, den, rate), rate, resource)

    def _rate(self, plan_currency: str) -> Decimal:
        if plan_currency == self.currency:
            return _ONE
        return self.rates.rate(plan_currency, self.currency, self.day)

    def _amount(self, num: int, den: int, rate: Decimal) -> Decimal:
        if rate != 1:
            r_num, r_den = rate.as_integer_ratio()
            num, den = num * r_num, den * r_den
        return round_ratio(num, den, self.currency)

    def _line(self, kind: LineKind, description: str, start: date | None, end: date | None,
              quantity: int, unit_price: Decimal, amount: Decimal, rate: Decimal,
              resource: str | None) -> ChargeLine:
        if abs(amount) >= LINE_LIMIT or abs(unit_price * rate) >= LINE_LIMIT:
            raise InvalidInput("amount_too_large",
                               f"a charge of {amount} {self.currency} is beyond what one line "
                               f"may carry ({LINE_LIMIT})", "resources")
        shown_price = unit_price if rate == 1 else (unit_price * rate).quantize(_PRICE_Q)
        return ChargeLine(kind=kind, description=description, period_start=start,
                          period_end=end, quantity=quantity, unit_price=shown_price,
                          amount=amount, currency=self.currency, resource=resource)

    def span_end(self, plan: Plan, start: date, period_end: date | None,
                 shifted: bool = False) -> date | None:
        """Where a charge starting on `start` ends: the next billing day for monthly types,
        the period end for whole-period types (C5). In a shifted period (S6) the last
        billing month runs on to the period end, so the stub is part of the last payment."""
        if plan.billing_type in MONTHLY_TYPES:
            end = _next_billing_day(start, self.billing_day)
            if period_end is None:
                return end
            if shifted and end < period_end < _next_billing_day(end, self.billing_day):
                return period_end
            return min(end, period_end)
        return period_end

    def recurring(self, cfg: Config, start: date, end: date, *, kind: LineKind,
                  ref: tuple[date, date] | None, sign: int = 1,
                  quantities: dict[str, int] | None = None, label: str = "",
                  one_line: bool = False) -> list[ChargeLine]:
        """Prorated recurring lines for `[start, end)`; one per resource and billing month.

        `ref` is the subscription period for whole-period types; None means monthly charging,
        where each piece is prorated over its own billing month (T4). `quantities` overrides
        the chargeable units (a change charges only the difference)."""
        if end <= start:
            return []
        if ref is None:
            pieces = _billing_pieces(start, end, self.billing_day)
            if one_line and len(pieces) > 1:  # S6 shifted: one payment, rounded once (T5)
                return self._one_line(cfg, start, end, pieces, kind, sign, quantities, label)
        else:
            pieces = ((start, end, (ref[1] - ref[0]).days),)
        rate: Decimal | None = None  # looked up on the first line, as before: none, no lookup
        lines = []
        for res in cfg.plan.resources:
            if quantities is not None:
                units = quantities.get(res.id, 0)
            else:
                units = res.chargeable(cfg.resources.get(res.id, 0))
            price = cfg.prices[res.id].price if res.id in cfg.prices else res.price_for(cfg.period)
            if units == 0 or price == 0:
                continue
            p_num, p_den = price.as_integer_ratio()
            if rate is None:
                rate = self._rate(cfg.plan.currency)
            for p_start, p_end, ref_days in pieces:
                days = (p_end - p_start).days
                # exact = units × price × days / ref_days × sign, as an integer ratio
                amount = self._amount(units * p_num * days * sign, p_den * ref_days, rate)
                if amount == 0:
                    continue  # nothing to charge: no line (and no description to format)
                text = (f"{label}{res.name} × {units}, {p_start} – {p_end} "
                        f"({days}/{ref_days} days)")
                lines.append(self._line(kind, text, p_start, p_end, units, price, amount, rate,
                                        res.id))
        return lines

    def setup(self, cfg: Config, high_water: dict[str, int], start: date,
              end: date | None) -> list[ChargeLine]:
        """C2: one-time setup for each unit added above the highest amount held before."""
        lines = []
        for res in cfg.plan.resources:
            added = cfg.resources.get(res.id, 0) - high_water.get(res.id, 0)
            setup = cfg.prices[res.id].setup_price if res.id in cfg.prices else res.setup_price
            if added <= 0 or setup == 0:
                continue
            s_num, s_den = setup.as_integer_ratio()
            lines.append(self.line(LineKind.FEE, f"Setup: {res.name} × {added}", start, end,
                                   added, setup, added * s_num, s_den, cfg.plan.currency,
                                   res.id))
        return lines

    def fee(self, description: str, amount: Decimal, plan_currency: str) -> ChargeLine:
        num, den = amount.as_integer_ratio()
        return self.line(LineKind.FEE, description, self.day, None, 1, amount, num, den,
                         plan_currency)


    def _one_line(self, cfg: Config, start: date, end: date,
                  pieces: tuple[tuple[date, date, int], ...], kind: LineKind, sign: int,
                  quantities: dict[str, int] | None, label: str) -> list[ChargeLine]:
        """One line per resource for `[start, end)` across billing months: each piece is still
        prorated over its own billing month (T4); the sum is rounded once."""
        share = sum((Fraction(e - s, days) for s, e, days in
                     ((p[0].toordinal(), p[1].toordinal(), p[2]) for p in pieces)), Fraction(0))
        parts = " + ".join(f"{(p[1] - p[0]).days}/{p[2]}" for p in pieces)
        rate = self._rate(cfg.plan.currency)
        lines = []
        for res in cfg.plan.resources:
            units = quantities.get(res.id, 0) if quantities is not None \
                else res.chargeable(cfg.resources.get(res.id, 0))
            price = cfg.prices[res.id].price if res.id in cfg.prices else res.price_for(cfg.period)
            if units == 0 or price == 0:
                continue
            p_num, p_den = price.as_integer_ratio()
            amount = self._amount(units * p_num * share.numerator * sign,
                                  p_den * share.denominator, rate)
            if amount == 0:
                continue
            text = f"{label}{res.name} × {units}, {start} – {end} ({parts} billing months)"
            lines.append(self._line(kind, text, start, end, units, price, amount, rate, res.id))
        return lines


def cap_refunds(lines: list[ChargeLine], refundable: Decimal | None) -> list[ChargeLine]:
    """Refunds never exceed what was charged: trim the refund lines, last first, so the sum
    of refunds is at most `refundable` (rounding in pieces or a moved rate could otherwise
    make a refund a cent larger than its charges)."""
    if refundable is None:
        return lines
    limit = max(refundable, Decimal(0))
    total = -sum((ln.amount for ln in lines if ln.amount < 0), Decimal(0))
    excess = total - limit
    if excess <= 0:
        return lines
    out = list(lines)
    for i in range(len(out) - 1, -1, -1):
        ln = out[i]
        if excess <= 0 or ln.amount >= 0:
            continue
        cut = min(excess, -ln.amount)
        out[i] = _with_amount(ln, ln.amount + cut)
        excess -= cut
    return [ln for ln in out if ln.amount != 0]


def _with_amount(line: ChargeLine, amount: Decimal) -> ChargeLine:
    return replace(line, amount=amount,
                   description=f"{line.description} (limited to the amount charged)")


def total(lines: list[ChargeLine]) -> Decimal:
    return sum((ln.amount for ln in lines), Decimal(0))
