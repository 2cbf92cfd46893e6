"""Webhook endpoints in the panel (SPEC R2, R3, P2; API.md "Notifications"): created with the
signing secret shown once, enabled, disabled, deleted, each with its delivery log; tampered
values, other tenants' ids and double submits change nothing and answer a clear 4xx page."""

from __future__ import annotations

from tests.e2e.lifecycle import ok
from tests.e2e.notifying import worker_round
from tests.panel.world import post_form
from tests.receivers import webhook_receiver

URL = "/panel/notifications"
HOOK = "http://127.0.0.1:9/hook"


def endpoints(world) -> list[dict]:
    return ok(world.api.get("/v1/webhook-endpoints"))["data"]


def create(client, **form):
    return post_form(client, f"{URL}/webhooks", {"key": "w1", "url": HOOK, **form}, URL)


def test_reseller_creates_an_endpoint_and_sees_the_secret_once(world):
    # API.md: POST /v1/webhook-endpoints answers the secret (whsec_…) once; R2: a reseller's
    # endpoint receives its subtree's events, optionally only some types.
    reseller = world("reseller")
    page = create(reseller, events=["subscription_stopped", "payment_failed"],
                  description="ERP")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    [made] = endpoints(world)
    assert (made["url"], made["reseller"], made["description"]) == (HOOK, "nw", "ERP")
    assert made["events"] == ["subscription_stopped", "payment_failed"]
    secret = page.text.split("data-secret tabindex=\"0\">")[1].split("<")[0]
    assert secret.startswith("whsec_") and len(secret) > 40
    # Shown once: neither the list nor the endpoint's page ever prints it again.
    assert secret not in reseller.get(URL).text
    assert secret not in reseller.get(f"{URL}/webhooks/{made['id']}").text
    # S12: the same form sent twice creates nothing more and shows no secret the second time.
    again = reseller.post(f"{URL}/webhooks", data={"csrf": _csrf(reseller), "key": "w1",
                                                   "url": HOOK, "description": "ERP",
                                                   "events": ["subscription_stopped",
                                                              "payment_failed"]})
    assert again.status_code == 200 and "data-secret-gone" in again.text
    assert secret not in again.text and len(endpoints(world)) == 1
    other = create(reseller, url="http://127.0.0.1:9/other")  # same key, other values
    assert other.status_code == 409 and len(endpoints(world)) == 1


def _csrf(client) -> str:
    from tests.panel.world import csrf
    return csrf(client.get(URL).text)


def test_tampered_endpoint_forms_create_nothing(world):
    reseller = world("reseller")
    cases = [({"reseller": "other"}, 404),  # P2: a reseller outside its subtree
             ({"events": ["no_such_event"]}, 400), ({"url": "ftp://127.0.0.1/x"}, 400),
             ({"url": ""}, 400), ({"reseller": "nw\x00"}, 404)]
    for i, (bad, status) in enumerate(cases):
        response = create(reseller, key=f"bad{i}", **bad)
        assert response.status_code == status, (bad, response.text[:300])
        assert "data-secret" not in response.text
    assert endpoints(world) == []
    # A customer has no endpoints: the page sends it away, the post is refused.
    customer = world("customer")
    assert customer.get(URL, follow_redirects=False).status_code == 303
    response = post_form(customer, f"{URL}/webhooks", {"key": "c1", "url": HOOK},
                         "/panel/subscriptions")
    assert response.status_code == 404 and endpoints(world) == []


def test_another_tenants_endpoint_is_not_found_and_stays(world):
    # SPEC P2: the operator's endpoint (and another reseller's) is a 404 page for a reseller,
    # for reading, disabling and deleting alike.
    theirs = ok(world.api.post("/v1/webhook-endpoints",
                               json={"url": HOOK, "reseller": "other"}))["id"]
    reseller = world("reseller")
    assert reseller.get(f"{URL}/webhooks/{theirs}").status_code == 404
    assert theirs not in reseller.get(URL).text
    for action, form in (("state", {"enabled": "false"}), ("delete", {})):
        response = post_form(reseller, f"{URL}/webhooks/{theirs}/{action}",
                             {"key": f"x-{action}", **form}, URL)
        assert response.status_code == 404
    after = ok(world.api.get(f"/v1/webhook-endpoints/{theirs}"))
    assert after["enabled"] is True
    assert reseller.get(f"{URL}/webhooks/%00").status_code == 404


