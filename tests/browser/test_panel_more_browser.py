"""The panel in Chromium, issue 12's remainder (SPEC B4, R2, R3, P3): the consumption chart a
customer reads, a reseller adding a webhook endpoint (its secret shown once) and setting a
recommendation priority."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect

from tests.browser.test_panel_browser import ok, sign_in
from tests.panel.usage_world import payg_world
from tests.panel.world import build
from tests.receivers import webhook_receiver


def test_a_customer_reads_the_consumption_chart(server, api, browser, shots):
    # SPEC B4: cost by month and category; the figures are the API's, exactly.
    build(api)
    payg_world(api)
    rows = ok(api.get("/v1/customers/acme/consumption"))["data"]
    page = sign_in(browser, server, "customer")
    page.goto(f"{server}/panel/billing")
    chart = page.locator("[data-consumption]")
    expect(chart).to_be_visible()
    august = sum(Decimal(r["amount"]) for r in rows if r["month"] == "2024-08-01")
    aug = page.locator('[data-month="2024-08-01"]')
    expect(aug.locator("[data-month-total]")).to_have_text(f"{august:.2f} USD")
    # The widest month fills its bar; each segment is its share, drawn by CSS alone.
    bar = aug.locator(".bar").bounding_box()
    segments = [s.bounding_box() for s in aug.locator(".seg").all()]
    assert len(segments) == 3
    assert abs(sum(s["width"] for s in segments) - bar["width"]) <= 2
    usage = sum(Decimal(r["amount"]) for r in rows
                if r["month"] == "2024-08-01" and r["category"] == "usage")
    assert abs(segments[0]["width"] / bar["width"] - float(usage / august)) < 0.01
    label = page.locator(".usage-chart").get_attribute("aria-label")
    assert f"Aug 2024: {august:.2f} USD" in label
    expect(page.locator("[data-usage]")).to_have_count(len(rows))
    chart.screenshot(path=shots / "consumption.png")
    page.goto(f"{server}/panel/subscriptions/az-acme")
    expect(page.locator("[data-consumption]")).to_be_visible()
    page.screenshot(path=shots / "subscription-payg.png", full_page=True)


def test_a_reseller_adds_a_webhook_endpoint_and_a_priority(server, api, browser, shots):
    # SPEC R2, R3: the endpoint receives the subtree's events; its secret is shown once.
    build(api)
    page = sign_in(browser, server, "reseller")
    with webhook_receiver() as receiver:
        page.goto(f"{server}/panel/notifications")
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_label("Description").fill("Billing system")
        page.get_by_label("Subscription stopped").check()
        page.screenshot(path=shots / "notifications.png", full_page=True)
        page.get_by_role("button", name="Add endpoint").click()
        secret = page.locator("[data-secret]")
        expect(secret).to_contain_text("whsec_")
        page.screenshot(path=shots / "webhook-created.png", full_page=True)
        [made] = ok(api.get("/v1/webhook-endpoints"))["data"]
        assert (made["url"], made["reseller"], made["events"]) == \
            (receiver.url, "nw", ["subscription_stopped"])
        # Back to the page again: the secret is gone for good.
        page.go_back()
        page.goto(f"{server}/panel/notifications/webhooks/{made['id']}")
        assert "whsec_" not in page.content()
        expect(page.locator("[data-enabled]")).to_have_text("enabled")
        page.get_by_role("button", name="Disable").click()
        expect(page.locator("[data-enabled]")).to_have_text("disabled")
        page.screenshot(path=shots / "webhook.png", full_page=True)
    assert ok(api.get(f"/v1/webhook-endpoints/{made['id']}"))["enabled"] is False

    # SPEC R1, P3: a priority for the subtree, then the recommendation carries it.
    page.goto(f"{server}/panel/resellers/nw/settings")
    page.get_by_label("Priority of Premium").fill("3")
    page.get_by_label("Grace period (days)").fill("5")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("[data-saved]")).to_be_visible()
    page.screenshot(path=shots / "delegated.png", full_page=True)
    recs = ok(api.get("/v1/subscriptions/s-acme/recommendations"))["data"]
    assert [(r["plan"], r["priority"]) for r in recs] == [("premium", 3)]
