"""Calendar rules: half-open periods (T1), ISO-8601 durations that keep their anchor day (T2),
billing days and billing months (T3)."""

from __future__ import annotations

import calendar as _cal
import re
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from prorata.domain.errors import InvalidInput

_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Duration:
    code: str
    months: int
    days: int


_CACHE: dict[str, Duration] = {}


def parse_duration(code: object, param: str = "period") -> Duration:
    if isinstance(code, str) and code in _CACHE:
        return _CACHE[code]
    m = _DURATION.match(code) if isinstance(code, str) else None
    if not m or not any(m.groups()):
        raise InvalidInput("invalid_period", f"{code!r} is not an ISO-8601 duration like P1M",
                           param)
    years, months, weeks, days = (int(g or 0) for g in m.groups())
    if years * 12 + months + weeks * 7 + days == 0:
        raise InvalidInput("invalid_period", "a period must not be empty", param)
    assert isinstance(code, str)
    dur = Duration(code, years * 12 + months, weeks * 7 + days)
    _CACHE[code] = dur
    return dur


def last_day(year: int, month: int) -> int:
    return _cal.monthrange(year, month)[1]


def add_duration(start: date, dur: Duration, anchor_day: int | None = None) -> date:
    """`start + dur`, clipping to the month's end but returning to `anchor_day` when the month
    allows it, so 31 Jan + P1M = 29 Feb and 29 Feb + P1M (anchor 31) = 31 Mar."""
    result = start
    if dur.months:
        result = start + relativedelta(months=dur.months)
        day = anchor_day or start.day
        result = result.replace(day=min(day, last_day(result.year, result.month)))
    return result + timedelta(days=dur.days)


def expires_on(period_end: date | None) -> date | None:
    """The last day of service of a half-open period (T1)."""
    return None if period_end is None else period_end - ONE_DAY


def billing_month_start(day: date, billing_day: int) -> date:
    """The billing day that opens the billing month `day` falls in (T3)."""
    if day.day >= billing_day:
        return day.replace(day=billing_day)
    prev = day.replace(day=1) - ONE_DAY
    return prev.replace(day=billing_day)


def next_billing_day(day: date, billing_day: int) -> date:
    """The first billing day strictly after `day`."""
    start = billing_month_start(day, billing_day)
    return start + relativedelta(months=1)


def billing_month(day: date, billing_day: int) -> tuple[date, date]:
    start = billing_month_start(day, billing_day)
    return start, start + relativedelta(months=1)


def split_by_billing_month(start: date, end: date,
                           billing_day: int) -> list[tuple[date, date, int]]:
    """Cut `[start, end)` at billing days: [(piece_start, piece_end, billing_month_days)]."""
    pieces = []
    cursor = start
    while cursor < end:
        month_start, month_end = billing_month(cursor, billing_day)
        piece_end = min(end, month_end)
        pieces.append((cursor, piece_end, (month_end - month_start).days))
        cursor = piece_end
    return pieces


def parse_date(raw: object, param: str) -> date:
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str):
        raise InvalidInput("invalid_date", f"{param} must be a date YYYY-MM-DD", param)
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput("invalid_date", f"{param} must be a date YYYY-MM-DD", param) from exc