def test_disable_enable_and_delete_an_endpoint(world):
    # SPEC R3: a disabled endpoint gets nothing until enabled; a deleted one is gone.
    reseller = world("reseller")
    create(reseller)
    [made] = endpoints(world)
    page = f"{URL}/webhooks/{made['id']}"
    off = post_form(reseller, f"{page}/state", {"key": "s1", "enabled": "false"}, page)
    assert off.status_code == 303
    assert ok(world.api.get(f"/v1/webhook-endpoints/{made['id']}"))["enabled"] is False
    assert 'data-enabled="false"' in reseller.get(off.headers["location"]).text
    odd = post_form(reseller, f"{page}/state", {"key": "s2", "enabled": "maybe"}, page)
    assert odd.status_code == 400  # tampered: refused with the service's message
    assert "enabled must be true or false" in odd.text
    on = post_form(reseller, f"{page}/state", {"key": "s3", "enabled": "true"}, page)
    assert on.status_code == 303
    assert ok(world.api.get(f"/v1/webhook-endpoints/{made['id']}"))["enabled"] is True
    gone = post_form(reseller, f"{page}/delete", {"key": "d1"}, page)
    assert gone.status_code == 303 and "deleted" in reseller.get(gone.headers["location"]).text
    assert endpoints(world) == []
    assert reseller.get(page).status_code == 404
    # The same delete form sent again replays its answer; a new one finds nothing.
    assert post_form(reseller, f"{page}/delete", {"key": "d1"}, URL).status_code == 303
    assert post_form(reseller, f"{page}/delete", {"key": "d2"}, URL).status_code == 404


def test_the_delivery_log_of_an_endpoint(world):
    # SPEC R3: every delivery with its status and attempts, for the endpoint's owner.
    reseller = world("reseller")
    with webhook_receiver() as receiver:
        post_form(reseller, f"{URL}/webhooks", {"key": "w1", "url": receiver.url}, URL)
        [made] = endpoints(world)
        ok(world.api.post("/v1/subscriptions/s-acme/operations", json={"type": "stop"}))
        ok(world.api.post("/v1/subscriptions/s-rival/operations", json={"type": "stop"}))
        assert worker_round(world.api) >= 1
    page = reseller.get(f"{URL}/webhooks/{made['id']}").text
    [delivery] = ok(world.api.get(f"/v1/webhook-endpoints/{made['id']}/deliveries"))["data"]
    assert f'data-delivery="{delivery["id"]}" data-delivery-status="succeeded"' in page
    assert page.count("data-delivery=") == 1  # rival's stop is not nw's event (P2)
    assert "Subscription stopped" in page


def test_new_forms_need_a_session_and_their_csrf_token(world):
    # U1: nobody signed in is sent to sign in; a form without the panel's token is a 403
    # page; either way nothing is created or changed.
    made = ok(world.api.post("/v1/webhook-endpoints", json={"url": HOOK, "reseller": "nw"}))
    posts = [(f"{URL}/webhooks", {"url": HOOK}),
             (f"{URL}/webhooks/{made['id']}/state", {"enabled": "false"}),
             (f"{URL}/webhooks/{made['id']}/delete", {}),
             ("/panel/resellers/nw/settings", {"grace_period_days": "3"})]
    anonymous, reseller = world(None), world("reseller")
    for url, form in posts:
        away = anonymous.post(url, data={"key": "a", **form}, follow_redirects=False)
        assert (away.status_code, away.headers["location"]) == (303, "/panel/login"), url
        forged = reseller.post(url, data={"key": "f", "csrf": "x" * 64, **form},
                               follow_redirects=False)
        assert forged.status_code == 403, url
    assert [e["id"] for e in endpoints(world)] == [made["id"]]
    assert endpoints(world)[0]["enabled"] is True
    assert ok(world.api.get("/v1/resellers/nw/settings"))["own"]["grace_period_days"] is None
