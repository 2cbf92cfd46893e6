"""Reseller and operator pages (SPEC U1, P2, P3, S9, C7, C8, B2): scoped lists, the
stop-approval queue, plan editing, billing with invoice PDFs."""

from __future__ import annotations

from tests.e2e.lifecycle import clock, ok
from tests.panel.world import offered, post_form

SUB = "/panel/subscriptions/s-acme"


def test_customers_page_is_scoped(world):
    # SPEC P2: a reseller sees its subtree; a customer has no customers page.
    page = world("reseller").get("/panel/customers").text
    assert 'data-customer="acme"' in page and "rival" not in page
    everyone = world("operator").get("/panel/customers").text
    assert 'data-customer="rival"' in everyone and 'data-reseller="other"' in everyone
    customer = world("customer").get("/panel/customers", follow_redirects=False)
    assert customer.status_code == 303


def test_subscription_filters(world):
    client = world("operator")
    assert "s-rival" not in client.get("/panel/subscriptions?customer=acme").text
    assert "s-acme" in client.get("/panel/subscriptions?status=active&plan=basic").text
    assert "s-acme" not in client.get("/panel/subscriptions?status=stopped").text
    assert client.get("/panel/subscriptions?status=%00&plan=" + "x" * 500).status_code == 200


def test_reseller_approves_a_stop_from_the_queue(world):
    # SPEC S9 with P3: the reseller's group rule makes the stop wait; the reseller approves.
    api = world.api
    ok(api.put("/v1/resellers/nw/settings", json={"stop_requires_approval_groups": ["vip"]}))
    ok(api.patch("/v1/customers/acme", json={"group": "vip"}))
    customer = world("customer")
    post_form(customer, f"{SUB}/operations", {"type": "stop", "key": "s1"}, SUB)
    assert ok(api.get("/v1/subscriptions/s-acme"))["stop_request"] is not None
    page = customer.get(SUB).text
    assert "approve" not in offered(page)  # SPEC S9: managers only
    assert 'data-unavailable="stop" data-code="stop_pending_approval"' in page
    reseller = world("reseller")
    queue = reseller.get("/panel/approvals").text
    assert 'data-sub="s-acme"' in queue and offered(queue) == {"approve", "reject"}
    assert offered(reseller.get(SUB).text) == set(
        ok(api.get("/v1/subscriptions/s-acme"))["available_operations"])
    post_form(reseller, f"{SUB}/operations", {"type": "approve", "key": "ap"}, "/panel/approvals")
    assert ok(api.get("/v1/subscriptions/s-acme"))["status"] == "stopped"
    assert 'data-sub="s-acme"' not in reseller.get("/panel/approvals").text


def test_operator_edits_a_plan(world):
    # SPEC C7, C8: the plan's settings and prices change for new charges.
    client = world("operator")
    url = "/panel/plans/basic"
    form = {"key": "p1", "name": "Basic 2025", "res_seats_price": "6.50",
            "res_seats_setup_price": "0", "res_seats_erp_price": "7.80",
            "set_manual_renewal_point": "20", "set_auto_renewal_point": "5",
            "set_delayed_switch_point": "", "set_price_lock": "on",
            "set_plan_change_timing": "end_of_cycle", "set_upgrade_fee": "3.00"}
    response = post_form(client, url, form, url)
    assert response.status_code == 303
    plan = ok(world.api.get("/v1/plans/basic"))
    assert plan["name"] == "Basic 2025"
    assert plan["resources"][0]["price"] == "6.50"
    s = plan["settings"]
    assert (s["manual_renewal_point"], s["auto_renewal_point"]) == (20, 5)
    assert s["delayed_switch_point"] is None and s["plan_change_timing"] == "end_of_cycle"
    assert s["stop_requires_approval"] is False  # an unticked box is false
    assert "The plan is saved" in client.get(response.headers["location"]).text


def test_bad_plan_edits_change_nothing(world):
    client = world("operator")
    url = "/panel/plans/basic"
    for bad in ({"set_manual_renewal_point": "-3"}, {"res_seats_price": "cheap"},
                {"set_auto_renewal_point": "99"}, {"set_plan_change_timing": "never"}):
        response = post_form(client, url, {"key": "", "name": "X", **bad}, url)
        assert response.status_code == 400, bad
    assert ok(world.api.get("/v1/plans/basic"))["name"] == "Basic"


def test_only_the_operator_edits_plans(world):
    client = world("reseller")
    assert "Only the operator edits plans" in client.get("/panel/plans/basic").text
    response = post_form(client, "/panel/plans/basic", {"key": "", "name": "Mine"},
                         "/panel/plans/basic")
    assert 400 <= response.status_code < 500
    assert ok(world.api.get("/v1/plans/basic"))["name"] == "Basic"
    assert world("operator").get("/panel/plans/nope").status_code == 404


