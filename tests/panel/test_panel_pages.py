"""The panel over HTTP (SPEC U1, P2, S2, S12): sign-in, scope, the operations offered equal
`available_operations`, CSRF, tampered input and double submits."""

from __future__ import annotations

from datetime import date

from markupsafe import escape

from tests.e2e.lifecycle import ok
from tests.panel.world import csrf, offered, post_form

SUB = "/panel/subscriptions/s-acme"


def api_sub(world, sub_id="s-acme"):
    return ok(world.api.get(f"/v1/subscriptions/{sub_id}"))


def test_sign_in_wrong_password_shows_a_message(world):
    # SPEC U1: sign-in with the existing users; a wrong password is a page, not a session.
    client = world(None)
    page = client.get("/panel/login")
    response = client.post("/panel/login", data={"csrf": csrf(page.text),
                                                 "email": "ann@acme.test", "password": "nope"})
    assert response.status_code == 401
    assert "not correct" in response.text
    assert client.get("/panel/subscriptions", follow_redirects=False).status_code == 303


def test_login_form_without_its_token_is_refused(world):
    client = world(None)
    client.get("/panel/login")
    response = client.post("/panel/login", data={"csrf": "forged", "email": "ann@acme.test",
                                                 "password": "correct horse battery"})
    assert response.status_code == 403
    assert "prorata_session" not in client.cookies


def test_customer_sees_only_its_own_subscriptions(world):
    # SPEC P2: the list is the caller's scope.
    page = world("customer").get("/panel/subscriptions")
    assert page.status_code == 200
    assert 'data-sub="s-acme"' in page.text and "s-rival" not in page.text
    reseller = world("reseller").get("/panel/subscriptions").text
    assert 's-acme' in reseller and "s-rival" not in reseller
    operator = world("operator").get("/panel/subscriptions").text
    assert "s-acme" in operator and "s-rival" in operator


