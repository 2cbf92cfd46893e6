"""The store in Chromium (issue 14, seeds 003 and 004): a customer orders without the
manager's step, a manager orders for a customer and must give the manager attribute, a
restricted customer is refused on the page; every order is charged the quote shown before
confirming (SPEC S3, S11, P6, P7)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from playwright.sync_api import expect

from tests.browser.test_panel_browser import as_party, ok, sign_in
from tests.panel.store_world import build_store
from tests.panel.world import build


def purchase_amount(api: Any, sub_id: str) -> Decimal:
    ops = ok(api.get(f"/v1/subscriptions/{sub_id}/operations"))["data"]
    return Decimal(next(op["amount"] for op in ops if op["type"] == "purchase"))


def open_order(page: Any, plan_id: str) -> None:
    page.get_by_role("link", name="Store").click()
    page.wait_for_url("**/panel/store")
    page.locator(f'[data-order="{plan_id}"]').click()


def shown_quote(page: Any) -> Decimal:
    text = page.locator("[data-quote-amount]").inner_text()
    return Decimal(text.split()[0])


def test_a_customer_orders_without_the_manager_step(server, api, browser, shots):
    build(api)
    build_store(api)
    page = sign_in(browser, server, "customer")
    open_order(page, "gw-std")
    # The catalog before: prices, no ERP or margin for a customer.
    page.go_back()
    expect(page.locator('[data-plan="gw-std"]')).to_contain_text("12.00 USD")
    assert page.locator("[data-margin]").count() == 0
    page.screenshot(path=shots / "store-catalog.png", full_page=True)
    page.locator('[data-order="gw-std"]').click()
    page.get_by_label("Tariff plan period").select_option("P1Y")
    page.get_by_role("button", name="Next").click()

    # Resources with the range hints and the live quote (the service's preview).
    expect(page.locator("[aria-current=step]")).to_have_text("Resources")
    page.get_by_role("button", name="Increase Licenses").click()
    page.get_by_role("button", name="Increase Licenses").click()
    expect(page.locator("#total-seats")).to_have_text("36.00 USD")  # 3 × 12.00, live
    preview = ok(api.post("/v1/subscriptions", json={
        "customer": "acme", "plan": "gw-std", "period": "P1Y", "resources": {"seats": 3},
        "attributes": {"domain": "x.test", "deal": "x"}, "preview": True}))
    expect(page.locator("[data-quote-amount]")).to_have_text(f"{preview['amount']} USD")
    page.screenshot(path=shots / "store-resources.png", full_page=True)
    page.get_by_role("button", name="Next").click()

    # SPEC P7, seed 003: the customer's attribute only; the manager's step is not shown.
    expect(page.locator("[aria-current=step]")).to_have_text("Order attributes")
    assert page.get_by_label("Vendor discount code").count() == 0
    page.get_by_label("Tenant domain").fill("acme.example")
    page.get_by_role("button", name="Next").click()

    expect(page.locator("[aria-current=step]")).to_have_text("Confirm")
    shown = shown_quote(page)
    page.screenshot(path=shots / "store-confirm.png", full_page=True)
    page.get_by_role("button", name="Confirm order").click()
    page.wait_for_url("**/panel/subscriptions/sub_*")
    expect(page.locator(".pagehead [data-status]")).to_have_attribute("data-status",
                                                                      "activating")
    page.screenshot(path=shots / "store-activating.png", full_page=True)
    sub_id = page.url.split("/")[-1].split("?")[0]
    assert purchase_amount(api, sub_id) == shown  # SPEC S3: charged what was confirmed
    assert ok(api.get(f"/v1/subscriptions/{sub_id}"))["attributes"] == {
        "domain": "acme.example"}


def test_a_manager_orders_for_a_customer(server, api, browser, shots):
    build(api)
    build_store(api)
    page = sign_in(browser, server, "reseller")
    page.get_by_role("link", name="Store").click()
    expect(page.locator('[data-plan="basic"] [data-margin]').first).to_contain_text("-1.20")
    page.screenshot(path=shots / "store-catalog-manager.png", full_page=True)
    page.locator('[data-order="gw-std"]').click()
    options = page.locator("#customer option").all_inner_texts()
    assert any("acme" in o for o in options) and not any("rival" in o for o in options)
    page.get_by_label("Customer").select_option("acme")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Amount of Licenses").fill("10")
    page.get_by_role("button", name="Next").click()

    # The manager's step: the discount code is required of a manager (SPEC P7).
    page.get_by_label("Tenant domain").fill("acme.example")
    page.get_by_role("button", name="Next").click()
    expect(page.locator('[data-code="attribute_required"]')).to_contain_text(
        "Vendor discount code is required")
    page.screenshot(path=shots / "store-attributes-manager.png", full_page=True)
    page.get_by_label("Vendor discount code").fill("GW-2025-15")
    page.get_by_role("button", name="Next").click()

    expect(page.locator("[data-attr=deal]")).to_have_text("GW-2025-15")
    shown = shown_quote(page)
    page.get_by_role("button", name="Confirm order").click()
    page.wait_for_url("**/panel/subscriptions/sub_*")
    sub_id = page.url.split("/")[-1].split("?")[0]
    expect(page.locator("[data-attr=deal]")).to_have_text("GW-2025-15")  # managers see it
    page.screenshot(path=shots / "store-details-manager.png", full_page=True)
    sub = ok(api.get(f"/v1/subscriptions/{sub_id}"))
    assert sub["customer"] == "acme" and sub["resources"]["seats"] == 10
    assert purchase_amount(api, sub_id) == shown
    # The customer never sees the manager's attribute (view, page).
    customer = as_party(api, "customer")
    assert ok(customer.get(f"/v1/subscriptions/{sub_id}"))["attributes"] == {
        "domain": "acme.example"}


def test_a_restricted_customer_is_refused(server, api, browser, shots):
    build(api)
    ok(api.patch("/v1/customers/acme", json={"inn": "DE123"}))
    ok(api.post("/v1/restrictions", json={"inn": "DE123", "products": ["m365"]}))
    before = ok(api.get("/v1/subscriptions?customer=acme"))["data"]
    page = sign_in(browser, server, "customer")
    open_order(page, "basic")
    page.get_by_role("button", name="Next").click()
    expect(page.locator('[data-code="restricted_party"]')).to_contain_text(
        "may not order this product")
    page.get_by_role("button", name="Next").click()  # trying anyway: sent back, refused
    expect(page.locator("[aria-current=step]")).to_have_text("Resources")
    expect(page.locator('[data-code="restricted_party"]')).to_be_visible()
    assert page.get_by_role("button", name="Confirm order").count() == 0
    page.screenshot(path=shots / "store-refused.png", full_page=True)
    assert ok(api.get("/v1/subscriptions?customer=acme"))["data"] == before