def test_billing_shows_charges_invoices_with_pdf_and_balance(world):
    # SPEC B1, B2: yesterday's charges become an invoice; its PDF opens with the session.
    clock(world.api, "2024-08-21")
    client = world("customer")
    page = client.get("/panel/billing").text
    assert 'data-charge="charge"' in page
    [invoice] = ok(world.api.get("/v1/customers/acme/invoices"))["data"]
    assert f'/v1/invoices/{invoice["id"]}/pdf' in page
    pdf = client.get(f'/v1/invoices/{invoice["id"]}/pdf')
    assert pdf.headers["content-type"] == "application/pdf"
    assert client.get("/panel/billing?customer=rival").status_code == 404


def test_delegated_settings_show_where_a_value_comes_from(world):
    ok(world.api.put("/v1/resellers/nw/settings", json={"grace_period_days": 5}))
    page = world("reseller").get("/panel/resellers/nw/settings").text
    assert 'data-setting="grace_period_days"' in page and 'value="5"' in page
    assert world("reseller").get("/panel/resellers/other/settings").status_code == 404


def test_operator_settings_restrictions_names_and_rates(world):
    # SPEC P5, P6, T6 through the panel: the same services, operator only.
    client = world("operator")
    url = "/panel/settings"
    post_form(client, f"{url}/restrictions", {"key": "r1", "inn": "7701234567",
                                              "products": "m365"}, url)
    [listed] = ok(world.api.get("/v1/restrictions"))["data"]
    assert listed["inn"] == "7701234567" and listed["products"] == ["m365"]
    assert f'data-restriction="{listed["id"]}"' in client.get(url).text
    post_form(client, f"{url}/company-names", {"key": "n1", "forbidden_characters": "&@",
                                               "forbidden_abbreviations": "LLC, Ltd",
                                               "forbidden_tlds": ""}, url)
    rules = ok(world.api.get("/v1/settings/company-names"))
    assert rules["forbidden_characters"] == ["&", "@"]
    assert rules["forbidden_abbreviations"] == ["LLC", "Ltd"]
    response = post_form(client, f"{url}/exchange-rates", {
        "key": "x1", "from": "usd", "to": "EUR", "rate": "0.9", "effective_from": "2024-08-01"},
        url)
    assert response.status_code == 303
    again = post_form(client, f"{url}/exchange-rates", {
        "key": "x2", "from": "USD", "to": "EUR", "rate": "0.8", "effective_from": "2024-08-01"},
        url)
    assert again.status_code == 409  # added, never edited
    post_form(client, f"{url}/exchange-rates", {
        "key": "x4", "from": "USD", "to": "EUR", "rate": "0.95", "effective_from": "2024-09-01"},
        url)
    shown = client.get(url).text  # the latest first, each as it was added
    assert shown.index('data-rate="USD-EUR-2024-09-01"') < \
        shown.index('data-rate="USD-EUR-2024-08-01"')
    assert "<td class=\"num\">0.95</td>" in shown and "<td class=\"num\">0.9</td>" in shown
    bad = post_form(client, f"{url}/exchange-rates", {
        "key": "x3", "from": "US", "to": "EUR", "rate": "-1", "effective_from": "soon"}, url)
    assert bad.status_code == 400
    post_form(client, f"{url}/restrictions/{listed['id']}/delete", {"key": "d1"}, url)
    assert ok(world.api.get("/v1/restrictions"))["data"] == []


def test_settings_are_the_operators_only(world):
    for who in ("reseller", "customer"):
        client = world(who)
        assert 400 <= client.get("/panel/settings").status_code < 500
        response = post_form(client, "/panel/settings/restrictions",
                             {"key": "", "inn": "7701234567"}, "/panel/subscriptions")
        assert 400 <= response.status_code < 500
    assert ok(world.api.get("/v1/restrictions"))["data"] == []


def test_templates_are_edited_in_scope(world):
    # SPEC R2, P3: the operator's template is the default; a reseller's applies to its
    # subtree; a template that does not compile is refused and not stored.
    url = "/panel/notifications"
    operator = world("operator")
    assert 'data-template="subscription_expiring"' in operator.get(url).text
    response = post_form(operator, f"{url}/templates/subscription_expiring",
                         {"key": "t1", "subject": "Renew {{ subscription.id }}",
                          "body": "Hello {{ customer.name }}"}, url)
    assert response.status_code == 303
    assert ok(world.api.get("/v1/templates/subscription_expiring"))["subject"] == \
        "Renew {{ subscription.id }}"
    bad = post_form(operator, f"{url}/templates/subscription_expiring",
                    {"key": "t2", "subject": "{% broken", "body": "x"}, url)
    assert bad.status_code == 400
    assert post_form(operator, f"{url}/templates/no_such_event",
                     {"key": "t3", "subject": "a", "body": "b"}, url).status_code == 400
    reseller = world("reseller")
    post_form(reseller, f"{url}/templates/subscription_expiring",
              {"key": "t4", "subject": "NW renews", "body": "b"}, url)
    mine = ok(world.api.get("/v1/templates/subscription_expiring",
                            params={"reseller": "nw"}))
    assert mine["subject"] == "NW renews"
    assert ok(world.api.get("/v1/templates/subscription_expiring"))["subject"] == \
        "Renew {{ subscription.id }}"
    assert world("customer").get(url, follow_redirects=False).status_code == 303
