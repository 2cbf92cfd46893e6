"""The consumption chart (SPEC B4, issue 12): by billing month and category, on the customer's
billing page and on a pay-as-you-go subscription's page, from the same rows as
GET .../consumption; exact amounts as text, scoped like everything (P2)."""

from __future__ import annotations

import re
from decimal import Decimal

from prorata.web.consumption import chart
from tests.e2e.lifecycle import ok
from tests.e2e.usage_helpers import METERS
from tests.panel.usage_world import payg_world

AZ = "/panel/subscriptions/az-acme"


def test_chart_sums_exactly_and_scales_to_the_widest_month():
    # SPEC B4 (analytics by month and category), T5 (exact money): the rows' amounts are
    # summed as Decimal, bars are a share of the widest month.
    rows = [{"month": "2024-08-01", "meter": m, "category": c, "quantity": "1", "cost": "0",
             "amount": a, "currency": "USD", "records": 1}
            for m, c, a in (("vm", "usage", "0.10"), ("st", "usage", "0.20"),
                            ("st", "reservation", "0.30"))]
    rows.append({**rows[0], "month": "2024-09-01", "amount": "1.20"})
    made = chart(rows)
    assert made is not None
    aug, sep = made.months
    assert aug.total == Decimal("0.60") and sep.total == Decimal("1.20")
    assert aug.by_category == {"usage": Decimal("0.30"), "reservation": Decimal("0.30")}
    assert [(s.category, s.width) for s in aug.segments] == [
        ("usage", Decimal("25.0")), ("reservation", Decimal("25.0"))]
    assert [s.width for s in sep.segments] == [Decimal("100.0")]
    assert made.categories == ["usage", "reservation"]
    assert "Aug 2024: 0.60 USD; Sep 2024: 1.20 USD" in made.summary()
    assert chart([]) is None


def test_customer_billing_shows_consumption_by_month_and_category(world):
    # SPEC B4: the chart's figures are exactly the API's consumption amounts.
    payg_world(world.api)
    rows = ok(world.api.get("/v1/customers/acme/consumption"))["data"]
    page = world("customer").get("/panel/billing").text
    assert "data-consumption" in page
    august = sum(Decimal(r["amount"]) for r in rows if r["month"] == "2024-08-01")
    assert august > 0
    row = page[page.index('data-month="2024-08-01"'):]
    assert f"{august:.2f} USD" in row[:row.index("</div>")]
    for category in ("usage", "reservation", "third_party"):
        assert f'data-category="{category}"' in row[:row.index("</div>")]
    assert page.count("data-usage=") == len(rows)
    assert 'role="img" aria-label="Charged for consumption by month.' in page
    assert "Vendor cost" not in page  # the vendor's cost is the managers' business
    # rival's records never show (P2); server-made ids and the form's CSRF token (64 hex
    # digits) are random hex and may hold "999" by chance (the token did, ~1.5% of runs)
    assert "az-rival" not in page
    assert "999" not in re.sub(r"\b(?:[a-z]+_[0-9a-f]{16,}|[0-9a-f]{32,})\b", "", page)
    assert "Vendor cost" in world("reseller").get("/panel/billing?customer=acme").text


def test_payg_subscription_page_has_the_chart_and_others_do_not(world):
    payg_world(world.api)
    client = world("customer")
    page = client.get(AZ).text
    rows = ok(world.api.get("/v1/subscriptions/az-acme/consumption"))["data"]
    assert "data-consumption" in page and page.count("data-usage=") == len(rows)
    # September is not billed yet: its bar is empty and says 0.00.
    sep = page[page.index('data-month="2024-09-01"'):]
    assert re.search(r"data-month-total>0\.00 USD<", sep)
    assert "data-consumption" not in client.get("/panel/subscriptions/s-acme").text
    # B4: meters with their prices, not amounts "from 0 to unlimited" and a 0.00 cost.
    assert 'data-meter="vm"' in page and "0.0125 USD" in page
    assert "Subscription cost" not in page and "To unlimited" not in page
    # U1: what the billing type never allows is not "unavailable now" (the API still says it).
    view = ok(world.api.get("/v1/subscriptions/az-acme"))
    assert view["unavailable_operations"]["change_resources"]["code"] == \
        "not_supported_for_billing_type"
    assert 'data-unavailable="change_resources"' not in page
    assert 'data-code="not_supported_for_billing_type"' not in page
    # P2: another tenant's subscription is the 404 page, whoever asks.
    assert client.get("/panel/subscriptions/az-rival").status_code == 404
    assert world("reseller").get("/panel/subscriptions/az-rival").status_code == 404
    assert client.get("/panel/billing?customer=rival").status_code == 404


def test_payg_subscription_without_records_says_so(world):
    ok(world.api.post("/v1/products", json={"id": "azure", "name": "Azure"}))
    ok(world.api.post("/v1/plans", json={
        "id": "azure-payg", "product": "azure", "name": "Azure Plan", "billing_type": "payg",
        "currency": "USD", "periods": [], "resources": METERS}))
    ok(world.api.post("/v1/subscriptions", json={"id": "az-acme", "customer": "acme",
                                                 "plan": "azure-payg", "resources": {}}))
    page = world("customer").get(AZ).text
    assert "data-no-consumption" in page
    assert "data-consumption" not in world("customer").get("/panel/billing").text
