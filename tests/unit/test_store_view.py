"""The store's pure parts (issue 14): what a customer sees of the order attributes (SPEC P7),
which steps a party gets (seed 003), the margin against ERP (C2), and the order read from a
form or URL."""

from __future__ import annotations

from decimal import Decimal

import pytest

from prorata.domain.catalog import BillingType, Plan, Resource
from prorata.domain.errors import InvalidInput
from prorata.domain.parties import customer_visible
from prorata.web.storeview import asked, catalog_rows, order_from, steps_for

ATTRS = [{"id": "domain", "audience": "both"}, {"id": "mine", "audience": "customer"},
         {"id": "deal", "audience": "manager"}]


def test_a_customer_sees_its_own_attributes_only():
    # SPEC P7: manager-only attributes (and ones the product no longer lists) are hidden.
    given = {"domain": "a.test", "mine": "1", "deal": "GW-1", "gone": "x"}
    assert customer_visible(ATTRS, given) == {"domain": "a.test", "mine": "1"}


def test_the_manager_step_is_for_managers_only():
    # Seed 003: a customer is asked the customer's attributes and never the manager's; with
    # nothing to answer there is no attributes step at all.
    product = {"attributes": ATTRS}
    assert [a["id"] for a in asked(product, False)] == ["domain", "mine"]
    assert [a["id"] for a in asked(product, True)] == ["domain", "mine", "deal"]
    only_manager = {"attributes": [ATTRS[2]]}
    assert steps_for(asked(only_manager, False)) == ["choose", "resources", "confirm"]
    assert steps_for(asked(only_manager, True)) == ["choose", "resources", "attributes",
                                                    "confirm"]


def test_margin_against_erp_per_period():
    # SPEC C2: ERP is shown for the margin; per-period prices give a margin each.
    plan = Plan(id="p", product="x", name="P", billing_type=BillingType.LONG_TERM,
                currency="USD", periods=("P1Y", "P3Y"), resources=(
                    Resource(id="seats", name="Seats", primary=True, min=1,
                             price={"P1Y": Decimal("120"), "P3Y": Decimal("100")},
                             erp_price=Decimal("110")),
                    Resource(id="gb", name="GB", price=Decimal("1"))))
    seats, gb = catalog_rows(plan)
    assert seats.margin() == [("P1Y", Decimal("10"), Decimal("9.1")),
                              ("P3Y", Decimal("-10"), Decimal("-9.1"))]
    assert gb.margin() == [] and gb.prices == [("", Decimal("1"))]


def test_order_from_a_form():
    order = order_from({"plan": "p", "period": "P1Y", "res_seats": " 3 ", "res_gb": "x",
                        "attr_domain": " a.test ", "attr_empty": "  "}, "acme")
    assert order.customer == "acme"  # a customer orders for itself unless it names another
    assert order.body() == {"customer": "acme", "plan": "p", "period": "P1Y",
                            "resources": {"seats": 3, "gb": "x"},
                            "attributes": {"domain": "a.test"}}
    assert "attributes" not in order.body(with_attributes=False)
    assert order_from({"customer": "rival"}, "acme").customer == "rival"  # the service: 404
    with pytest.raises(InvalidInput):
        order_from({"attr_domain": "y" * 201}, "acme")
    with pytest.raises(InvalidInput):
        order_from({"attr_domain": "a\x00b"}, "acme")
