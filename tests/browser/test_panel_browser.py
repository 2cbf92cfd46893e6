"""The panel in Chromium (SPEC U1): a customer's week, a reseller approving a stop, the
operator editing a plan. In every state the operations offered on the page are exactly the
subscription's `available_operations` (SPEC S2)."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import expect

from tests.panel.world import PASSWORD, USERS, build


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def sign_in(browser: Any, server: str, who: str) -> Any:
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    page.goto(f"{server}/panel/login")
    page.get_by_label("E-mail").fill(USERS[who][0])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/panel/subscriptions")
    return page


def offered(page: Any) -> set[str]:
    return {el.get_attribute("data-op") for el in page.locator("[data-op]").all()}


def available(api: Any, sub_id: str) -> set[str]:
    return set(ok(api.get(f"/v1/subscriptions/{sub_id}"))["available_operations"])


def as_party(api: Any, who: str) -> Any:
    """An API client acting as that person: available_operations depends on the caller."""
    token = ok(api.post("/v1/login", json={"email": USERS[who][0], "password": PASSWORD}))
    return httpx.Client(base_url=api.base_url, timeout=60,
                        headers={"Authorization": f"Bearer {token['token']}"})


def check_offer(page: Any, party_api: Any, sub_id: str) -> None:
    # SPEC S2: one control per available operation, none other, for the same caller.
    assert offered(page) == available(party_api, sub_id)


def test_a_customers_week(server, api, browser, shots):
    build(api)
    ok(api.post("/v1/subscriptions", json={"id": "s-week", "customer": "acme", "plan": "basic",
                                           "resources": {"seats": 3}}))
    ok(api.post("/v1/subscriptions", json={"id": "s-oops", "customer": "acme", "plan": "basic",
                                           "resources": {"seats": 1}}))
    page = sign_in(browser, server, "customer")
    mine = as_party(api, "customer")
    page.screenshot(path=shots / "subscriptions.png", full_page=True)
    assert page.locator("[data-sub]").count() == 3  # s-acme, s-week, s-oops; not s-rival

    # Change with the live quote, which is the service's preview.
    page.goto(f"{server}/panel/subscriptions/s-week")
    check_offer(page, mine, "s-week")
    page.get_by_role("button", name="Increase Licenses").click()
    page.get_by_role("button", name="Increase Licenses").click()
    preview = ok(api.post("/v1/subscriptions/s-week/operations", json={
        "type": "change_resources", "resources": {"seats": 5}, "preview": True}))
    # The quote follows each click; wait for the one of the last (a live page, not a race).
    expect(page.locator("[data-quote-amount]")).to_have_text(f"{preview['amount']} USD")
    expect(page.locator("#total-seats")).to_have_text("30.00 USD")  # 5 × 6.00, live
    page.screenshot(path=shots / "subscription.png", full_page=True)
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector('[data-result="completed"]')
    assert ok(api.get("/v1/subscriptions/s-week"))["resources"]["seats"] == 5
    check_offer(page, mine, "s-week")

    # Out of range: the field turns red and the browser keeps the form (the server would
    # refuse it too: tests/panel). The quote says why.
    page.get_by_label("Amount of Archive").fill("9")
    assert page.locator("#res_archive:out-of-range").count() == 1
    page.wait_for_selector('#quote [data-code="amount_out_of_range"]')
    page.get_by_role("button", name="Save").click()
    assert page.evaluate("document.querySelector('#res_archive').validity.rangeOverflow")
    assert ok(api.get("/v1/subscriptions/s-week"))["resources"]["archive"] == 0

    # Switch plan now: choose plan and period, then the configuration (amounts carried over).
    page.goto(f"{server}/panel/subscriptions/s-week")
    page.get_by_role("link", name="Switch plan", exact=True).click()
    page.get_by_label("Tariff plan", exact=True).select_option("premium")
    page.get_by_role("button", name="Next").click()
    assert page.get_by_label("Amount of Licenses").input_value() == "5"
    page.locator("[data-quote-amount]").wait_for()
    page.screenshot(path=shots / "switch.png", full_page=True)
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector('[data-result="completed"]')
    assert ok(api.get("/v1/subscriptions/s-week"))["plan"] == "premium"
    check_offer(page, mine, "s-week")

    # Stop, then activate, each confirmed.
    for op, status in (("stop", "stopped"), ("activate", "active")):
        page.locator(f'[data-op="{op}"]').click()
        page.get_by_role("button", name=f"Confirm: {op.capitalize()}").click()
        page.wait_for_selector(f'[data-status="{status}"]')
        check_offer(page, mine, "s-week")

    # Delete the other one while the deletion window is open.
    page.goto(f"{server}/panel/subscriptions/s-oops")
    page.locator('[data-op="delete"]').click()
    page.get_by_role("button", name="Confirm: Delete subscription").click()
    page.wait_for_selector('[data-status="deleted"]')
    check_offer(page, mine, "s-oops")
    assert offered(page) == set()

    # Renew in the window: closed now (and explained), open 30 days before expiry.
    page.goto(f"{server}/panel/subscriptions/s-week")
    why = ok(mine.get("/v1/subscriptions/s-week"))["unavailable_operations"]["renew"]
    shown = page.locator('[data-unavailable="renew"]').inner_text()
    assert why["code"] == "not_in_renewal_window" and why["opens_on"] == "2025-07-20"
    assert why["message"] in shown and "opens on 20 Jul 2025" in shown  # SPEC S2
    ok(api.post("/v1/test/clock", json={"date": "2025-07-25"}))
    page.reload()
    check_offer(page, mine, "s-week")
    page.locator('[data-op="renew"]').click()
    page.get_by_label("Tariff plan period").select_option("P1Y")
    page.get_by_role("button", name="Next").click()
    page.locator("[data-quote-amount]").wait_for()
    page.screenshot(path=shots / "renew.png", full_page=True)
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("[data-result]")
    assert ok(api.get("/v1/subscriptions/s-week"))["renewal_order"] is not None
    check_offer(page, mine, "s-week")
    assert "change_renewal_options" in offered(page)

    page.goto(f"{server}/panel/billing")
    page.screenshot(path=shots / "billing.png", full_page=True)
    assert page.locator('[data-charge]').count() > 0


def test_a_reseller_approves_a_stop(server, api, browser, shots):
    build(api)
    ok(api.put("/v1/resellers/nw/settings", json={"stop_requires_approval_groups": ["vip"]}))
    ok(api.patch("/v1/customers/acme", json={"group": "vip"}))
    customer = sign_in(browser, server, "customer")
    customer.goto(f"{server}/panel/subscriptions/s-acme")
    customer.locator('[data-op="stop"]').click()
    customer.get_by_role("button", name="Confirm: Stop").click()
    customer.wait_for_selector('[data-result="waiting_for_approval"]')
    check_offer(customer, as_party(api, "customer"), "s-acme")

    reseller = sign_in(browser, server, "reseller")
    reseller.goto(f"{server}/panel/approvals")
    reseller.screenshot(path=shots / "approvals.png", full_page=True)
    reseller.locator('[data-sub="s-acme"] [data-op="approve"]').click()
    reseller.wait_for_selector('[data-result="completed"]')
    assert ok(api.get("/v1/subscriptions/s-acme"))["status"] == "stopped"
    check_offer(reseller, as_party(api, "reseller"), "s-acme")
    customer.reload()
    check_offer(customer, as_party(api, "customer"), "s-acme")
    assert customer.locator('[data-status="stopped"]').count() == 1


def test_the_operator_edits_a_plan(server, api, browser, shots):
    build(api)
    page = sign_in(browser, server, "operator")
    page.get_by_role("link", name="Plans").click()
    page.get_by_role("link", name="Basic").click()
    page.get_by_label("Price of Licenses", exact=True).fill("6.75")
    page.get_by_label("Manual renewal point", exact=True).fill("45")
    page.screenshot(path=shots / "plan.png", full_page=True)
    page.get_by_role("button", name="Save plan").click()
    page.wait_for_selector("text=The plan is saved")
    plan = ok(api.get("/v1/plans/basic"))
    assert plan["resources"][0]["price"] == "6.75"
    assert plan["settings"]["manual_renewal_point"] == 45
    page.goto(f"{server}/panel/customers")
    page.screenshot(path=shots / "customers.png", full_page=True)
    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_label("From", exact=True).fill("USD")  # SPEC T6: added, then listed
    page.get_by_label("To", exact=True).fill("EUR")
    page.get_by_label("Rate", exact=True).fill("0.92")
    page.get_by_label("Effective from", exact=True).fill("2024-09-01")
    page.get_by_role("button", name="Add rate").click()
    page.wait_for_selector('[data-rate="USD-EUR-2024-09-01"]')
    page.get_by_label("Registration number").fill("7701234567")
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_selector("[data-restriction]")
    page.screenshot(path=shots / "settings.png", full_page=True)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/panel/login")
    page.screenshot(path=shots / "login.png")
