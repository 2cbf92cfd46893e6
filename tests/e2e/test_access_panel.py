"""The access matrix for the control panel's pages (SPEC P2, U1): every page for every kind
of visitor. Out of scope answers like missing (404); nobody signed in is sent to sign in."""

from __future__ import annotations

import pytest

from tests.panel.world import build, sign_in

ORDER_FOR_ACME = "/panel/store/order?plan=basic&customer=acme&period=P1Y&step=confirm"
PAGES = ["/panel/", "/panel/subscriptions", "/panel/subscriptions/s-acme",
         "/panel/subscriptions/s-acme/do/stop", "/panel/billing?customer=acme",
         "/panel/customers", "/panel/approvals", "/panel/plans", "/panel/plans/basic",
         "/panel/resellers/nw/settings", "/panel/settings", "/panel/notifications",
         "/panel/store", ORDER_FOR_ACME]
OK, AWAY, MISSING = 200, 303, 404
EXPECTED = {
    None: {page: AWAY for page in PAGES},
    "customer": {**dict.fromkeys(PAGES, OK), "/panel/": AWAY, "/panel/customers": AWAY,
                 "/panel/notifications": AWAY,
                 "/panel/resellers/nw/settings": MISSING, "/panel/settings": MISSING},
    "rival": {**dict.fromkeys(PAGES, OK), "/panel/": AWAY, "/panel/customers": AWAY,
              "/panel/notifications": AWAY,
              "/panel/subscriptions/s-acme": MISSING,
              "/panel/subscriptions/s-acme/do/stop": MISSING,
              "/panel/billing?customer=acme": MISSING, "/panel/resellers/nw/settings": MISSING,
              ORDER_FOR_ACME: MISSING,  # issue 14: nobody orders for another customer
              "/panel/settings": MISSING},
    "reseller": {**dict.fromkeys(PAGES, OK), "/panel/": AWAY, "/panel/settings": MISSING},
    "operator": {**dict.fromkeys(PAGES, OK), "/panel/": AWAY},
}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_panel_access_matrix(client_factory, db_kind, who):
    build(client_factory(db_kind))
    client = client_factory(db_kind, key=None)
    if who is not None:
        sign_in(client, who)
    got = {page: client.get(page, follow_redirects=False).status_code for page in PAGES}
    assert got == EXPECTED[who]
    if who is None:
        assert client.get(PAGES[1], follow_redirects=False).headers["location"] == \
            "/panel/login"


def test_an_api_key_in_the_cookie_is_not_a_panel_session_for_others(client_factory, db_kind):
    # A revoked or made-up cookie is nobody: back to sign in, never a 500.
    build(client_factory(db_kind))
    client = client_factory(db_kind, key=None)
    client.cookies.set("prorata_session", "prs_made-up")
    assert client.get("/panel/subscriptions", follow_redirects=False).status_code == 303
