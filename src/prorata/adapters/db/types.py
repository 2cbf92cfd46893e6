"""Column types that keep money exact on every supported database (SPEC T5)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

SCALE = 10_000  # four decimals: the most a unit price may carry (T5)
MAX_UNITS = 2**63 - 1  # what a BIGINT holds
MIN_UNITS = -(2**63)


def to_units(value: Decimal | int) -> int:
    """A decimal as a count of 1/10⁴ units. Refuses what cannot be stored exactly instead of
    rounding silently: a lost fraction of a cent would be a billing bug that no test sees."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"money must be a Decimal or an int, not {type(value).__name__}")
    dec = Decimal(value)
    if not dec.is_finite():
        raise ValueError(f"money must be finite, got {value}")
    scaled = dec.scaleb(4)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than 4 decimals and cannot be stored exactly")
    units = int(scaled)
    if not MIN_UNITS <= units <= MAX_UNITS:
        raise ValueError(f"{value} is too large to store")
    return units


def from_units(units: int | Decimal) -> Decimal:
    """The stored integer back as a Decimal without trailing zeros beyond the last significant
    decimal ("12.34", not "12.3400"), so values compare and print like the ones written."""
    units = int(units)
    places = 4
    while places and units % 10 == 0:
        units //= 10
        places -= 1
    return Decimal(units).scaleb(-places) if places else Decimal(units)


class Money4(TypeDecorator[Decimal]):
    """A Decimal stored as BIGINT = value × 10⁴: exact, summable with SQL `sum()`, and the same
    on SQLite (which has no exact NUMERIC) and PostgreSQL."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else to_units(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        # PostgreSQL's sum(bigint) answers NUMERIC, hence the int() inside from_units.
        return None if value is None else from_units(value)
