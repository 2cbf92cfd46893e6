"""SPEC S6 shifted over HTTP, a whole term day by day (issue 6, docs/design/security.md "S6
shifted"): a monthly subscription (one-year period, billing day 15) expires, is renewed a week
later in shifted mode, and the test clock then runs every day of the new period through the
daily run. Every charge line of the term is checked: the first payment reduced to the next
billing day, ten full billing months, and the last payment one line per resource that carries
the stub (2022-04-15 → 05-21), so the term keeps its 12 payments and its price."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from fastapi.testclient import TestClient

from tests.e2e.conftest import ClientFactory
from tests.e2e.lifecycle import charges, clock, money, ok, op, seats_plan, setup, sub

RENEWED, ENDS = date(2021, 5, 21), date(2022, 5, 20)  # seed 003: new period 05-21 … 05-20
LAST = date(2022, 4, 15)  # the last billing day of the term: its payment carries the stub
# resource: (description prefix, unit price, quantity)
RESOURCES = {"seats": ("Licenses × 2", Decimal("31.00"), 2),
             "storage": ("Storage × 3", Decimal("4.30"), 3)}


def _plan() -> dict[str, object]:
    plan = seats_plan("m365-monthly", "monthly", "31.00",
                      settings={"expired_renewal_mode": "shifted"})
    plan["resources"].append({  # type: ignore[attr-defined]
        "id": "storage", "name": "Storage", "primary": False, "priority": 1, "included": 0,
        "min": 0, "max": 100, "price": "4.30", "setup_price": "0"})
    return plan


def _month_after(day: date) -> date:
    return day.replace(year=day.year + day.month // 12, month=day.month % 12 + 1)


def _expected(day: date) -> list[tuple[str, str, str]]:
    """(period_start, period_end, amount) per resource of the payment made on `day`: each
    billing month prorated over its own length (T4), one line rounded once (T5)."""
    if day == RENEWED:  # 05-21 → 06-15: 25 of the 31 days of the billing month 05-15 → 06-15
        end, share = date(2021, 6, 15), Fraction(25, 31)
    elif day == LAST:  # a full month plus 6 of the 31 days of 05-15 → 06-15
        end, share = ENDS + timedelta(days=1), 1 + Fraction(6, 31)
    else:
        end, share = _month_after(day), Fraction(1)
    return [(day.isoformat(), end.isoformat(),
             str(money(price * qty * share.numerator / share.denominator)))
            for _, price, qty in RESOURCES.values()]


def _lines(new: list[dict[str, object]]) -> list[tuple[str, str, str]]:
    ordered = sorted(new, key=lambda c: [p for p, _, _ in RESOURCES.values()].index(
        next(p for p, _, _ in RESOURCES.values() if p in str(c["description"]))))
    return [(str(c["period_start"]), str(c["period_end"]), str(c["amount"])) for c in ordered]


def _expire_and_renew(api: TestClient) -> None:
    setup(api, _plan(), billing_day=15)
    ok(api.post("/v1/subscriptions", json={
        "id": "sub1", "customer": "acme", "plan": "m365-monthly", "auto_renew": False,
        "resources": {name: qty for name, (_, _, qty) in RESOURCES.items()}}))
    clock(api, "2021-05-15")
    assert sub(api)["status"] == "expired"  # SPEC S6: not renewed by 05-14
    clock(api, RENEWED.isoformat())
    renewed = ok(op(api, {"type": "renew"}))
    assert renewed["status"] == "completed"
    s = sub(api)
    assert (s["status"], s["expires_on"]) == ("active", ENDS.isoformat())  # S6: full length


def test_shifted_term_day_by_day(client_factory: ClientFactory, db_kind: str) -> None:
    # SPEC S6 shifted (clarification), S7, T4, T5: every payment of the renewed term
    api = client_factory(db_kind, test_clock="2020-05-15")
    _expire_and_renew(api)
    seen = len(charges(api)) - len(RESOURCES)
    term: list[dict[str, object]] = []
    day = RENEWED
    while day <= ENDS + timedelta(days=1):
        if day != RENEWED:
            clock(api, day.isoformat())
        new = charges(api)[seen:]
        seen += len(new)
        term += new
        # payments on the renewal day and each billing day up to LAST; none on 2022-05-15
        expected = _expected(day) if day == RENEWED or (day.day == 15 and day <= LAST) else []
        assert _lines(new) == expected, day
        assert all(c["created_on"] == day.isoformat() and c["kind"] == "charge"
                   for c in new), new
        day += timedelta(days=1)
    assert sub(api)["status"] == "expired"  # 2022-05-21: not renewed again
    # the term keeps its 12 payments per resource and its price: 12 months of each
    assert len(term) == 12 * len(RESOURCES)
    for prefix, price, qty in RESOURCES.values():
        mine = [Decimal(str(c["amount"])) for c in term
                if prefix in str(c["description"])]
        assert len(mine) == 12 and sum(mine) == 12 * price * qty
    assert sum(Decimal(str(c["amount"])) for c in term) == Decimal("898.80")
    # the figures of the SPEC's example, per seat: 25.00 first, 37.00 last
    assert (term[0]["amount"], term[-2]["amount"]) == ("50.00", "74.00")
