"""Delegated settings in the panel (SPEC P3, R1, S9): a reseller edits its own for its
subtree, recommendation priorities included; a setting made above is read-only below (no
input, and a tampered form is refused by the delegation service); other tenants' resellers
are 404 pages; a double submit saves once."""

from __future__ import annotations

from tests.e2e.lifecycle import ok
from tests.panel.world import post_form

NW = "/panel/resellers/nw/settings"
SUB = "/panel/resellers/nw-east/settings"


def settings(world, reseller="nw"):
    return ok(world.api.get(f"/v1/resellers/{reseller}/settings"))


def test_reseller_sets_grace_groups_and_priorities(world):
    # SPEC P3: the reseller's own settings for its subtree; R1: priorities per target plan.
    client = world("reseller")
    page = client.get(NW).text
    assert 'name="prio_premium"' in page and 'name="grace_period_days"' in page
    form = {"key": "k1", "grace_period_days": "4", "groups": "vip, gov ,", "priorities": "1",
            "prio_premium": "2", "prio_basic": "-1"}
    saved = post_form(client, NW, form, NW)
    assert saved.status_code == 303
    own = settings(world)["own"]
    assert own == {"grace_period_days": 4, "stop_requires_approval_groups": ["gov", "vip"],
                   "recommendation_priorities": {"premium": 2, "basic": -1}}
    again = client.get(saved.headers["location"]).text
    assert "data-saved" in again and 'name="prio_premium" aria-label="Priority of Premium" ' \
        'inputmode="numeric" value="2"' in again
    # S12: the same form again changes nothing and answers the same; other values: 409.
    assert post_form(client, NW, form, NW).status_code == 303
    assert post_form(client, NW, {**form, "grace_period_days": "9"}, NW).status_code == 409
    assert settings(world)["own"]["grace_period_days"] == 4
    # Emptied fields unset the reseller's own values.
    post_form(client, NW, {"key": "k2", "grace_period_days": "", "groups": "",
                           "priorities": "1", "prio_premium": ""}, NW)
    assert set(settings(world)["own"].values()) == {None}


def test_recommendations_follow_the_priorities_set_in_the_panel(world):
    # SPEC R1: a target without a priority keeps its place among the switch targets (0 for
    # basic's only one); the priority set in the panel is the one recommendations carry.
    def ranked():
        recs = ok(world.api.get("/v1/subscriptions/s-acme/recommendations"))["data"]
        return [(r["plan"], r["priority"]) for r in recs]
    assert ranked() == [("premium", 0)]
    post_form(world("reseller"), NW, {"key": "k1", "priorities": "1", "prio_premium": "7"}, NW)
    assert ranked() == [("premium", 7)]


def test_a_setting_made_above_is_read_only_below(world):
    # SPEC P3: nw's grace period is read-only for nw-east: no input, and a tampered form
    # that sends one is refused by the service with its message; nothing changes.
    ok(world.api.post("/v1/resellers", json={"id": "nw-east", "name": "NW East",
                                             "parent": "nw"}))
    client = world("reseller")
    post_form(client, NW, {"key": "k1", "grace_period_days": "5"}, NW)
    page = client.get(SUB).text
    row = page[page.index('data-setting="grace_period_days"'):]
    row = row[:row.index("</div>")]
    assert 'name="grace_period_days"' not in row and "disabled" in row
    assert "data-read-only" in row and "Set by nw" in row
    tampered = post_form(client, SUB, {"key": "t1", "grace_period_days": "3"}, SUB)
    assert tampered.status_code == 409 and "read-only here" in tampered.text
    assert settings(world, "nw-east")["own"]["grace_period_days"] is None
    # What is not set above stays editable below.
    assert post_form(client, SUB, {"key": "t2", "priorities": "1", "prio_premium": "1"},
                     SUB).status_code == 303
    assert settings(world, "nw-east")["own"]["recommendation_priorities"] == {"premium": 1}


def test_tampered_values_and_other_tenants_change_nothing(world):
    client = world("reseller")
    for i, bad in enumerate(({"grace_period_days": "soon"}, {"grace_period_days": "-2"},
                             {"priorities": "1", "prio_premium": "high"},
                             {"priorities": "1", "prio_bad%2Fid": "1"},
                             {"priorities": "1", "prio_premium": "99999999999"})):
        response = post_form(client, NW, {"key": f"b{i}", **bad}, NW)
        assert response.status_code == 400, bad
    assert set(settings(world)["own"].values()) == {None}
    # SPEC P2: another reseller's settings are a 404 page to read and to write.
    assert client.get("/panel/resellers/other/settings").status_code == 404
    response = post_form(client, "/panel/resellers/other/settings",
                         {"key": "o1", "grace_period_days": "1"}, NW)
    assert response.status_code == 404
    assert settings(world, "other")["own"]["grace_period_days"] is None
    customer = world("customer")
    response = post_form(customer, NW, {"key": "c1", "grace_period_days": "1"},
                         "/panel/subscriptions")
    assert response.status_code == 404
    assert settings(world)["own"]["grace_period_days"] is None
