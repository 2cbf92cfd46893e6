"""Seed 003 over HTTP: ordered 2020-05-15 for one year, not renewed, expired, renewed a week
later — constant keeps the calendar place, shifted starts a full period (SPEC S6)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e.conftest import error_of
from tests.e2e.lifecycle import buy, charges, clock, money, ok, op, seats_plan, setup, sub


@pytest.fixture
def seed003(client_factory, db_kind):
    return client_factory(db_kind, test_clock="2020-05-15")


@pytest.mark.parametrize("mode, expires, first", [
    # constant: period 2021-05-15 … 2022-05-14, paid from 21 May: 365 − 6 days of 365.
    ("constant", "2022-05-14", money(Decimal(1200) * 359 / 365)),
    # shifted: a full year from the renewal date at the full price.
    ("shifted", "2022-05-20", Decimal("1200.00")),
])
def test_expired_subscription_renewed_a_week_later(seed003, mode, expires, first):
    api = seed003
    setup(api, seats_plan("gw-annual", "long_term", "120.00",
                          settings={"expired_renewal_mode": mode}))
    s = buy(api, "gw-annual", 10, auto_renew=False)
    assert s["expires_on"] == "2021-05-14"  # SPEC T1
    clock(api, "2021-05-14")
    assert sub(api)["status"] == "active"
    clock(api, "2021-05-15")
    assert sub(api)["status"] == "expired"  # SPEC S6: expired the next day
    clock(api, "2021-05-21")
    assert "renew" in sub(api)["available_operations"]
    renewed = ok(op(api, {"type": "renew"}))
    assert renewed["status"] == "completed" and renewed["amount"] == str(first)
    s = sub(api)
    assert (s["status"], s["expires_on"]) == ("active", expires)
    assert charges(api)[-1]["amount"] == str(first)


def test_expired_subscription_is_deleted_after_the_window(seed003):
    # SPEC S6: after expired_renewal_days an expired subscription is deleted.
    api = seed003
    setup(api, seats_plan("gw-annual", "long_term", "120.00",
                          settings={"expired_renewal_days": 10}))
    buy(api, "gw-annual", 1, auto_renew=False)
    clock(api, "2021-05-24")
    assert sub(api)["status"] == "expired"
    assert ok(op(api, {"type": "renew", "preview": True}))["preview"] is True  # last day
    clock(api, "2021-05-25")
    s = sub(api)
    assert s["status"] == "deleted" and s["available_operations"] == []
    assert error_of(op(api, {"type": "renew"}))["code"] == "subscription_deleted"
