"""Exact money (SPEC T5): rationals while computing, one half-up rounding per charge line."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from prorata.domain import iso4217
from prorata.domain.errors import InvalidInput

# ISO 4217 minor units that differ from the usual two.
_MINOR_UNITS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_AMOUNT = re.compile(r"^-?\d{1,14}(\.\d+)?$")
PRICE_PLACES = 4  # unit prices may carry up to 4 decimals (T5)
# The largest amount one charge line may carry: storage keeps amounts as value × 10⁴ in a
# signed 64-bit integer (≈ 9.2 × 10¹⁴), and a line must be refused before it cannot be stored.
LINE_LIMIT = Decimal(10) ** 14
ZERO = Decimal("0")

Exact = Fraction | Decimal | int


def minor_unit(currency: str) -> int:
    return _MINOR_UNITS.get(currency, 2)


def check_currency(code: object, param: str = "currency") -> str:
    """An active ISO 4217 code: `XYZ` is refused here, not at the first purchase."""
    if not isinstance(code, str) or not _CURRENCY.match(code) or code not in iso4217.CODES:
        raise InvalidInput("invalid_currency", f"{code!r} is not an ISO 4217 currency code", param)
    return code


def round_money(value: Exact, currency: str) -> Decimal:
    """Half-up, symmetric around zero so that a refund is the exact mirror of its charge."""
    frac = Fraction(value)
    return round_ratio(frac.numerator, frac.denominator, currency)


def round_ratio(num: int, den: int, currency: str) -> Decimal:
    """`round_money(num / den)` without building a Fraction: the daily run rounds one line per
    resource and billing month, and the exact integer ratio (prices carry at most four
    decimals) is several times cheaper than rational arithmetic. The ratio need not be in
    lowest terms: half-up rounding of num/den does not depend on it."""
    if den < 0:
        num, den = -num, -den
    places = _MINOR_UNITS.get(currency, 2)
    units = (2 * abs(num) * 10 ** places + den) // (2 * den)
    if num < 0:
        units = -units
    return Decimal(units).scaleb(-places)


def parse_decimal(raw: object, param: str, *, places: int = PRICE_PLACES,
                  allow_negative: bool = False) -> Decimal:
    """Parse a decimal string from the outside; floats are refused because they are inexact."""
    if isinstance(raw, bool) or isinstance(raw, float):
        raise InvalidInput("invalid_amount", f"{param} must be a decimal string", param)
    text = str(raw).strip() if isinstance(raw, (str, int, Decimal)) else None
    if text is None or not _AMOUNT.match(text):
        raise InvalidInput("invalid_amount", f"{param} must be a decimal string, got {raw!r}",
                           param)
    try:
        value = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards
        raise InvalidInput("invalid_amount", f"{param} is not a number", param) from exc
    if value < 0 and not allow_negative:
        raise InvalidInput("invalid_amount", f"{param} must not be negative", param)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise InvalidInput(
            "too_many_decimals", f"{param} may carry at most {places} decimals", param
        )
    return value


def format_amount(value: Decimal, currency: str) -> str:
    """A rounded amount as the API shows it: exactly the currency's minor unit."""
    return str(value.quantize(Decimal(1).scaleb(-minor_unit(currency))))


def format_price(value: Decimal) -> str:
    """A unit price without trailing noise but with at least two decimals ("6.00", "0.1234")."""
    text = format(value.normalize(), "f")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"
