"""Money storage: exact on both databases (SPEC T5), summed by SQL without loss (SPEC B1)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from prorata.adapters.db import Database
from prorata.adapters.db.schema import payments
from prorata.adapters.db.types import from_units, to_units
from prorata.domain.model import ChargeLine, Customer, LineKind
from prorata.services.ports import OPERATOR
from tests.fakes import FakeDatabase

Db = Database | FakeDatabase
LIMIT = Decimal("922337203685477.5807")  # BIGINT max / 10^4
amounts = st.decimals(min_value=-LIMIT, max_value=LIMIT, places=4,
                      allow_nan=False, allow_infinity=False)
DAY = date(2024, 9, 1)
db_settings = settings(max_examples=60, deadline=None,
                       suppress_health_check=[HealthCheck.function_scoped_fixture])


def line(amount: Decimal, **kw: object) -> ChargeLine:
    fields: dict[str, object] = dict(
        kind=LineKind.CHARGE, description="Licenses", period_start=DAY,
        period_end=date(2024, 10, 1), quantity=1, unit_price=amount, amount=amount,
        currency="USD", customer="acme", created_on=DAY)
    fields.update(kw)
    return ChargeLine(**fields)  # type: ignore[arg-type]


@given(amounts)
def test_units_round_trip(value: Decimal) -> None:  # SPEC T5
    assert from_units(to_units(value)) == value


@pytest.mark.parametrize("bad", [Decimal("0.00001"), Decimal("1.23456"), LIMIT + 1,
                                 Decimal("NaN"), Decimal("Infinity")])
def test_refuses_what_it_cannot_store_exactly(bad: Decimal) -> None:  # SPEC T5
    with pytest.raises(ValueError):
        to_units(bad)


def test_refuses_floats() -> None:  # SPEC T5: never float
    with pytest.raises(TypeError):
        to_units(1.5)  # type: ignore[arg-type]


def test_trailing_zeros_are_not_invented() -> None:
    assert str(from_units(to_units(Decimal("19.35")))) == "19.35"
    assert str(from_units(to_units(Decimal("1200")))) == "1200"
    assert str(from_units(to_units(Decimal("-0.0001")))) == "-0.0001"


@db_settings
@given(value=amounts)
def test_amounts_round_trip_through_the_database(database: Database, value: Decimal) -> None:
    """SPEC T5: whatever is written is read back exactly, large and negative included."""
    with database.uow() as uow:
        uow.add_customer(Customer("acme", "Acme", credit_limit=value))
        uow.add_payment("acme", value, "USD", DAY, payment_id="p1")
        uow.add_lines([line(value, id="l1")])
        assert uow.get_customer(OPERATOR, "acme").credit_limit == value  # type: ignore[union-attr]
        stored = uow.connection.execute(select(payments.c.amount)).scalar_one()
        assert stored == value
        got = uow.list_lines("acme", 10, None).items[0]
        assert (got.amount, got.unit_price) == (value, value)
        assert uow.balance("acme") == 0


def test_more_than_four_decimals_is_refused_before_sql(any_db: Db) -> None:  # SPEC T5
    with any_db.uow() as uow:
        uow.add_customer(Customer("acme", "Acme"))
        with pytest.raises(ValueError):
            uow.add_lines([line(Decimal("0.00001"))])
        with pytest.raises(ValueError):
            uow.add_payment("acme", Decimal("1.00001"), "USD", DAY)
        with pytest.raises(ValueError):
            uow.add_customer(Customer("b", "B", credit_limit=Decimal("0.12345")))
        assert uow.balance("acme") == 0


@db_settings
@given(values=st.lists(amounts.map(lambda d: d / 1000).map(lambda d: d.quantize(Decimal("0.0001"))),
                       max_size=20))
def test_sums_are_exact(database: Database, values: list[Decimal]) -> None:  # SPEC B1
    """The balance is summed in SQL (PostgreSQL answers NUMERIC for sum(bigint))."""
    with database.uow() as uow:
        uow.add_customer(Customer("acme", "Acme"))
        uow.add_lines([line(v) for v in values])
        uow.add_payment("acme", Decimal("0.1"), "USD", DAY)
        assert uow.balance("acme") == Decimal("0.1") - sum(values, Decimal(0))
