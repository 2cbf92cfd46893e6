"""The store (issue 14): catalog per party, the order wizard, attributes by audience (SPEC P7,
seed 003), refusals on the page (P5, P6, C3), and the charge equal to the confirmed quote
(S3, S11). Through the panel's forms on SQLite and PostgreSQL, no browser."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.e2e.lifecycle import ok
from tests.e2e.vendorlife import work
from tests.panel.store_world import build_store, quoted, steps, vendor_requests
from tests.panel.world import csrf

ORDER = "/panel/store/order"


def confirm_page(client: Any, query: str) -> Any:
    return client.get(f"{ORDER}?{query}&step=confirm")


def place(client: Any, page_html: str, fields: dict[str, str], key: str = "k1") -> Any:
    return client.post(ORDER, data={"csrf": csrf(page_html), "key": key, **fields},
                       follow_redirects=False)


def order_confirmed(client: Any, query: str, fields: dict[str, str]) -> tuple[str, str, Any]:
    """Opens the confirm step and places the order from it: (subscription id, the quote the
    page showed, the answer, a 303 to the subscription page)."""
    page = confirm_page(client, query)
    assert page.status_code == 200, page.text
    shown = quoted(page.text)
    done = place(client, page.text, fields)
    assert done.status_code == 303, done.text
    return done.headers["location"].split("/")[-1].split("?")[0], shown, done


def charged(api: Any, sub_id: str) -> Decimal:
    lines = ok(api.get(f"/v1/subscriptions/{sub_id}/operations"))["data"]
    purchase = [op for op in lines if op["type"] == "purchase"]
    assert len(purchase) == 1
    return Decimal(purchase[0]["amount"])


def subs_of(api: Any, customer: str) -> list[str]:
    return [s["id"] for s in ok(api.get(f"/v1/subscriptions?customer={customer}&limit=100"))[
        "data"]]


def test_catalog_per_party(world):
    # Issue 14: plans with billing type, periods, prices; ERP and margin for managers only.
    build_store(world.api)
    mine = world("customer").get("/panel/store").text
    assert 'data-plan="gw-std"' in mine and 'data-plan="basic"' in mine
    assert "12.00 USD" in mine and "P1Y" in mine and "Monthly" in mine
    assert "Margin" not in mine and "data-margin" not in mine
    theirs = world("reseller").get("/panel/store").text
    assert "data-margin" in theirs
    assert "-1.20" in theirs and "(-16.7%)" in theirs  # basic seats 6.00 against ERP 7.20


def test_customer_orders_without_the_manager_step(world):
    # SPEC P7, seed 003: a customer answers its own attributes only, never the manager's.
    build_store(world.api)
    client = world("customer")
    plain = client.get(f"{ORDER}?plan=basic&period=P1Y&step=resources").text
    assert steps(plain) == ["choose", "resources", "confirm"]  # nothing to answer: no step
    asked = client.get(f"{ORDER}?plan=gw-std&period=P1Y&res_seats=3&step=attributes").text
    assert steps(asked) == ["choose", "resources", "attributes", "confirm"]
    assert 'name="attr_domain"' in asked and "attr_deal" not in asked
    assert 'data-audience="manager"' not in asked
    sub_id, shown, done = order_confirmed(
        client, "plan=gw-std&period=P1Y&res_seats=3&attr_domain=acme.test",
        {"plan": "gw-std", "period": "P1Y", "res_seats": "3", "res_storage": "0",
         "res_archive": "0", "attr_domain": "acme.test"})
    api = world.api
    sub = ok(api.get(f"/v1/subscriptions/{sub_id}"))
    assert sub["customer"] == "acme" and sub["status"] == "activating"  # SPEC V1, S1
    assert charged(api, sub_id) == Decimal(shown)  # SPEC S3: the charge is the quote shown
    # SPEC V4/P7: the connector is handed the attributes with the order.
    assert [r["attributes"] for r in vendor_requests(api, sub_id)] == [{"domain": "acme.test"}]
    landing = client.get(done.headers["location"]).text
    assert 'data-status="activating"' in landing


def test_manager_must_give_the_manager_attribute(world):
    # SPEC P7: a manager's order must carry the manager attributes; they reach the vendor and
    # are shown to managers only.
    build_store(world.api)
    reseller = world("reseller")
    query = "plan=gw-std&customer=acme&period=P1Y&res_seats=2&attr_domain=acme.test"
    missing = confirm_page(reseller, query)
    assert missing.status_code == 400
    assert steps(missing.text)[2] == "attributes" and 'aria-current="step">Order attributes' \
        in missing.text
    assert 'data-code="attribute_required"' in missing.text
    assert "Vendor discount code is required" in missing.text
    assert 'data-audience="manager"' in missing.text
    sub_id, shown, _ = order_confirmed(
        reseller, query + "&attr_deal=GW-2025-15",
        {"plan": "gw-std", "customer": "acme", "period": "P1Y", "res_seats": "2",
         "attr_domain": "acme.test", "attr_deal": "GW-2025-15"})
    api = world.api
    assert charged(api, sub_id) == Decimal(shown)
    want = {"domain": "acme.test", "deal": "GW-2025-15"}
    assert [r["attributes"] for r in vendor_requests(api, sub_id)] == [want]
    assert ok(api.get(f"/v1/subscriptions/{sub_id}"))["attributes"] == want
    # The customer sees its own attribute, never the manager's (the view and the list alike).
    customer = world("customer")
    assert ok(customer.get(f"/v1/subscriptions/{sub_id}"))["attributes"] == {
        "domain": "acme.test"}
    listed = ok(customer.get("/v1/subscriptions?plan=gw-std"))["data"]
    assert [s["attributes"] for s in listed] == [{"domain": "acme.test"}]
    assert "GW-2025-15" not in customer.get(f"/panel/subscriptions/{sub_id}").text
    details = reseller.get(f"/panel/subscriptions/{sub_id}").text
    assert '<dd data-attr="deal">GW-2025-15</dd>' in details
    # Shown under the product's name for it, not its id.
    deal = next(a for a in ok(api.get("/v1/products/gw"))["attributes"] if a["id"] == "deal")
    assert f'<dt title="deal">{deal["name"]}</dt>' in details
    assert "data-attributes" not in customer.get(f"/panel/subscriptions/{sub_id}").text


def test_a_customer_may_not_give_the_manager_attribute(world):
    # SPEC P7: "a customer's [order] must not" carry the manager attributes, also by hand.
    build_store(world.api)
    client = world("customer")
    page = confirm_page(client, "plan=gw-std&period=P1Y&attr_domain=a.test&attr_deal=x")
    assert page.status_code == 400 and 'data-code="attribute_not_allowed"' in page.text
    before = subs_of(world.api, "acme")
    refused = place(client, page.text, {"plan": "gw-std", "period": "P1Y",
                                        "attr_domain": "a.test", "attr_deal": "x"})
    assert refused.status_code == 400 and "given by managers only" in refused.text
    assert subs_of(world.api, "acme") == before


def test_refusals_are_shown_and_nothing_is_ordered(world):
    # SPEC C3 (range), P6 (restriction list), P5 (company name): the service's message on
    # the page, a 4xx status, no subscription.
    api = world.api
    build_store(api)
    client = world("customer")
    before = subs_of(api, "acme")
    wide = client.get(f"{ORDER}?plan=basic&period=P1Y&res_seats=99&step=confirm")
    assert wide.status_code == 400 and 'data-code="amount_out_of_range"' in wide.text
    assert "outside the range 1..50" in wide.text
    assert 'aria-current="step">Resources' in wide.text
    refused = place(client, wide.text, {"plan": "basic", "period": "P1Y", "res_seats": "99"})
    assert refused.status_code == 400 and "outside the range" in refused.text

    ok(api.patch("/v1/customers/acme", json={"inn": "DE 123"}))
    ok(api.post("/v1/restrictions", json={"inn": "DE123", "products": ["m365"]}))
    listed = client.get(f"{ORDER}?plan=basic&period=P1Y&res_seats=2&step=resources")
    assert 'data-code="restricted_party"' in listed.text
    page = confirm_page(client, "plan=basic&period=P1Y&res_seats=2")
    assert page.status_code == 400 and 'data-code="restricted_party"' in page.text
    assert 'aria-current="step">Confirm' not in page.text  # sent back, no Confirm button
    refused = place(client, page.text, {"plan": "basic", "period": "P1Y", "res_seats": "2"})
    assert refused.status_code == 400 and 'data-code="restricted_party"' in refused.text

    ok(api.put("/v1/settings/company-names", json={"forbidden_characters": [],
                                                    "forbidden_abbreviations": ["Acme", "Ltd"],
                                                    "forbidden_tlds": []}))
    named = confirm_page(client, "plan=gw-std&period=P1Y&attr_domain=a.test")
    assert named.status_code == 400 and 'data-code="name_empty_after_rules"' in named.text
    assert "Acme Ltd" in named.text
    assert subs_of(api, "acme") == before


def test_double_submit_orders_once(world):
    # SPEC S12: the form's key makes a second click (or a reload of the POST) a replay.
    client = world("customer")
    page = confirm_page(client, "plan=basic&period=P1Y&res_seats=4")
    fields = {"plan": "basic", "period": "P1Y", "res_seats": "4"}
    first, second = place(client, page.text, fields), place(client, page.text, fields)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert len(subs_of(world.api, "acme")) == 2  # s-acme and the one order


def test_orders_stay_in_scope(world):
    # SPEC P2: a customer orders only for itself, a reseller for its subtree, the operator
    # for anyone; out of scope is 404 and nothing is ordered.
    api = world.api
    rivals = subs_of(api, "rival")
    customer, reseller = world("customer"), world("reseller")
    for client in (customer, reseller):
        page = client.get(f"{ORDER}?plan=basic&customer=rival&period=P1Y&step=confirm")
        assert page.status_code == 404
        own = client.get(f"{ORDER}?plan=basic&customer=acme&period=P1Y&step=confirm").text
        sent = place(client, own, {"plan": "basic", "customer": "rival", "period": "P1Y"})
        assert sent.status_code == 404
    assert subs_of(api, "rival") == rivals
    choose = reseller.get(f"{ORDER}?plan=basic").text
    assert 'value="acme"' in choose and 'value="rival"' not in choose
    operator = world("operator")
    assert 'value="rival"' in operator.get(f"{ORDER}?plan=basic").text
    page = confirm_page(operator, "plan=basic&customer=rival&period=P1Y")
    done = place(operator, page.text, {"plan": "basic", "customer": "rival", "period": "P1Y"})
    assert done.status_code == 303
    assert len(subs_of(api, "rival")) == len(rivals) + 1


def test_live_quote_is_the_preview(world):
    # SPEC S3/S11: the live quote of the resources step is the service's preview.
    client = world("customer")
    page = client.get(f"{ORDER}?plan=basic&period=P1Y&step=resources").text
    live = client.post("/panel/store/quote", data={
        "csrf": csrf(page), "plan": "basic", "period": "P1Y", "res_seats": "7"})
    assert live.status_code == 200
    preview = ok(world.api.post("/v1/subscriptions", json={
        "customer": "acme", "plan": "basic", "period": "P1Y", "resources": {"seats": 7},
        "preview": True}))
    assert quoted(live.text) == preview["amount"]
    assert 'id="total-seats" hx-swap-oob="true">42.00 USD' in live.text
    assert "ERP" not in live.text  # ERP is for managers


def test_hand_edited_urls_are_4xx_pages(world):
    # House rule: bad input is a 4xx page with a message, never a 500.
    client = world("customer")
    for query in ("plan=nope", "plan=", "plan=basic&period=P9Y&step=confirm",
                  "plan=basic&period=P1Y&res_seats=abc&step=confirm",
                  "plan=basic&period=P1Y&res_ghost=1&step=confirm",
                  "plan=basic&period=P1Y&attr_x=" + "y" * 300 + "&step=confirm",
                  "plan=basic&period=P1Y&step=%00"):
        answer = client.get(f"{ORDER}?{query}")
        assert 200 <= answer.status_code < 500, (query, answer.status_code)
    page = client.get(f"{ORDER}?plan=basic&period=P1Y&step=confirm").text
    assert client.post(ORDER, data={"csrf": "forged", "plan": "basic"}).status_code == 403
    assert client.post(ORDER, data={"csrf": csrf(page), "plan": "basic", "period": "P1Y",
                                    "res_seats": "x"}).status_code == 400


def test_later_operations_hand_the_attributes_to_the_vendor_too(world):
    # SPEC V4 "The attributes of P7 are handed to the connector": the order's attributes stay
    # with the subscription, so a change (and every later call) carries them as well.
    api = world.api
    build_store(api)
    want = {"domain": "acme.test", "deal": "GW-1"}
    ok(api.post("/v1/subscriptions", json={"id": "s-gw", "customer": "acme", "plan": "gw-std",
                                           "resources": {"seats": 2}, "attributes": want}))
    work(api)
    assert ok(api.get("/v1/subscriptions/s-gw"))["status"] == "active"
    ok(api.post("/v1/subscriptions/s-gw/operations", json={
        "type": "change_resources", "resources": {"seats": 4}}))
    sent = vendor_requests(api, "s-gw")
    assert [r["verb"] for r in sent] == ["purchase", "change"]
    assert [r["attributes"] for r in sent] == [want, want]