def test_other_customers_subscription_is_not_found(world):
    # SPEC P2: out of scope answers like missing; tampered ids are 404 pages, never 500.
    client = world("customer")
    for path in ("/panel/subscriptions/s-rival", "/panel/subscriptions/nope",
                 "/panel/subscriptions/%00bad", "/panel/subscriptions/s-rival/do/stop"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Nothing was changed" in response.text
    response = post_form(client, "/panel/subscriptions/s-rival/operations",
                         {"type": "stop", "key": "k1"}, SUB)
    assert response.status_code == 404
    assert api_sub(world, "s-rival")["status"] == "active"


def test_offered_operations_equal_available_operations(world):
    # SPEC S2 via U1: one control per available operation, in every state.
    client = world("customer")
    for step in ("active", "stop", "activate", "delete"):
        if step != "active":
            response = post_form(client, f"{SUB}/operations", {"type": step, "key": step}, SUB)
            assert response.status_code == 303, response.text
        page = client.get(SUB).text
        # The same caller's view: the session cookie works on the API too.
        mine = ok(client.get("/v1/subscriptions/s-acme"))["available_operations"]
        assert offered(page) == set(mine), step
    assert api_sub(world)["status"] == "deleted"
    assert offered(client.get(SUB).text) == set()


def test_unavailable_operations_carry_the_engines_message(world):
    # SPEC S2: each unavailable operation is explained by the view's own map: the engine's
    # code and message, and when a closed window opens.
    client = world("customer")
    view = ok(client.get("/v1/subscriptions/s-acme"))["unavailable_operations"]
    page = client.get(SUB).text
    assert 'data-unavailable="activate" data-code="subscription_not_stopped"' in page
    assert 'data-unavailable="renew" data-code="not_in_renewal_window"' in page
    for op, refusal in view.items():
        if op in ("approve", "reject"):
            continue  # a manager's decision: see the next test
        assert f'data-unavailable="{op}" data-code="{refusal["code"]}"' in page
        assert str(escape(refusal["message"])) in page
    opens = date.fromisoformat(view["renew"]["opens_on"])
    assert f"opens on {opens.day} {opens:%b %Y}</span>" in page


def test_each_party_sees_only_operations_it_could_ever_have(world):
    # SPEC S9, S2: approve/reject are a manager's; the customer's page does not list them as
    # unavailable (noise), the reseller's page still explains why they are not offered now.
    view = api_sub(world)["unavailable_operations"]
    assert {"approve", "reject"} <= set(view)
    customer = world("customer").get(SUB).text
    assert 'data-unavailable="approve"' not in customer
    assert 'data-unavailable="reject"' not in customer
    assert 'data-unavailable="activate"' in customer
    reseller = world("reseller").get(SUB).text
    for op in ("approve", "reject"):
        assert f'data-unavailable="{op}" data-code="nothing_to_approve"' in reseller
    # A hand-typed step URL for a manager operation is still refused with a message.
    typed = world("customer").get(f"{SUB}/do/approve")
    assert typed.status_code == 400 and "not available" in typed.text


def test_resource_table_order_and_costs(world):
    # SPEC C4: primary first, then by priority, then by name; C3: included is free.
    page = world("customer").get(SUB).text
    order = [page.index(f'data-resource="{r}"') for r in ("seats", "archive", "storage")]
    assert order == sorted(order)
    assert "Additional resources" in page
    assert "Included 10 · From 0 · To 1000" in page
    assert "30.00 USD" in page  # 5 seats × 6.00; storage 0 of 10 included is free
    assert "ERP 36.00 USD" in page


def test_quote_is_the_services_preview(world):
    # SPEC S4: the live quote is the preview, which equals what the commit charges.
    client = world("customer")
    token = csrf(client.get(SUB).text)
    body = {"csrf": token, "type": "change_resources", "res_seats": "8", "res_storage": "0",
            "res_archive": "0"}
    fragment = client.post(f"{SUB}/quote", data=body).text
    preview = ok(world.api.post("/v1/subscriptions/s-acme/operations", json={
        "type": "change_resources", "resources": {"seats": 8}, "preview": True}))
    assert f"{preview['amount']} USD" in fragment
    # seed 004: Total and the subscription cost follow the amounts (8 × 6.00, ERP 8 × 7.20)
    assert 'id="total-seats" hx-swap-oob="true">48.00 USD' in fragment
    assert "ERP 57.60 USD" in fragment
    assert api_sub(world)["resources"]["seats"] == 5  # a quote changes nothing


def test_change_with_out_of_range_amount_changes_nothing(world):
    # SPEC C3: refused with the range in the message; the page says so, nothing changes.
    client = world("customer")
    for bad in ("51", "-1", "lots", "1e9"):
        response = post_form(client, f"{SUB}/operations",
                             {"type": "change_resources", "key": f"k-{bad}", "res_seats": bad},
                             SUB)
        assert response.status_code == 400, bad
        assert 'role="alert"' in response.text
    assert api_sub(world)["resources"]["seats"] == 5


def test_unknown_operation_and_resource_are_refused(world):
    client = world("customer")
    for data in ({"type": "bogus"}, {"type": "change_resources", "res_nope": "3"},
                 {"type": "approve"}):
        response = post_form(client, f"{SUB}/operations", {**data, "key": ""}, SUB)
        assert 400 <= response.status_code < 500, data


def test_double_submit_runs_once(world):
    # SPEC S12: the form's key makes a second submit replay the first answer.
    client = world("customer")
    token = csrf(client.get(SUB).text)
    form = {"csrf": token, "key": "same-form", "type": "change_resources", "res_seats": "7"}
    first = client.post(f"{SUB}/operations", data=form, follow_redirects=False)
    second = client.post(f"{SUB}/operations", data=form, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    history = ok(world.api.get("/v1/subscriptions/s-acme/operations"))["data"]
    assert [op["type"] for op in history].count("change_resources") == 1
    changed = client.post(f"{SUB}/operations", data={**form, "res_seats": "9"},
                          follow_redirects=False)
    assert changed.status_code == 409
    assert api_sub(world)["resources"]["seats"] == 7


def test_result_message_after_an_operation(world):
    client = world("customer")
    response = post_form(client, f"{SUB}/operations",
                         {"type": "change_resources", "key": "r1", "res_seats": "6"}, SUB)
    page = client.get(response.headers["location"]).text
    assert 'data-result="completed"' in page
    assert 'data-history="change_resources"' in page


def test_forms_need_the_csrf_token(world):
    client = world("customer")
    for url, data in ((f"{SUB}/operations", {"type": "stop"}),
                      (f"{SUB}/auto-renew", {}), ("/panel/logout", {})):
        for token in (None, "forged"):
            body = data if token is None else {**data, "csrf": token}
            assert client.post(url, data=body).status_code == 403, (url, token)
    assert api_sub(world)["status"] == "active"
    assert client.get("/panel/subscriptions").status_code == 200  # still signed in


def test_auto_renew_checkbox(world):
    client = world("customer")
    post_form(client, f"{SUB}/auto-renew", {"key": "a1"}, SUB)
    assert api_sub(world)["auto_renew"] is False
    post_form(client, f"{SUB}/auto-renew", {"key": "a2", "auto_renew": "on"}, SUB)
    assert api_sub(world)["auto_renew"] is True


def test_sign_out_ends_the_session(world):
    client = world("customer")
    response = post_form(client, "/panel/logout", {}, "/panel/subscriptions")
    assert response.status_code == 303
    assert client.get("/panel/subscriptions", follow_redirects=False).status_code == 303


def test_garbage_bodies_are_never_a_500(world):
    client = world("customer")
    for body in (b"\xff\xfe", b"csrf=%ZZ&type=stop", b"a" * 70000, b"&&&==="):
        response = client.post(f"{SUB}/operations", content=body,
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert 400 <= response.status_code < 500


def test_transitional_status_spins_refreshes_and_offers_nothing(world, e2e_databases, db_kind):
    # SPEC S1 (seed 004): while the vendor works, a spinner, an automatic refresh, and no
    # operation at all, each explained.
    from sqlalchemy import update

    from prorata.adapters.db.schema import subscriptions
    database = e2e_databases.get(db_kind)
    with database.engine.begin() as conn:
        conn.execute(update(subscriptions).where(subscriptions.c.id == "s-acme")
                     .values(status="stopping"))
    client = world("customer")
    page = client.get(SUB).text
    assert 'class="spinner"' in page and 'http-equiv="refresh"' in page
    view = ok(client.get("/v1/subscriptions/s-acme"))
    assert offered(page) == set() == set(view["available_operations"])
    # S2: every operation is refused as busy; the page says so once, with the view's message.
    refusals = view["unavailable_operations"].values()
    assert {r["code"] for r in refusals} == {"subscription_busy"}
    assert page.count('data-code="subscription_busy"') == 1
    assert 'data-unavailable="every"' in page and next(iter(refusals))["message"] in page
    assert 'http-equiv="refresh"' not in client.get("/panel/subscriptions/s-rival").text


def test_list_quick_actions_follow_available_operations(world):
    # SPEC S2: the list's quick actions are the row's own available operations.
    page = world("customer").get("/panel/subscriptions").text
    available = set(api_sub(world)["available_operations"])
    row = page[page.index('data-sub="s-acme"'):]
    row = row[:row.index("</tr>")]
    assert ('name="type" value="change_resources"' in row) == ("change_resources" in available)
    for op in ("renew", "stop", "activate"):
        assert (f"/panel/subscriptions/s-acme/do/{op}" in row) == (op in available), op
