"""ISO 4217 at creation (issue 7): a code that is not a currency is refused where it enters."""

import pytest

from prorata.domain.errors import InvalidInput
from prorata.domain.iso4217 import CODES
from prorata.domain.money import check_currency, minor_unit


@pytest.mark.parametrize("code", ["USD", "EUR", "JPY", "KWD", "CHF", "ZWG", "XCG", "XOF"])
def test_circulating_codes_are_accepted(code):
    assert check_currency(code) == code


@pytest.mark.parametrize("code", ["XYZ", "XTS", "XXX", "XAU", "usd", "US", "", None, 840])
def test_codes_that_are_not_money_are_refused(code):
    with pytest.raises(InvalidInput) as caught:
        check_currency(code, "currency")
    assert (caught.value.code, caught.value.param) == ("invalid_currency", "currency")


def test_every_special_minor_unit_is_a_known_code_or_a_fund():
    # T5: rounding to the minor unit presumes the code is known.
    from prorata.domain.money import _MINOR_UNITS
    assert set(_MINOR_UNITS) - CODES <= {"UYI"}  # UYI is a fund code, not billed in
    assert minor_unit("JPY") == 0 and minor_unit("KWD") == 3 and minor_unit("USD") == 2
